import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { THREAD_ACTION_MESSAGES } from '../../../src/features/moderation/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postReply, replyFormOf, threadPageOf } from '../../support/discussions.js';
import { addReplies, createCategory, createThreads } from '../../support/forum-rows.js';
import type { TestMember } from '../../support/members.js';
import { editForm, firstPostOf } from '../../support/edits.js';
import { createResource } from '../../support/resources.js';
import { auditRows, categoryCounts, moderationForm, refusedWritingNothing, threadAction } from '../../support/thread-moderation.js';

let t: TestApp;
let moderator: { member: TestMember; browser: Browser };
let author: { member: TestMember; browser: Browser };
beforeAll(async () => {
  t = await buildTestApp();
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  author = await memberWithBrowser(t.app, t.db);
});
afterAll(async () => t.close());

/** A thread of its own in a category of its own, with `replies` replies by its author. */
async function threadWithReplies(replies = 2) {
  const category = await createCategory(t.db);
  const [threadId] = await createThreads(t.db, category.id, author.member.id, 1);
  if (replies > 0) await addReplies(t.db, threadId!, author.member.id, replies);
  await t.db.updateTable('categories').set((eb) => ({ post_count: eb('post_count', '+', replies) })).where('id', '=', category.id).execute();
  return { category, threadId: threadId! };
}


