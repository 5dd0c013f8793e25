import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postAt, threadPageOf } from '../../support/discussions.js';
import { createRepliedThread } from '../../support/forum-rows.js';
import type { TestMember } from '../../support/members.js';
import { categoryCounts, moderationForm, threadAction } from '../../support/thread-moderation.js';

// A moderator hiding or deleting a thread tells its author, in the action's transaction; the
// notice survives the thread's disappearing for them, and leads to the reason.

let t: TestApp;
let moderator: { member: TestMember; browser: Browser };
let author: { member: TestMember; browser: Browser };
let replier: { member: TestMember; browser: Browser };
beforeAll(async () => {
  t = await buildTestApp();
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  author = await memberWithBrowser(t.app, t.db);
  replier = await memberWithBrowser(t.app, t.db);
});
afterAll(async () => t.close());

const REASON = 'Names a member of the public.';

/** A thread by the author with one reply by the replier, in a category of its own. */
async function repliedThread() {
  const { category, threadId } = await createRepliedThread(t.db, author.member.id, replier.member.id);
  const title = `Social media archiving ${threadId}`;
  await t.db.updateTable('threads').set({ title }).where('id', '=', threadId).execute();
  return { threadId, title, categoryId: category.id, firstPostId: await postAt(t.db, threadId, 1) };
}

const moderationNotices = (memberId: number, threadId: number) =>
  t.db.selectFrom('notifications').select(['id', 'actor_id', 'post_id', 'read_at']).where('member_id', '=', memberId).where('thread_id', '=', threadId).where('kind', '=', 'moderation').execute();

describe('POST /mod/threads/:id/hide', () => {
  it('tells the author, with the reason, while members (the author too) no longer see the thread and its category no longer counts it', async () => {
    const { threadId, title, categoryId, firstPostId } = await repliedThread();
    const before = await categoryCounts(t.db, categoryId);
    const response = await threadAction(moderator.browser, threadId, 'hide', { ...(await moderationForm(moderator.browser, threadId)), reason: REASON });
    expect(response.statusCode).toBe(303);

    expect(await moderationNotices(author.member.id, threadId)).toEqual([{ id: expect.any(Number), actor_id: null, post_id: firstPostId, read_at: null }]);
    expect(await moderationNotices(replier.member.id, threadId)).toEqual([]);
    const page = (await author.browser.get('/notifications')).body;
    expect(page).toContain('A moderator</bdi> hid your thread “<bdi>' + title);
    expect(page).toContain(`Reason: <bdi>${REASON}</bdi>`);

    const [notice] = await moderationNotices(author.member.id, threadId);
    const opened = await author.browser.get(`/notifications/${notice!.id}`);
    expect(opened.headers.location).toBe('/settings/moderation');
    const record = (await author.browser.get('/settings/moderation')).body;
    expect(record).toContain('Thread hidden');
    expect(record).toContain(REASON);
    expect((await moderationNotices(author.member.id, threadId))[0]!.read_at).not.toBeNull();

    for (const member of [author, replier]) expect((await member.browser.get(`/t/${threadId}`)).statusCode).toBe(404);
    expect(await threadPageOf(moderator.browser, threadId)).toContain(REASON);
    expect(await categoryCounts(t.db, categoryId)).toEqual({ thread_count: before.thread_count - 1, post_count: before.post_count - 2 });
  });

  it('writes one notice for a double submit, and none when a moderator shows the thread again', async () => {
    const { threadId, title } = await repliedThread();
    const form = { ...(await moderationForm(moderator.browser, threadId)), reason: REASON };
    expect((await threadAction(moderator.browser, threadId, 'hide', form)).statusCode).toBe(303);
    expect((await threadAction(moderator.browser, threadId, 'hide', form)).statusCode).toBe(303);
    expect(await moderationNotices(author.member.id, threadId)).toHaveLength(1);
    expect((await threadAction(moderator.browser, threadId, 'unhide', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    expect(await moderationNotices(author.member.id, threadId)).toHaveLength(1);
    // Shown again, the notice reads as an action on their post and leads to it.
    const page = (await author.browser.get('/notifications')).body;
    expect(page).toContain('took action on your post in “<bdi>' + title);
    expect(page).not.toContain('hid your thread “<bdi>' + title);
  });

  it('writes no notice when the action is refused as stale (409)', async () => {
    const { threadId } = await repliedThread();
    const form = await moderationForm(moderator.browser, threadId);
    expect((await threadAction(moderator.browser, threadId, 'lock', form)).statusCode).toBe(303);
    expect((await threadAction(moderator.browser, threadId, 'hide', { ...form, reason: REASON })).statusCode).toBe(409);
    expect(await moderationNotices(author.member.id, threadId)).toEqual([]);
  });
});

describe('POST /mod/threads/:id/delete', () => {
  it('tells the author, whose notice survives the deleted thread and leads to their record; the thread is gone for everyone', async () => {
    const { threadId, title, categoryId } = await repliedThread();
    const before = await categoryCounts(t.db, categoryId);
    expect((await threadAction(moderator.browser, threadId, 'delete', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    const notices = await moderationNotices(author.member.id, threadId);
    expect(notices).toHaveLength(1);
    expect((await author.browser.get('/notifications')).body).toContain('A moderator</bdi> deleted your thread “<bdi>' + title);
    expect((await author.browser.get(`/notifications/${notices[0]!.id}`)).headers.location).toBe('/settings/moderation');
    expect((await author.browser.get('/settings/moderation')).body).toContain('Thread deleted');
    expect((await author.browser.get(`/t/${threadId}`)).statusCode).toBe(404);
    expect(await categoryCounts(t.db, categoryId)).toEqual({ thread_count: before.thread_count - 1, post_count: before.post_count - 2 });
  });

  it('brings the one notice back unread when a hidden thread is then deleted', async () => {
    const { threadId } = await repliedThread();
    expect((await threadAction(moderator.browser, threadId, 'hide', { ...(await moderationForm(moderator.browser, threadId)), reason: REASON })).statusCode).toBe(303);
    const [hidden] = await moderationNotices(author.member.id, threadId);
    await author.browser.get(`/notifications/${hidden!.id}`);
    expect((await threadAction(moderator.browser, threadId, 'delete', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    expect(await moderationNotices(author.member.id, threadId)).toEqual([{ id: hidden!.id, actor_id: null, post_id: hidden!.post_id, read_at: null }]);
  });
});
