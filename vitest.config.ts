import { defineConfig } from 'vitest/config';

// `npm test` runs the server project: unit and request-level tests against a real PostgreSQL
// (DATABASE_URL) or the embedded one. `npm run test:browser` drives Debian's chromium.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'server',
          include: ['test/unit/**/*.test.ts', 'test/features/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/faults/support/global-setup.ts'],
          pool: 'forks',
          // One file at a time on any machine (vitest's default on a 2-core one already is):
          // several assert a recovery or exit time, which another fault test beside them stretches.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