describe('POST /mod/threads/:id/lock and /unlock', () => {
  it('locks the thread (members can no longer reply), bumps its version and writes the audit row; unlock undoes it', async () => {
    const { threadId } = await threadWithReplies(1);
    // A reply form opened before the lock: the page shows none once the thread is locked.
    const replyForm = await replyFormOf(author.browser, threadId);
    const form = await moderationForm(moderator.browser, threadId);
    const response = await threadAction(moderator.browser, threadId, 'lock', form);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/t/${threadId}`);
    const thread = await t.db.selectFrom('threads').select(['locked_at', 'version']).where('id', '=', threadId).executeTakeFirstOrThrow();
    expect(thread.locked_at).not.toBeNull();
    expect(thread.version).toBe(Number(form.version) + 1);
    expect(await auditRows(t.db, threadId)).toEqual([
      { action: 'thread.locked', actor_member_id: moderator.member.id, subject_member_id: author.member.id, target_type: 'thread', details: { before: { locked: false }, after: { locked: true } } },
    ]);

    const reply = await author.browser.post(`/t/${threadId}/reply`, { ...replyForm, body: 'One more thing.' });
    expect(reply.statusCode).toBe(403);
    expect(reply.body).toContain(DISCUSSION_MESSAGES.threadLocked);

    const unlocked = await threadAction(moderator.browser, threadId, 'unlock', await moderationForm(moderator.browser, threadId));
    expect(unlocked.statusCode).toBe(303);
    expect((await postReply(author.browser, threadId, { body: 'One more thing.' })).statusCode).toBe(303);
    expect((await auditRows(t.db, threadId)).map((row) => row.action)).toEqual(['thread.locked', 'thread.unlocked']);
  });

  it('takes a double submit once: the second finds the thread locked, writes nothing and goes back to it', async () => {
    const { threadId } = await threadWithReplies(0);
    const form = await moderationForm(moderator.browser, threadId);
    expect((await threadAction(moderator.browser, threadId, 'lock', form)).statusCode).toBe(303);
    const again = await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'lock', form), 303);
    expect(again.headers.location).toBe(`/t/${threadId}`);
    expect(await auditRows(t.db, threadId)).toHaveLength(1);
  });
});

describe('the Moderate panel on the thread page', () => {
  it('is shown to staff with the thread’s version, and never to members', async () => {
    const { threadId } = await threadWithReplies(0);
    const staffPage = await threadPageOf(moderator.browser, threadId);
    expect(staffPage).toContain('<h2 id="moderate-heading">Moderate</h2>');
    expect(staffPage).toContain(`action="/mod/threads/${threadId}/lock"`);
    expect(staffPage).toContain('<button type="submit" name="version" value="1" class="button--secondary">Lock</button>');
    const memberPage = await threadPageOf(author.browser, threadId);
    expect(memberPage).not.toContain('Moderate');
    expect(memberPage).not.toContain('/mod/threads/');
  });
});

describe('who may act', () => {
  it('refuses a member (403) and sends a visitor to sign in, writing nothing', async () => {
    const { threadId } = await threadWithReplies(0);
    const csrf = (await author.browser.openForm('/c'))._csrf!;
    for (const action of ['lock', 'pin', 'move', 'rename', 'hide', 'delete', 'merge', 'split']) {
      await refusedWritingNothing(t.db, [threadId], () => threadAction(author.browser, threadId, action, { _csrf: csrf, version: '1', scope: 'site', category: 'questions', title: 'Taken over', reason: 'x', into: '1', posts: '1' }), 403);
    }
    expect((await author.browser.get(`/mod/threads/${threadId}`)).statusCode).toBe(403);
    const visitor = new Browser(t.app);
    // No session, so no CSRF token: the form is refused before the role is looked at.
    await refusedWritingNothing(t.db, [threadId], () => threadAction(visitor, threadId, 'lock', { version: '1' }), 403);
    const page = await visitor.get(`/mod/threads/${threadId}`);
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toMatch(/^\/login\?next=/);
  });

  it('refuses a form without its CSRF token (403), writing nothing', async () => {
    const { threadId } = await threadWithReplies(0);
    const form = await moderationForm(moderator.browser, threadId);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'lock', { version: form.version }), 403);
  });

  it('answers 404 for a thread that does not exist, an id over bigint, or no id at all, writing nothing', async () => {
    const { threadId } = await threadWithReplies(0);
    const form = await moderationForm(moderator.browser, threadId);
    for (const id of ['999999999999', '99999999999999999999', '9223372036854775808', '1.5', '-1', 'abc', '%00']) {
      await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, id, 'lock', form), 404);
      expect((await moderator.browser.get(`/mod/threads/${id}`)).statusCode).toBe(404);
    }
  });
});

describe('bad forms', () => {
  it('refuses a missing, non-numeric or overlong version, and fields no form has, with 422 and a message', async () => {
    const { threadId } = await threadWithReplies(0);
    const { _csrf } = await moderationForm(moderator.browser, threadId);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'lock', { _csrf }), 422, THREAD_ACTION_MESSAGES.badVersion);
    for (const version of ['abc', '1e3', '0', "1' OR 1=1 --", '99999999999999', '1\u0000']) {
      await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'lock', { _csrf, version }), 422, THREAD_ACTION_MESSAGES.badVersion);
    }
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'lock', { _csrf, version: '1', locked_at: 'now' }), 422);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'lock', { _csrf, version: ['1', '2'] }), 422, THREAD_ACTION_MESSAGES.badVersion);
  });
});

describe('optimistic versions', () => {
  it('answers a stale form with 409 and the thread as it now is, writing nothing', async () => {
    const { threadId } = await threadWithReplies(0);
    const other = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const seen = await moderationForm(other.browser, threadId);
    expect((await threadAction(moderator.browser, threadId, 'lock', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    const response = await refusedWritingNothing(t.db, [threadId], () => threadAction(other.browser, threadId, 'pin', { ...seen, scope: 'category' }), 409, THREAD_ACTION_MESSAGES.stale);
    expect(response.body).toMatch(/<dt>Locked<\/dt><dd>Yes/);
    expect(response.body).toMatch(/<dt>Pinned<\/dt><dd>No/);
    expect(response.body).toContain('<input type="hidden" name="version" value="2">');
  });

  it('lets one of two moderators acting at once on the same version through: the other gets 409', async () => {
    const { threadId } = await threadWithReplies(1);
    const target = await createCategory(t.db);
    const other = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const [first, second] = [await moderationForm(moderator.browser, threadId), await moderationForm(other.browser, threadId)];
    const responses = await Promise.all([
      threadAction(moderator.browser, threadId, 'move', { ...first, category: target.slug }),
      threadAction(other.browser, threadId, 'pin', { ...second, scope: 'site' }),
    ]);
    expect(responses.map((response) => response.statusCode).sort()).toEqual([303, 409]);
    const thread = await t.db.selectFrom('threads').select(['version', 'category_id', 'pinned_at']).where('id', '=', threadId).executeTakeFirstOrThrow();
    expect(thread.version).toBe(2);
    // Exactly one of the two happened.
    expect(Number(thread.category_id === target.id) + Number(thread.pinned_at !== null)).toBe(1);
    expect(await auditRows(t.db, threadId)).toHaveLength(1);
  });
});

describe('POST /mod/threads/:id/pin and /unpin', () => {
  it('pins in the category: first on its page', async () => {
    const { category, threadId } = await threadWithReplies(0);
    await createThreads(t.db, category.id, author.member.id, 2, new Date(Date.now() + 60_000));
    expect((await threadAction(moderator.browser, threadId, 'pin', { ...(await moderationForm(moderator.browser, threadId)), scope: 'category' })).statusCode).toBe(303);
    const page = (await author.browser.get(`/c/${category.slug}`)).body;
    expect(/<a href="\/t\/(\d+)\//.exec(page.slice(page.indexOf('<ul class="thread-list">')))?.[1]).toBe(String(threadId));
    expect(page).toMatch(new RegExp(`<span class="tag">Pinned</span>\\s*<a href="/t/${threadId}/`));
    expect((await auditRows(t.db, threadId))[0]).toMatchObject({ action: 'thread.pinned', details: { before: { pinned: 'none' }, after: { pinned: 'category' } } });
  });

  it('pins across the site: the thread leads every category page and the home page’s list, until unpinned', async () => {
    const { threadId } = await threadWithReplies(0);
    const elsewhere = await createCategory(t.db);
    await createThreads(t.db, elsewhere.id, author.member.id, 2, new Date(Date.now() + 60_000));
    expect((await threadAction(moderator.browser, threadId, 'pin', { ...(await moderationForm(moderator.browser, threadId)), scope: 'site' })).statusCode).toBe(303);
    const firstThreadLink = (html: string) => /<a href="\/t\/(\d+)\//.exec(html.slice(html.indexOf('<ul class="thread-list">')))?.[1];
    const categoryPage = (await author.browser.get(`/c/${elsewhere.slug}`)).body;
    expect(firstThreadLink(categoryPage)).toBe(String(threadId));
    expect(categoryPage).toContain('Pinned across the site');
    const home = (await author.browser.get('/')).body;
    expect(home.slice(home.lastIndexOf('<ul class="thread-list">'))).toMatch(new RegExp(`^<ul class="thread-list">\\s*<li[^>]*>\\s*<p class="thread-list__title">\\s*<span class="tag">Pinned across the site</span>\\s*<a href="/t/${threadId}/`));

    expect((await threadAction(moderator.browser, threadId, 'unpin', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    expect((await author.browser.get(`/c/${elsewhere.slug}`)).body).not.toContain(`/t/${threadId}/`);
    const thread = await t.db.selectFrom('threads').select(['pinned_at', 'pinned_site_wide']).where('id', '=', threadId).executeTakeFirstOrThrow();
    expect(thread).toEqual({ pinned_at: null, pinned_site_wide: false });
  });

  it('refuses a missing or unknown scope with 422, writing nothing', async () => {
    const { threadId } = await threadWithReplies(0);
    const form = await moderationForm(moderator.browser, threadId);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'pin', form), 422, THREAD_ACTION_MESSAGES.badScope);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'pin', { ...form, scope: '<script>alert(1)</script>' }), 422, THREAD_ACTION_MESSAGES.badScope);
  });
});

