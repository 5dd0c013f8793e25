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
  const teardownTemplates = await setupTemplates(project);
  return async () => {
    await teardownTemplates();
    cluster.destroy();
  };
}
