import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, startThread } from '../../support/discussions.js';
import { createCategory } from '../../support/forum-rows.js';
import type { TestMember } from '../../support/members.js';
import { createResource } from '../../support/resources.js';
import { moderationForm, threadAction } from '../../support/thread-moderation.js';

/*
 * The counts members see, against every action that changes what they see, with held posts in
 * the way: after each, the stored counts equal the counts made from the rows, spelled out here
 * on their own (not with the app's predicate) so a wrong definition there fails too.
 */

let t: TestApp;
let moderator: { member: TestMember; browser: Browser };
let moderatorCsrf: string;
let regular: { member: TestMember; browser: Browser };
beforeAll(async () => {
  // A new member's first post waits (FIRST_POSTS_HELD=1): a fresh member is a held post.
  t = await buildTestApp({ env: { FIRST_POSTS_HELD: '1', REPEATED_TEXT_THREADS: '2', REPEATED_TEXT_MINUTES: '10', RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  moderatorCsrf = (await moderator.browser.openForm('/mod'))._csrf!;
  // One approved post lets a member post straight away.
  regular = await memberWithBrowser(t.app, t.db);
  const first = await postReply(regular.browser, await startThread(moderator.browser, 'questions'), { body: 'An approved first reply.' });
  expect((await approve(postIdFrom(first.headers.location))).statusCode).toBe(303);
});
afterAll(async () => t.close());

/** Every thread and category whose stored counts differ from its rows, with both. */
async function countsOutOfTrue() {
  const counted = (p: string) => sql.raw(`(${p}.deleted_at is null and ${p}.hidden_at is null and ${p}.held_at is null)`);
  const threadCounted = (th: string) =>
    sql.raw(`(${th}.deleted_at is null and ${th}.hidden_at is null and not exists (select from posts f where f.thread_id = ${th}.id and f.position = 1 and f.held_at is not null))`);
  const threads = await sql<{ id: number; reply_count: number; replies: number; last_poster_id: number; last_counted_author: number | null }>`
    select t.id, t.reply_count, t.last_poster_id,
      (select count(*)::int from posts p where p.thread_id = t.id and p.position > 1 and ${counted('p')}) as replies,
      (select p.author_id from posts p where p.thread_id = t.id and ${counted('p')} order by p.created_at desc, p.id desc limit 1) as last_counted_author
    from threads t
  `.execute(t.db);
  const categories = await sql<{ id: number; thread_count: number; post_count: number; threads: number; posts: number }>`
    select c.id, c.thread_count, c.post_count,
      (select count(*)::int from threads t where t.category_id = c.id and ${threadCounted('t')}) as threads,
      (select count(*)::int from posts p join threads t on t.id = p.thread_id where t.category_id = c.id and ${threadCounted('t')} and ${counted('p')}) as posts
    from categories c
  `.execute(t.db);
  return {
    threads: threads.rows.filter((row) => row.reply_count !== row.replies || (row.last_counted_author !== null && row.last_counted_author !== row.last_poster_id)),
    categories: categories.rows.filter((row) => row.thread_count !== row.threads || row.post_count !== row.posts),
  };
}

async function expectCountsTrue() {
  expect(await countsOutOfTrue()).toEqual({ threads: [], categories: [] });
}

async function approve(postId: number) {
  return moderator.browser.post(`/mod/approvals/posts/${postId}/approve`, { _csrf: moderatorCsrf });
}

/** A reply from a member who never posted before: it waits for a moderator. */
async function heldReply(threadId: number, body = 'A reply that waits for a moderator.') {
  const newcomer = await memberWithBrowser(t.app, t.db);
  const response = await postReply(newcomer.browser, threadId, { body });
  expect(response.statusCode).toBe(303);
  const postId = postIdFrom(response.headers.location);
  expect((await t.db.selectFrom('posts').select('held_at').where('id', '=', postId).executeTakeFirstOrThrow()).held_at).not.toBeNull();
  return { postId, author: newcomer };
}

let serial = 0;
/** A title and body of their own (REPEATED_TEXT_THREADS=2 holds a member's second copy of a text). */
function fresh(title: string) {
  serial += 1;
  return { title: `${title} ${serial}`, body: `A question about keeping records, number ${serial}.` };
}

/** A thread by the regular member in its own category, with a counted reply (and a held one after it, unless told). */
async function threadWithHeldReply({ withHeldReply = true } = {}) {
  const category = await createCategory(t.db);
  const threadId = await startThread(regular.browser, category.slug, fresh('A thread about records'));
  const counted = postIdFrom((await postReply(moderator.browser, threadId, { body: 'A reply that counts.' })).headers.location);
  const held = withHeldReply ? await heldReply(threadId) : undefined;
  await expectCountsTrue();
  return { threadId, category, counted, held: held! };
}

async function moderate(threadId: number, action: string, fields: Record<string, string | string[]> = {}) {
  const response = await threadAction(moderator.browser, threadId, action, { ...(await moderationForm(moderator.browser, threadId)), ...fields });
  expect(response.statusCode, response.body).toBe(303);
}

async function threadRow(threadId: number) {
  return t.db.selectFrom('threads').select(['reply_count', 'last_poster_id', 'deleted_at', 'version']).where('id', '=', threadId).executeTakeFirstOrThrow();
}

describe('counts with held posts', () => {
  it('stay true when an author deletes their own held reply, and their own held first post', async () => {
    const { held } = await threadWithHeldReply();
    const form = await held.author.browser.openForm(`/p/${held.postId}/delete`);
    expect((await held.author.browser.post(`/p/${held.postId}/delete`, form)).statusCode).toBe(303);
    await expectCountsTrue();

    const category = await createCategory(t.db);
    const newcomer = await memberWithBrowser(t.app, t.db);
    const heldThreadId = await startThread(newcomer.browser, category.slug, { title: 'A held thread about archives' });
    await expectCountsTrue();
    const firstPost = (await t.db.selectFrom('posts').select('id').where('thread_id', '=', heldThreadId).executeTakeFirstOrThrow()).id;
    const deleteForm = await newcomer.browser.openForm(`/p/${firstPost}/delete`);
    expect((await newcomer.browser.post(`/p/${firstPost}/delete`, deleteForm)).statusCode).toBe(303);
    await expectCountsTrue();
    expect((await t.db.selectFrom('categories').select(['thread_count', 'post_count']).where('id', '=', category.id).executeTakeFirstOrThrow())).toEqual({ thread_count: 0, post_count: 0 });
  });

  it('stay true when a thread with a held reply is moved, hidden, deleted and brought back', async () => {
    const { threadId } = await threadWithHeldReply();
    const elsewhere = await createCategory(t.db);
    await moderate(threadId, 'move', { category: elsewhere.slug });
    await expectCountsTrue();
    await moderate(threadId, 'hide', { reason: 'Off topic for now.' });
    await expectCountsTrue();
    await moderate(threadId, 'delete', {});
    await expectCountsTrue();
    await moderate(threadId, 'undelete', {});
    await moderate(threadId, 'unhide', {});
    await expectCountsTrue();
  });

  it('stay true through a merge and a split with a held reply, whose author never becomes the last poster', async () => {
    const source = await threadWithHeldReply();
    const target = await threadWithHeldReply();
    await moderate(source.threadId, 'merge', { into: String(target.threadId) });
    await expectCountsTrue();
    expect((await threadRow(target.threadId)).last_poster_id).not.toBe(source.held.author.member.id);

    const other = await threadWithHeldReply();
    await moderate(other.threadId, 'split', { posts: [String(other.counted), String(other.held.postId)], category: other.category.slug, title: 'A side conversation about archives' });
    await expectCountsTrue();
    const split = await t.db.selectFrom('threads').select('id').where('title', '=', 'A side conversation about archives').executeTakeFirstOrThrow();
    expect((await threadRow(split.id)).last_poster_id).toBe(moderator.member.id);
  });

  it('count an approved reply once, and a rejected one never', async () => {
    const { threadId, held } = await threadWithHeldReply();
    expect((await approve(held.postId)).statusCode).toBe(303);
    await expectCountsTrue();
    expect((await threadRow(threadId)).last_poster_id).toBe(held.author.member.id);
    const second = await heldReply(threadId, 'Another reply that waits.');
    expect((await moderator.browser.post(`/mod/approvals/posts/${second.postId}/reject`, { _csrf: moderatorCsrf, reason: 'Not about the thread.' })).statusCode).toBe(303);
    await expectCountsTrue();
  });
});

describe('counts with hidden posts in hidden threads', () => {
  it('move once when a post is hidden and shown inside a hidden thread', async () => {
    const { threadId, counted } = await threadWithHeldReply();
    await moderate(threadId, 'hide', { reason: 'Under review.' });
    expect((await moderator.browser.post(`/mod/posts/${counted}/hide`, { _csrf: moderatorCsrf, reason: 'Names a colleague.' })).statusCode).toBe(303);
    await expectCountsTrue();
    expect((await moderator.browser.post(`/mod/posts/${counted}/unhide`, { _csrf: moderatorCsrf })).statusCode).toBe(303);
    await expectCountsTrue();
    await moderate(threadId, 'unhide', {});
    await expectCountsTrue();
  });

  it('leave the category alone when staff reply inside a hidden thread', async () => {
    const { threadId } = await threadWithHeldReply({ withHeldReply: false });
    await moderate(threadId, 'hide', { reason: 'Under review.' });
    expect((await postReply(moderator.browser, threadId, { body: 'A note for the other moderators.' })).statusCode).toBe(303);
    await expectCountsTrue();
  });
});

describe('a hidden first post', () => {
  async function firstPostOf(threadId: number) {
    return (await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '=', 1).executeTakeFirstOrThrow()).id;
  }

  it('takes its thread (and title) out of members’ lists, and brings it back when shown again', async () => {
    const { threadId, category } = await threadWithHeldReply({ withHeldReply: false });
    const { title } = await t.db.selectFrom('threads').select('title').where('id', '=', threadId).executeTakeFirstOrThrow();
    const reader = await memberWithBrowser(t.app, t.db);
    const firstPost = await firstPostOf(threadId);
    expect((await moderator.browser.post(`/mod/posts/${firstPost}/hide`, { _csrf: moderatorCsrf, reason: 'The title names a colleague.' })).statusCode).toBe(303);
    expect((await reader.browser.get(`/c/${category.slug}`)).body).not.toContain(title);
    expect((await reader.browser.get(`/t/${threadId}`)).statusCode).toBe(404);
    expect((await moderator.browser.get(`/c/${category.slug}`)).body).toContain(title);
    await expectCountsTrue();

    expect((await moderator.browser.post(`/mod/posts/${firstPost}/unhide`, { _csrf: moderatorCsrf })).statusCode).toBe(303);
    expect((await reader.browser.get(`/c/${category.slug}`)).body).toContain(title);
    await expectCountsTrue();
  });

  it('leaves a thread a moderator hid on its own account hidden when the post is shown again', async () => {
    const { threadId } = await threadWithHeldReply({ withHeldReply: false });
    await moderate(threadId, 'hide', { reason: 'Under review.' });
    const firstPost = await firstPostOf(threadId);
    expect((await moderator.browser.post(`/mod/posts/${firstPost}/hide`, { _csrf: moderatorCsrf, reason: 'Names a colleague.' })).statusCode).toBe(303);
    expect((await moderator.browser.post(`/mod/posts/${firstPost}/unhide`, { _csrf: moderatorCsrf })).statusCode).toBe(303);
    const thread = await t.db.selectFrom('threads').select(['hidden_at', 'hidden_reason']).where('id', '=', threadId).executeTakeFirstOrThrow();
    expect(thread.hidden_at).not.toBeNull();
    expect(thread.hidden_reason).toBe('Under review.');
    await expectCountsTrue();
  });
});

describe('counts with library resources', () => {
  async function flagThrice(resourceId: number) {
    for (let i = 0; i < 3; i += 1) {
      const flagger = await memberWithBrowser(t.app, t.db);
      const form = await flagger.browser.openForm(`/resources/${resourceId}/flag`);
      expect((await flagger.browser.post(`/resources/${resourceId}/flag`, { ...form, reason: 'off_topic', note: '' })).statusCode).toBe(303);
    }
  }

  it('stay true when flags hide a resource (its discussion with it) and a moderator keeps it (both back)', async () => {
    const resource = await createResource(t.db, { sharer: regular.member, title: 'A guide to keeping records, flagged' });
    await postReply(moderator.browser, resource.threadId, { body: 'A reply in the discussion.' });
    await expectCountsTrue();
    await flagThrice(resource.id);
    const reader = await memberWithBrowser(t.app, t.db);
    expect((await reader.browser.get(`/t/${resource.threadId}`)).statusCode).toBe(404);
    await expectCountsTrue();
    expect((await moderator.browser.post(`/mod/resources/${resource.id}/keep`, { _csrf: moderatorCsrf })).statusCode).toBe(303);
    expect((await reader.browser.get(`/t/${resource.threadId}`)).statusCode).not.toBe(404);
    await expectCountsTrue();
  });

  it('stay true when a resource is removed, its discussion leaving with it', async () => {
    const resource = await createResource(t.db, { sharer: regular.member, title: 'A guide to keeping records, removed' });
    await postReply(moderator.browser, resource.threadId, { body: 'A reply in the discussion.' });
    const form = await regular.browser.openForm(`/resources/${resource.id}/remove`);
    expect((await regular.browser.post(`/resources/${resource.id}/remove`, form)).statusCode).toBe(303);
    expect((await t.db.selectFrom('threads').select('hidden_at').where('id', '=', resource.threadId).executeTakeFirstOrThrow()).hidden_at).not.toBeNull();
    await expectCountsTrue();
  });
});

describe('restoring a deleted first post', () => {
  it('brings back the thread its deletion took, with a new version and one audit row', async () => {
    const category = await createCategory(t.db);
    const threadId = await startThread(regular.browser, category.slug, fresh('A thread its author deletes'));
    const firstPost = (await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).executeTakeFirstOrThrow()).id;
    const form = await regular.browser.openForm(`/p/${firstPost}/delete`);
    expect((await regular.browser.post(`/p/${firstPost}/delete`, form)).statusCode).toBe(303);
    const deleted = await threadRow(threadId);
    expect(deleted.deleted_at).not.toBeNull();
    await expectCountsTrue();

    expect((await moderator.browser.post(`/mod/posts/${firstPost}/restore`, { _csrf: moderatorCsrf })).statusCode).toBe(303);
    const restored = await threadRow(threadId);
    expect(restored.deleted_at).toBeNull();
    expect(restored.version).toBeGreaterThan(deleted.version);
    await expectCountsTrue();
    const audit = await t.db.selectFrom('audit_events').select(['action', 'details']).where('target_type', '=', 'post').where('target_id', '=', String(firstPost)).execute();
    expect(audit).toEqual([{ action: 'post.undeleted', details: { before: { deleted: true, threadDeleted: true }, after: { deleted: false, threadDeleted: false } } }]);
  });

  it('leaves a thread a moderator deleted as a whole deleted', async () => {
    const { threadId } = await threadWithHeldReply();
    const firstPost = (await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '=', 1).executeTakeFirstOrThrow()).id;
    expect((await moderator.browser.post(`/mod/posts/${firstPost}/delete`, { _csrf: moderatorCsrf, reason: '' })).statusCode).toBe(303);
    await moderate(threadId, 'delete', {});
    await expectCountsTrue();
    const response = await moderator.browser.post(`/mod/posts/${firstPost}/restore`, { _csrf: moderatorCsrf });
    expect(response.statusCode).toBe(303);
    expect((await threadRow(threadId)).deleted_at).not.toBeNull();
    await expectCountsTrue();
  });
});

