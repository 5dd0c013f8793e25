import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_MESSAGES as M, THREAD_ACTION_MESSAGES } from '../../../src/features/moderation/messages.js';
import { buildTestApp, type Browser, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { addReplies, createCategory, createThreads } from '../../support/forum-rows.js';
import type { TestMember } from '../../support/members.js';
import { createResource } from '../../support/resources.js';
import { auditRows, categoryCounts, moderationForm, refusedWritingNothing, threadAction } from '../../support/thread-moderation.js';

let t: TestApp;
let moderator: { member: TestMember; browser: Browser };
let author: { member: TestMember; browser: Browser };
let replier: { member: TestMember; browser: Browser };
let administrator: { member: TestMember; browser: Browser };
let member: { member: TestMember; browser: Browser };
beforeAll(async () => {
  t = await buildTestApp();
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  author = await memberWithBrowser(t.app, t.db);
  replier = await memberWithBrowser(t.app, t.db);
  administrator = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
  member = await memberWithBrowser(t.app, t.db);
});
afterAll(async () => t.close());

/**
 * A thread whose posts were written at the given minutes past a fixed hour (the first post at
 * the first), in a category of its own with its counts kept; its id, category and post ids.
 */
async function threadWrittenAt(minutes: number[], category?: { id: number; slug: string }) {
  const home = category ?? (await createCategory(t.db));
  const [threadId] = await createThreads(t.db, home.id, author.member.id, 1);
  const replies = minutes.length > 1 ? await addReplies(t.db, threadId!, replier.member.id, minutes.length - 1) : [];
  await t.db.updateTable('categories').set((eb) => ({ post_count: eb('post_count', '+', replies.length) })).where('id', '=', home.id).execute();
  const postIds = (await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId!).orderBy('position').execute()).map((row) => row.id);
  for (const [index, id] of postIds.entries()) await t.db.updateTable('posts').set({ created_at: new Date(Date.UTC(2026, 0, 1, 9, minutes[index]!)) }).where('id', '=', id).execute();
  return { threadId: threadId!, category: home, postIds };
}


/** A thread of three posts, hidden by a moderator or deleted by one. */
async function threadTakenAway(how: 'hide' | 'delete') {
  const thread = await threadWrittenAt([0, 1, 2]);
  const fields: Record<string, string> = how === 'hide' ? { reason: 'Discloses information that is not public.' } : {};
  expect((await threadAction(moderator.browser, thread.threadId, how, { ...(await moderationForm(moderator.browser, thread.threadId)), ...fields })).statusCode).toBe(303);
  return thread;
}

const mergeForm = async (threadId: number, into: number) => ({ ...(await moderationForm(moderator.browser, threadId)), into: String(into) });

async function positions(threadId: number) {
  return t.db.selectFrom('posts').select(['id', 'position', 'reply_to_post_id']).where('thread_id', '=', threadId).orderBy('position').execute();
}

