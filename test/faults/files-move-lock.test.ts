import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/app.js';
import { createServerDatabase } from '../support/database.js';
import { memberWithBrowser } from '../support/discussions.js';
import { pdfBytes } from '../support/file-fixtures.js';
import { runNode } from '../support/process.js';
import { filePart, guideFields, shareWithFiles } from '../support/resources.js';
import { startObjectStore, type TestObjectStore } from '../support/s3.js';

// Here rather than beside the other move tests: the lock is PostgreSQL's (an advisory lock), and
// this suite always runs on a PostgreSQL server; on the embedded database the data directory's
// lock already keeps the command alone.
let objects: TestObjectStore;

beforeAll(async () => {
  objects = await startObjectStore();
});

afterAll(async () => {
  await objects?.close();
});

describe('npm run files -- move while another move runs', () => {
  it('refuses to start, with exit code 3, and moves nothing', async () => {
    const own = await createServerDatabase();
    const other = new pg.Client({ connectionString: own.url });
    try {
      const t = await buildTestApp({ database: own, env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
      try {
        const { member, browser } = await memberWithBrowser(t.app, t.db);
        expect((await shareWithFiles(t.app, browser, guideFields(member.agencyId), [filePart('report.pdf', pdfBytes('Locked out'))])).statusCode).toBe(303);
      } finally {
        await t.close();
      }
      await other.connect();
      await other.query(`select pg_advisory_lock(hashtextextended('commons:files-move', 0))`);
      const chunks = await own.db.selectFrom('file_blob_chunks').select(['blob_id', 'seq']).execute();
      const run = runNode('cli/files.js', { DATABASE_URL: own.url, ...objects.env }, ['move', '--to', 's3']);
      expect(await run.exited, run.output()).toBe(3);
      expect(run.output()).toContain('Another `npm run files -- move` is running against this database: nothing was moved');
      expect(await own.db.selectFrom('file_blob_chunks').select(['blob_id', 'seq']).execute()).toEqual(chunks);
      expect(chunks.length).toBeGreaterThan(0);
    } finally {
      await other.end();
      await own.close();
    }
  }, 60_000);
});