describe('POST /mod/threads/:id/move', () => {
  it('moves the thread and its posts between the two categories’ counts', async () => {
    const { category, threadId } = await threadWithReplies(2);
    const target = await createCategory(t.db);
    const before = { from: await categoryCounts(t.db, category.id), to: await categoryCounts(t.db, target.id) };
    const response = await threadAction(moderator.browser, threadId, 'move', { ...(await moderationForm(moderator.browser, threadId)), category: target.slug });
    expect(response.statusCode).toBe(303);
    expect((await t.db.selectFrom('threads').select('category_id').where('id', '=', threadId).executeTakeFirstOrThrow()).category_id).toBe(target.id);
    expect(await categoryCounts(t.db, category.id)).toEqual({ thread_count: before.from.thread_count - 1, post_count: before.from.post_count - 3 });
    expect(await categoryCounts(t.db, target.id)).toEqual({ thread_count: before.to.thread_count + 1, post_count: before.to.post_count + 3 });
    expect((await auditRows(t.db, threadId))[0]).toMatchObject({ action: 'thread.moved', subject_member_id: author.member.id, details: { before: { category: category.slug }, after: { category: target.slug } } });
  });

  it('refuses a category that does not exist, none chosen, or hostile text, with 422 on the moderation page, writing nothing', async () => {
    const { threadId } = await threadWithReplies(0);
    const form = await moderationForm(moderator.browser, threadId);
    for (const category of ['no-such-category', "questions' OR 1=1 --", '<script>alert(1)</script>', 'questions\u0000', 'x'.repeat(61)]) {
      const response = await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'move', { ...form, category }), 422, THREAD_ACTION_MESSAGES.noSuchCategory);
      expect(response.body).not.toContain('<script>alert(1)');
    }
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'move', form), 422, THREAD_ACTION_MESSAGES.chooseCategory);
  });

  it('refuses to move a library resource’s discussion thread, writing nothing', async () => {
    const resource = await createResource(t.db, { sharer: { id: author.member.id, agencyId: author.member.agencyId } });
    const form = await moderationForm(moderator.browser, resource.threadId);
    await refusedWritingNothing(t.db, [resource.threadId], () => threadAction(moderator.browser, resource.threadId, 'move', { ...form, category: 'questions' }), 422, THREAD_ACTION_MESSAGES.resourceThread);
  });
});