describe('POST /mod/threads/:id/merge', () => {
  it('interleaves the posts by time under the target’s first post, renumbers them, keeps replies’ links, fixes the counts and redirects the old addresses', async () => {
    const target = await threadWrittenAt([0, 10, 30]);
    const source = await threadWrittenAt([5, 20, 40]);
    // A reply in the merged thread that answers its own first post keeps that link.
    await t.db.updateTable('posts').set({ reply_to_post_id: source.postIds[0]!, depth: 1 }).where('id', '=', source.postIds[2]!).execute();
    const before = { source: await categoryCounts(t.db, source.category.id), target: await categoryCounts(t.db, target.category.id) };

    const response = await threadAction(moderator.browser, source.threadId, 'merge', { ...(await moderationForm(moderator.browser, source.threadId)), into: String(target.threadId) });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/t/${target.threadId}`);

    const [t0, t10, t30] = target.postIds;
    const [s5, s20, s40] = source.postIds;
    expect(await positions(target.threadId)).toEqual([
      { id: t0, position: 1, reply_to_post_id: null },
      { id: s5, position: 2, reply_to_post_id: null },
      { id: t10, position: 3, reply_to_post_id: null },
      { id: s20, position: 4, reply_to_post_id: null },
      { id: t30, position: 5, reply_to_post_id: null },
      { id: s40, position: 6, reply_to_post_id: s5 },
    ]);
    expect(await t.db.selectFrom('threads').select(['post_count', 'reply_count']).where('id', '=', target.threadId).executeTakeFirstOrThrow()).toEqual({ post_count: 6, reply_count: 5 });
    const merged = await t.db.selectFrom('threads').select(['merged_into_id', 'deleted_at']).where('id', '=', source.threadId).executeTakeFirstOrThrow();
    expect(merged.merged_into_id).toBe(target.threadId);
    expect(await categoryCounts(t.db, source.category.id)).toEqual({ thread_count: before.source.thread_count - 1, post_count: before.source.post_count - 3 });
    expect(await categoryCounts(t.db, target.category.id)).toEqual({ thread_count: before.target.thread_count, post_count: before.target.post_count + 3 });

    for (const address of [`/t/${source.threadId}`, `/t/${source.threadId}/made-for-a-test-number-1`]) {
      const redirect = await author.browser.get(address);
      expect(redirect.statusCode).toBe(303);
      expect(redirect.headers.location).toBe(`/t/${target.threadId}`);
    }
    const permalink = await author.browser.get(`/p/${s40}`);
    expect(permalink.headers.location).toBe(`/t/${target.threadId}/made-for-a-test-number-1#post-${s40}`);
    expect((await author.browser.get(`/c/${source.category.slug}`)).body).not.toContain(`/t/${source.threadId}/`);
    expect((await auditRows(t.db, source.threadId))[0]).toMatchObject({ action: 'thread.merged', subject_member_id: author.member.id, details: { after: { thread: target.threadId } } });
  });

  it('refuses to merge a thread into itself, into one that does not exist, is over bigint or is not a number, with 422, writing nothing', async () => {
    const source = await threadWrittenAt([0, 1]);
    const form = await moderationForm(moderator.browser, source.threadId);
    await refusedWritingNothing(t.db, [source.threadId], () => threadAction(moderator.browser, source.threadId, 'merge', { ...form, into: String(source.threadId) }), 422, THREAD_ACTION_MESSAGES.mergeIntoItself);
    for (const into of ['999999999999', '99999999999999999999', 'abc', '1; DROP TABLE threads', '<script>', '1\u0000']) {
      await refusedWritingNothing(t.db, [source.threadId], () => threadAction(moderator.browser, source.threadId, 'merge', { ...form, into }), 422, THREAD_ACTION_MESSAGES.noSuchTarget);
    }
    await refusedWritingNothing(t.db, [source.threadId], () => threadAction(moderator.browser, source.threadId, 'merge', form), 422, THREAD_ACTION_MESSAGES.chooseTarget);
  });

  it('refuses to merge into a deleted thread, to merge away a library resource’s thread or into one, writing nothing', async () => {
    const source = await threadWrittenAt([0, 1]);
    const gone = await threadWrittenAt([0]);
    await t.db.updateTable('threads').set({ deleted_at: new Date() }).where('id', '=', gone.threadId).execute();
    await refusedWritingNothing(t.db, [source.threadId, gone.threadId], async () => threadAction(moderator.browser, source.threadId, 'merge', { ...(await moderationForm(moderator.browser, source.threadId)), into: String(gone.threadId) }), 422, THREAD_ACTION_MESSAGES.targetGone);
    const resource = await createResource(t.db, { sharer: { id: author.member.id, agencyId: author.member.agencyId } });
    await refusedWritingNothing(t.db, [resource.threadId, source.threadId], async () => threadAction(moderator.browser, resource.threadId, 'merge', { ...(await moderationForm(moderator.browser, resource.threadId)), into: String(source.threadId) }), 422, THREAD_ACTION_MESSAGES.resourceThread);
    await refusedWritingNothing(t.db, [source.threadId, resource.threadId], async () => threadAction(moderator.browser, source.threadId, 'merge', await mergeForm(source.threadId, resource.threadId)), 422, THREAD_ACTION_MESSAGES.intoResourceThread);
  });

  it('refuses to merge a hidden thread, or one a moderator deleted, with 422, writing nothing: its posts stay out of members’ sight', async () => {
    const target = await threadWrittenAt([0]);
    for (const how of ['hide', 'delete'] as const) {
      const source = await threadTakenAway(how);
      await refusedWritingNothing(t.db, [source.threadId, target.threadId], async () => threadAction(moderator.browser, source.threadId, 'merge', await mergeForm(source.threadId, target.threadId)), 422, THREAD_ACTION_MESSAGES.notShown);
      expect((await member.browser.get(`/p/${source.postIds[1]}`)).statusCode).toBe(404);
    }
  });

  it('refuses to merge into a hidden thread, with 422, writing nothing', async () => {
    const source = await threadWrittenAt([0, 1]);
    const hidden = await threadTakenAway('hide');
    await refusedWritingNothing(t.db, [source.threadId, hidden.threadId], async () => threadAction(moderator.browser, source.threadId, 'merge', await mergeForm(source.threadId, hidden.threadId)), 422, THREAD_ACTION_MESSAGES.targetHidden);
  });

  it('refuses to merge a thread only staff see into one members see (422, writing nothing), and merges it into another staff-only thread', async () => {
    const source = await threadWrittenAt([0, 1], await createCategory(t.db, { visibleTo: 'moderators' }));
    const open = await threadWrittenAt([0]);
    await refusedWritingNothing(t.db, [source.threadId, open.threadId], async () => threadAction(moderator.browser, source.threadId, 'merge', await mergeForm(source.threadId, open.threadId)), 422, THREAD_ACTION_MESSAGES.widerAudience);
    expect((await member.browser.get(`/p/${source.postIds[1]}`)).statusCode).toBe(404);
    const staffOnly = await threadWrittenAt([0], await createCategory(t.db, { visibleTo: 'moderators' }));
    expect((await threadAction(moderator.browser, source.threadId, 'merge', await mergeForm(source.threadId, staffOnly.threadId))).statusCode).toBe(303);
  });

  it('refuses a moderator merging a member’s thread into an administrator’s (403), writing nothing; an administrator may', async () => {
    const source = await threadWrittenAt([0, 1]);
    const [adminThreadId] = await createThreads(t.db, (await createCategory(t.db)).id, administrator.member.id, 1);
    await refusedWritingNothing(t.db, [source.threadId, adminThreadId!], async () => threadAction(moderator.browser, source.threadId, 'merge', await mergeForm(source.threadId, adminThreadId!)), 403, M.staffContentOnlyByAdministrators);
    const form = { ...(await administrator.browser.openForm(`/mod/threads/${source.threadId}`)), into: String(adminThreadId) };
    expect((await threadAction(administrator.browser, source.threadId, 'merge', form)).statusCode).toBe(303);
  });

  it('takes a double submit once: the second is refused as stale or merged, writing nothing', async () => {
    const target = await threadWrittenAt([0]);
    const source = await threadWrittenAt([1, 2]);
    const form = { ...(await moderationForm(moderator.browser, source.threadId)), into: String(target.threadId) };
    expect((await threadAction(moderator.browser, source.threadId, 'merge', form)).statusCode).toBe(303);
    await refusedWritingNothing(t.db, [source.threadId, target.threadId], () => threadAction(moderator.browser, source.threadId, 'merge', form), 422, THREAD_ACTION_MESSAGES.mergedAway);
    expect(await auditRows(t.db, source.threadId)).toHaveLength(1);
  });
});