describe('actions at once', () => {
  it('a merge and a hide of a post in the merged thread, side by side, both land without a deadlock', async () => {
    for (let round = 0; round < 5; round += 1) {
      const source = await threadWithHeldReply();
      const target = await threadWithHeldReply();
      const form = await moderationForm(moderator.browser, source.threadId);
      const [merged, hidden] = await Promise.all([
        threadAction(moderator.browser, source.threadId, 'merge', { ...form, into: String(target.threadId) }),
        moderator.browser.post(`/mod/posts/${source.counted}/hide`, { _csrf: moderatorCsrf, reason: 'Names a colleague.' }),
      ]);
      expect([merged.statusCode, hidden.statusCode]).toEqual([303, 303]);
      await expectCountsTrue();
    }
  });

  it('the same text sent to three threads at once is held in all but one (REPEATED_TEXT_THREADS=2)', async () => {
    for (let round = 0; round < 3; round += 1) {
      const threads = [];
      for (const place of ['first', 'second', 'third']) threads.push(await startThread(moderator.browser, 'questions', fresh(`The ${place} thread for the same text`)));
      const body = `Buy cheap printer toner at our website today, offer ${round}.`;
      const replies = await Promise.all(threads.map((threadId) => postReply(regular.browser, threadId, { body })));
      const held = await t.db.selectFrom('posts').select('held_reason').where('id', 'in', replies.map((response) => postIdFrom(response.headers.location))).execute();
      expect(held.map((row) => row.held_reason).sort()).toEqual([null, 'repeated_text', 'repeated_text']);
    }
    await expectCountsTrue();
  });
});