describe('POST /mod/threads/:id/rename', () => {
  it('renames the thread and keeps the old title among its revisions', async () => {
    const { threadId } = await threadWithReplies(0);
    const response = await threadAction(moderator.browser, threadId, 'rename', { ...(await moderationForm(moderator.browser, threadId)), title: 'A clearer title for this' });
    expect(response.statusCode).toBe(303);
    expect(await t.db.selectFrom('threads').select(['title', 'slug']).where('id', '=', threadId).executeTakeFirstOrThrow()).toEqual({ title: 'A clearer title for this', slug: 'a-clearer-title-for-this' });
    expect(await t.db.selectFrom('thread_title_revisions').select(['title', 'replaced_by']).where('thread_id', '=', threadId).execute()).toEqual([{ title: 'Made for a test, number 1', replaced_by: moderator.member.id }]);
    expect((await auditRows(t.db, threadId))[0]).toMatchObject({ action: 'thread.renamed', details: { before: { title: 'Made for a test, number 1' }, after: { title: 'A clearer title for this' } } });
  });

  it('answers a rename form opened before the author retitled the thread with 409, writing nothing', async () => {
    const { threadId } = await threadWithReplies(0);
    const firstPostId = await firstPostOf(t.db, threadId);
    const renameForm = await moderationForm(moderator.browser, threadId);
    const edited = await author.browser.post(`/p/${firstPostId}/edit`, { ...(await editForm(author.browser, firstPostId)), body: 'Made for a test, edited.', title: 'The author’s corrected title' });
    expect(edited.statusCode, edited.body.slice(0, 300)).toBe(303);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'rename', { ...renameForm, title: 'A moderator’s title on a stale form' }), 409, THREAD_ACTION_MESSAGES.stale);
    expect((await t.db.selectFrom('threads').select('title').where('id', '=', threadId).executeTakeFirstOrThrow()).title).toBe('The author’s corrected title');
  });

  it('refuses an empty, short, overlong, multi-line or NUL title with 422, and shows a script as text', async () => {
    const { threadId } = await threadWithReplies(0);
    const form = await moderationForm(moderator.browser, threadId);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'rename', { ...form, title: '\u200B ' }), 422, DISCUSSION_MESSAGES.titleRequired);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'rename', { ...form, title: 'Hey' }), 422, DISCUSSION_MESSAGES.titleTooShort);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'rename', { ...form, title: 'x'.repeat(151) }), 422, 'Title must be at most 150 characters');
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'rename', { ...form, title: 'Two\r\nlines here' }), 422, 'Title must be on one line');
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'rename', { ...form, title: 'A title\u0000here' }), 422, 'Title must not contain NUL characters');
    const scripted = await threadAction(moderator.browser, threadId, 'rename', { ...form, title: '<script>alert(1)</script>' });
    expect(scripted.statusCode).toBe(303);
    const page = await threadPageOf(moderator.browser, threadId);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>alert(1)');
  });
});

