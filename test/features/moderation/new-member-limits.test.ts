import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postReply, startThread } from '../../support/discussions.js';

let t: TestApp;
let threadId: number;
beforeAll(async () => {
  t = await buildTestApp({ env: { NEW_MEMBER_DAYS: '3', RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1', RATE_LIMIT_POSTS_PER_HOUR: '60' } });
  const staff = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  await t.db.updateTable('members').set({ created_at: new Date(Date.now() - 30 * 86_400_000) }).where('id', '=', staff.member.id).execute();
  threadId = await startThread(staff.browser, 'questions', { title: 'Replies from members old and new' });
});
afterAll(async () => t.close());

/** A member who joined `days` ago, and how their second reply within the hour is answered. */
async function secondReplyAfterJoining(days: number): Promise<number> {
  const { member, browser } = await memberWithBrowser(t.app, t.db);
  await t.db.updateTable('members').set({ created_at: new Date(Date.now() - days * 86_400_000) }).where('id', '=', member.id).execute();
  expect((await postReply(browser, threadId, { body: `First reply from a member of ${days} days.` })).statusCode).toBe(303);
  return (await postReply(browser, threadId, { body: `Second reply from a member of ${days} days.` })).statusCode;
}

describe('NEW_MEMBER_DAYS', () => {
  it('keeps the new-member posting limit through the member’s first days, not only the first', async () => {
    expect(await secondReplyAfterJoining(2)).toBe(429);
  });

  it('lifts it once those days are past', async () => {
    expect(await secondReplyAfterJoining(4)).toBe(303);
  });
});
