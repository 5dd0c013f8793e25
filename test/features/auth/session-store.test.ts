import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postReply, startThread } from '../../support/discussions.js';

/**
 * The session store reads the signed-in member in the same statement as the session
 * (plugins/session.ts, `memberAtLoad`): that copy serves one request and is never stored.
 */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

describe('the session store', () => {
  it('stores the session without the member it read with it, however often the session is saved', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(browser, 'questions');
    // Each reply leaves a notice in the session, and reading the next page takes it out: two saves each.
    for (let i = 0; i < 2; i += 1) expect((await postReply(browser, threadId, { body: `Reply ${i}` })).statusCode).toBe(303);
    const rows = await t.db.selectFrom('sessions').select(['data', 'updated_at', 'created_at']).where('member_id', '=', member.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.updated_at.getTime()).toBeGreaterThan(rows[0]!.created_at.getTime());
    expect(Object.keys(rows[0]!.data as object)).not.toContain('memberAtLoad');
    expect(JSON.stringify(rows[0]!.data)).not.toContain(member.handle);
  });
});
