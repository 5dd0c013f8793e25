import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_MESSAGES as M } from '../../../src/features/moderation/messages.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { createCategory, createThreads } from '../../support/forum-rows.js';
import { moderationForm, threadAction } from '../../support/thread-moderation.js';
import { refusedWritingNothing, someone, type Someone } from './support.js';

// A moderator may not act on a colleague's or an administrator's posts and threads, as they may
// not warn or suspend them; an administrator may, and a moderator may on their own.

let t: TestApp;
let moderator: Someone;
let colleague: Someone;
let administrator: Someone;
let categoryId: number;
beforeAll(async () => {
  t = await buildTestApp();
  moderator = await someone(t.app, t.db, 'moderator');
  colleague = await someone(t.app, t.db, 'moderator');
  administrator = await someone(t.app, t.db, 'administrator');
  categoryId = (await createCategory(t.db)).id;
});
afterAll(async () => t.close());

/** A thread by `author`, and its first post. */
async function threadBy(author: Someone): Promise<{ threadId: number; postId: number }> {
  const [threadId] = await createThreads(t.db, categoryId, author.member.id, 1);
  const post = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId!).where('position', '=', 1).executeTakeFirstOrThrow();
  return { threadId: threadId!, postId: post.id };
}

const postState = (postId: number) => t.db.selectFrom('posts').select(['version', 'body_source', 'hidden_at', 'deleted_at']).where('id', '=', postId).executeTakeFirstOrThrow();
const threadState = (threadId: number) => t.db.selectFrom('threads').select(['version', 'title', 'locked_at', 'hidden_at', 'deleted_at']).where('id', '=', threadId).executeTakeFirstOrThrow();

describe('a moderator and staff members’ posts', () => {
  it.each([
    ['an administrator', () => administrator],
    ['another moderator', () => colleague],
  ])('may not edit, hide or delete a post by %s (403, nothing written)', async (_who, authorOf) => {
    const { postId } = await threadBy(authorOf());
    const before = await postState(postId);
    for (const page of ['edit', 'hide', 'delete']) {
      const response = await moderator.browser.get(`/mod/posts/${postId}/${page}`);
      expect(response.statusCode, page).toBe(403);
      expect(response.body).toContain(M.staffContentOnlyByAdministrators);
    }
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/posts/${postId}/hide`, { _csrf: moderator.csrf, reason: 'Because I can.' }), 403, M.staffContentOnlyByAdministrators);
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/posts/${postId}/delete`, { _csrf: moderator.csrf, reason: 'Because I can.' }), 403, M.staffContentOnlyByAdministrators);
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/posts/${postId}/edit`, { _csrf: moderator.csrf, version: String(before.version), body: 'Rewritten by a moderator.' }), 403, M.staffContentOnlyByAdministrators);
    expect(await postState(postId)).toEqual(before);
  });

  it('an administrator may hide a moderator’s post, and a moderator may open their own', async () => {
    const { postId } = await threadBy(moderator);
    expect((await moderator.browser.get(`/mod/posts/${postId}/hide`)).statusCode).toBe(200);
    const hidden = await administrator.browser.post(`/mod/posts/${postId}/hide`, { _csrf: administrator.csrf, reason: 'Shared by mistake.' });
    expect(hidden.statusCode, hidden.body.slice(0, 300)).toBe(303);
    expect((await postState(postId)).hidden_at).not.toBeNull();
  });
});

describe('a moderator and staff members’ threads', () => {
  it.each([
    ['an administrator', () => administrator],
    ['another moderator', () => colleague],
  ])('may not open or act on a thread by %s (403, nothing written)', async (_who, authorOf) => {
    const { threadId } = await threadBy(authorOf());
    const before = await threadState(threadId);
    for (const page of [`/mod/threads/${threadId}`, `/mod/threads/${threadId}/split`]) {
      const response = await moderator.browser.get(page);
      expect(response.statusCode, page).toBe(403);
      expect(response.body).toContain(M.staffContentOnlyByAdministrators);
    }
    const form = { _csrf: moderator.csrf, version: String(before.version) };
    await refusedWritingNothing(t.db, () => threadAction(moderator.browser, threadId, 'lock', form), 403, M.staffContentOnlyByAdministrators);
    await refusedWritingNothing(t.db, () => threadAction(moderator.browser, threadId, 'hide', { ...form, reason: 'Because I can.' }), 403, M.staffContentOnlyByAdministrators);
    await refusedWritingNothing(t.db, () => threadAction(moderator.browser, threadId, 'rename', { ...form, title: 'A title the author did not choose' }), 403, M.staffContentOnlyByAdministrators);
    expect(await threadState(threadId)).toEqual(before);
  });

  it('an administrator may lock a moderator’s thread, and a moderator their own', async () => {
    const { threadId } = await threadBy(moderator);
    expect((await threadAction(administrator.browser, threadId, 'lock', await moderationForm(administrator.browser, threadId))).statusCode).toBe(303);
    expect((await threadAction(moderator.browser, threadId, 'unlock', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    expect((await threadState(threadId)).locked_at).toBeNull();
  });
});