describe('POST /mod/threads/:id/hide and /unhide', () => {
  it('hides the thread from members (404, out of lists and counts), keeps it for staff marked with the reason, and restores it', async () => {
    const { category, threadId } = await threadWithReplies(2);
    const before = await categoryCounts(t.db, category.id);
    expect((await author.browser.get('/')).body).toContain(`/t/${threadId}/`);
    const response = await threadAction(moderator.browser, threadId, 'hide', { ...(await moderationForm(moderator.browser, threadId)), reason: 'Discloses a colleague’s home address.' });
    expect(response.statusCode).toBe(303);
    expect((await author.browser.get(`/t/${threadId}`)).statusCode).toBe(404);
    expect((await author.browser.get(`/c/${category.slug}`)).body).not.toContain(`/t/${threadId}/`);
    expect((await author.browser.get('/')).body).not.toContain(`/t/${threadId}/`);
    const firstPost = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '=', 1).executeTakeFirstOrThrow();
    expect((await author.browser.get(`/p/${firstPost.id}`)).statusCode).toBe(404);
    expect(await categoryCounts(t.db, category.id)).toEqual({ thread_count: before.thread_count - 1, post_count: before.post_count - 3 });
    const staffPage = await threadPageOf(moderator.browser, threadId);
    expect(staffPage).toContain('<span class="tag tag--removed">Hidden from members</span>');
    expect(staffPage).toContain('Hidden from members because: Discloses a colleague’s home address.');
    expect((await moderator.browser.get(`/c/${category.slug}`)).body).toMatch(new RegExp(`<span class="tag tag--removed">Hidden from members</span>\\s*<a href="/t/${threadId}/`));
    expect((await auditRows(t.db, threadId))[0]).toMatchObject({ action: 'thread.hidden', details: { reason: 'Discloses a colleague’s home address.', before: { hidden: false }, after: { hidden: true } } });

    expect((await threadAction(moderator.browser, threadId, 'unhide', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    expect((await author.browser.get(`/t/${threadId}`)).statusCode).toBe(303);
    expect(await categoryCounts(t.db, category.id)).toEqual(before);
    expect((await t.db.selectFrom('threads').select(['hidden_at', 'hidden_reason']).where('id', '=', threadId).executeTakeFirstOrThrow())).toEqual({ hidden_at: null, hidden_reason: null });
  });

  it('refuses a missing, overlong or NUL reason with 422, writing nothing', async () => {
    const { threadId } = await threadWithReplies(0);
    const form = await moderationForm(moderator.browser, threadId);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'hide', form), 422, THREAD_ACTION_MESSAGES.reasonRequired);
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'hide', { ...form, reason: 'x'.repeat(1001) }), 422, 'Reason must be at most 1,000 characters');
    await refusedWritingNothing(t.db, [threadId], () => threadAction(moderator.browser, threadId, 'hide', { ...form, reason: 'bad\u0000' }), 422, 'Reason must not contain NUL characters');
  });
});

describe('POST /mod/threads/:id/delete and /undelete', () => {
  it('deletes the thread for members (404, out of counts), keeps it for staff marked, and restores it; hiding a deleted thread moves no count', async () => {
    const { category, threadId } = await threadWithReplies(1);
    const before = await categoryCounts(t.db, category.id);
    expect((await threadAction(moderator.browser, threadId, 'delete', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    expect((await author.browser.get(`/t/${threadId}`)).statusCode).toBe(404);
    expect(await categoryCounts(t.db, category.id)).toEqual({ thread_count: before.thread_count - 1, post_count: before.post_count - 2 });
    expect(await threadPageOf(moderator.browser, threadId)).toContain('<span class="tag tag--removed">Deleted</span>');

    expect((await threadAction(moderator.browser, threadId, 'hide', { ...(await moderationForm(moderator.browser, threadId)), reason: 'Spam' })).statusCode).toBe(303);
    expect(await categoryCounts(t.db, category.id)).toEqual({ thread_count: before.thread_count - 1, post_count: before.post_count - 2 });
    expect((await threadAction(moderator.browser, threadId, 'undelete', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    expect((await threadAction(moderator.browser, threadId, 'unhide', await moderationForm(moderator.browser, threadId))).statusCode).toBe(303);
    expect(await categoryCounts(t.db, category.id)).toEqual(before);
    expect((await auditRows(t.db, threadId)).map((row) => row.action)).toEqual(['thread.deleted', 'thread.hidden', 'thread.undeleted', 'thread.unhidden']);
  });
});