describe('GET and POST /mod/threads/:id/split', () => {
  it('lists the thread’s posts with a checkbox for each reply, none for the first post', async () => {
    const source = await threadWrittenAt([0, 1, 2]);
    const page = (await moderator.browser.get(`/mod/threads/${source.threadId}/split`)).body;
    expect(page).not.toContain(`name="posts" value="${source.postIds[0]}"`);
    expect(page).toContain(`name="posts" value="${source.postIds[1]}"`);
    expect(page).toContain(`name="posts" value="${source.postIds[2]}"`);
    expect((await author.browser.get(`/mod/threads/${source.threadId}/split`)).statusCode).toBe(403);
  });

  it('splits the chosen replies into a new thread in the chosen category, numbers both threads again and fixes every count', async () => {
    const source = await threadWrittenAt([0, 1, 2, 3]);
    const to = await createCategory(t.db);
    const before = { source: await categoryCounts(t.db, source.category.id), to: await categoryCounts(t.db, to.id) };
    const [first, r1, r2, r3] = source.postIds;
    // r3 answers r2: both go, so the link stays; r2 answers r1, which stays, so that link goes.
    await t.db.updateTable('posts').set({ reply_to_post_id: r1!, depth: 1 }).where('id', '=', r2!).execute();
    await t.db.updateTable('posts').set({ reply_to_post_id: r2!, depth: 2 }).where('id', '=', r3!).execute();
    const hidden = await moderator.browser.openForm(`/mod/threads/${source.threadId}/split`);
    const response = await threadAction(moderator.browser, source.threadId, 'split', { ...hidden, posts: [String(r2), String(r3)], category: to.slug, title: 'A side conversation' });
    expect(response.statusCode, response.body.slice(0, 400)).toBe(303);
    const newThreadId = Number(/^\/t\/(\d+)$/.exec(String(response.headers.location))![1]);

    expect(await positions(newThreadId)).toEqual([
      { id: r2, position: 1, reply_to_post_id: null },
      { id: r3, position: 2, reply_to_post_id: r2 },
    ]);
    expect(await positions(source.threadId)).toEqual([
      { id: first, position: 1, reply_to_post_id: null },
      { id: r1, position: 2, reply_to_post_id: null },
    ]);
    const created = await t.db.selectFrom('threads').select(['title', 'category_id', 'author_id', 'post_count', 'reply_count']).where('id', '=', newThreadId).executeTakeFirstOrThrow();
    expect(created).toEqual({ title: 'A side conversation', category_id: to.id, author_id: replier.member.id, post_count: 2, reply_count: 1 });
    expect(await t.db.selectFrom('threads').select(['post_count', 'reply_count']).where('id', '=', source.threadId).executeTakeFirstOrThrow()).toEqual({ post_count: 2, reply_count: 1 });
    expect(await categoryCounts(t.db, source.category.id)).toEqual({ thread_count: before.source.thread_count, post_count: before.source.post_count - 2 });
    expect(await categoryCounts(t.db, to.id)).toEqual({ thread_count: before.to.thread_count + 1, post_count: before.to.post_count + 2 });
    expect((await auditRows(t.db, source.threadId))[0]).toMatchObject({ action: 'thread.split', details: { before: { posts: [r2, r3] }, after: { thread: newThreadId, category: to.slug } } });
    const page = await replier.browser.get(`/t/${newThreadId}/a-side-conversation`);
    expect(page.statusCode).toBe(200);
  });

  it('refuses no posts, a post from another thread, the first post, a bad id, or a category that does not exist, with 422 on the split page, writing nothing', async () => {
    const source = await threadWrittenAt([0, 1, 2]);
    const other = await threadWrittenAt([0, 1]);
    const hidden = await moderator.browser.openForm(`/mod/threads/${source.threadId}/split`);
    const fields = { ...hidden, category: source.category.slug, title: 'A side conversation' };
    const ids = [source.threadId, other.threadId];
    await refusedWritingNothing(t.db, ids, () => threadAction(moderator.browser, source.threadId, 'split', fields), 422, THREAD_ACTION_MESSAGES.choosePosts);
    await refusedWritingNothing(t.db, ids, () => threadAction(moderator.browser, source.threadId, 'split', { ...fields, posts: [String(source.postIds[1]), String(other.postIds[1])] }), 422, THREAD_ACTION_MESSAGES.postsNotInThread);
    await refusedWritingNothing(t.db, ids, () => threadAction(moderator.browser, source.threadId, 'split', { ...fields, posts: String(source.postIds[0]) }), 422, THREAD_ACTION_MESSAGES.firstPostStays);
    for (const bad of ['99999999999999999999', 'abc', '999999999999']) {
      await refusedWritingNothing(t.db, ids, () => threadAction(moderator.browser, source.threadId, 'split', { ...fields, posts: bad }), 422, THREAD_ACTION_MESSAGES.postsNotInThread);
    }
    const kept = await refusedWritingNothing(t.db, ids, () => threadAction(moderator.browser, source.threadId, 'split', { ...fields, posts: String(source.postIds[2]), category: 'no-such-category' }), 422, THREAD_ACTION_MESSAGES.noSuchCategory);
    // The form comes back with the choice kept.
    expect(kept.body).toContain(`name="posts" value="${source.postIds[2]}" checked`);
    await refusedWritingNothing(t.db, ids, () => threadAction(moderator.browser, source.threadId, 'split', { ...fields, posts: String(source.postIds[2]), title: '' }), 422, 'Enter a title');
  });

  it('refuses to split replies off a hidden thread, or one a moderator deleted, with 422, writing nothing: they stay out of members’ sight', async () => {
    for (const how of ['hide', 'delete'] as const) {
      const source = await threadTakenAway(how);
      const hidden = await moderator.browser.openForm(`/mod/threads/${source.threadId}/split`);
      const fields = { ...hidden, posts: String(source.postIds[2]), category: source.category.slug, title: 'Split off a thread taken away' };
      await refusedWritingNothing(t.db, [source.threadId], () => threadAction(moderator.browser, source.threadId, 'split', fields), 422, THREAD_ACTION_MESSAGES.notShown);
      expect((await member.browser.get(`/p/${source.postIds[2]}`)).statusCode).toBe(404);
    }
  });

  it('refuses to split replies off a thread only staff see into a category members see (422, writing nothing), and splits them into a staff-only one', async () => {
    const source = await threadWrittenAt([0, 1, 2], await createCategory(t.db, { visibleTo: 'moderators' }));
    const open = await createCategory(t.db);
    const hidden = await moderator.browser.openForm(`/mod/threads/${source.threadId}/split`);
    const fields = { ...hidden, posts: String(source.postIds[2]), title: 'A side conversation among staff' };
    await refusedWritingNothing(t.db, [source.threadId], () => threadAction(moderator.browser, source.threadId, 'split', { ...fields, category: open.slug }), 422, THREAD_ACTION_MESSAGES.widerAudience);
    expect((await member.browser.get(`/p/${source.postIds[2]}`)).statusCode).toBe(404);
    const staffOnly = await createCategory(t.db, { visibleTo: 'moderators' });
    expect((await threadAction(moderator.browser, source.threadId, 'split', { ...fields, category: staffOnly.slug })).statusCode).toBe(303);
  });

  it('refuses a moderator splitting off an administrator’s reply, alone or among members’ (403), writing nothing', async () => {
    const source = await threadWrittenAt([0, 1]);
    const [adminReply] = await addReplies(t.db, source.threadId, administrator.member.id, 1);
    const hidden = await moderator.browser.openForm(`/mod/threads/${source.threadId}/split`);
    const fields = { ...hidden, category: source.category.slug, title: 'Split off by a moderator' };
    for (const posts of [String(adminReply), [String(source.postIds[1]), String(adminReply)]]) {
      await refusedWritingNothing(t.db, [source.threadId], () => threadAction(moderator.browser, source.threadId, 'split', { ...fields, posts }), 403, M.staffContentOnlyByAdministrators);
    }
  });

  it('answers a split from a stale page with 409, writing nothing', async () => {
    const source = await threadWrittenAt([0, 1, 2]);
    const hidden = await moderator.browser.openForm(`/mod/threads/${source.threadId}/split`);
    expect((await threadAction(moderator.browser, source.threadId, 'lock', await moderationForm(moderator.browser, source.threadId))).statusCode).toBe(303);
    await refusedWritingNothing(t.db, [source.threadId], () => threadAction(moderator.browser, source.threadId, 'split', { ...hidden, posts: String(source.postIds[1]), category: source.category.slug, title: 'A side conversation' }), 409, THREAD_ACTION_MESSAGES.stale);
  });
});
