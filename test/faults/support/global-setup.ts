import type { TestProject } from 'vitest/node';
import setupTemplates from '../../support/global-setup.js';
import { startCluster } from './cluster.js';

/**
 * The fault suite's database server is its own (see cluster.ts): every test file that does not
 * start a server of its own copies the migrated template from this one, as `npm test` does from
 * DATABASE_URL.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster();
  process.env.DATABASE_URL = cluster.url;
  // A failed template setup (a migration that throws, tsc refusing the build) must not leave the
  // server running: vitest calls no teardown for a setup that threw.
  let teardownTemplates: () => Promise<void>;
  try {
    teardownTemplates = await setupTemplates(project);
  } catch (error) {
    cluster.destroy();
    throw error;
  }
  return async () => {
    await teardownTemplates();
    cluster.destroy();
  };
}
