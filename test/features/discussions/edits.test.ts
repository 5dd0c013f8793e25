import Handlebars from 'handlebars';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, hiddenFields as hiddenOf, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, startThread } from '../../support/discussions.js';
import { createMember } from '../../support/members.js';
import { editForm, firstPostOf, writtenState } from '../../support/edits.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

const escape = (text: string) => Handlebars.escapeExpression(text);

/** A thread by one member with a reply by another: the usual scene for an edit. */
async function threadWithReply() {
  const author = await memberWithBrowser(t.app, t.db);
  const replier = await memberWithBrowser(t.app, t.db);
  const threadId = await startThread(author.browser, 'questions', { title: 'Archiving posts on a budget', body: 'What do you use?' });
  const reply = await postReply(replier.browser, threadId, { body: 'We use **an archiving service**.' });
  return { author, replier, threadId, firstPostId: await firstPostOf(t.db, threadId), replyId: postIdFrom(reply.headers.location) };
}

describe('GET /p/:id/edit', () => {
  it('shows the first post with its title, labelled Message, and a reply labelled Reply, each with its version', async () => {
    const { author, replier, firstPostId, replyId } = await threadWithReply();
    const first = await author.browser.get(`/p/${firstPostId}/edit`);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('<label for="field-title">Title</label>');
    expect(first.body).toContain('value="Archiving posts on a budget"');
    expect(first.body).toContain('<label for="field-body">Message</label>');
    expect(first.body).toContain('>What do you use?</textarea>');
    expect(first.body).toContain('<input type="hidden" name="version" value="1">');

    const reply = await replier.browser.get(`/p/${replyId}/edit`);
    expect(reply.body).toContain('<label for="field-body">Reply</label>');
    expect(reply.body).not.toContain('field-title');
  });

  it('refuses someone else’s post with 403, a moderator’s too, and a post the viewer cannot see with 404', async () => {
    const { replyId } = await threadWithReply();
    const { browser: other } = await memberWithBrowser(t.app, t.db);
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    for (const browser of [other, moderator]) {
      const response = await browser.get(`/p/${replyId}/edit`);
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain(DISCUSSION_MESSAGES.notYourPost);
    }
    const loungeThread = await startThread(moderator, 'moderators');
    expect((await other.get(`/p/${await firstPostOf(t.db, loungeThread)}/edit`)).statusCode).toBe(404);
    expect((await other.get('/p/99999999999/edit')).statusCode).toBe(404);
    expect((await other.get('/p/abc/edit')).statusCode).toBe(404);
    expect((await new Browser(t.app).get(`/p/${replyId}/edit`)).headers.location).toBe(`/login?next=%2Fp%2F${replyId}%2Fedit`);
  });
});

describe('POST /p/:id/edit', () => {
  it('saves a new version: the old text kept as a revision, the body re-rendered, "edited" linked to the versions', async () => {
    const { replier, replyId } = await threadWithReply();
    const form = await editForm(replier.browser, replyId);
    const response = await replier.browser.post(`/p/${replyId}/edit`, { ...form, body: 'We use _two_ archiving services.' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/p/${replyId}`);

    const post = await t.db.selectFrom('posts').select(['version', 'body_source', 'body_html', 'edited_at', 'created_at']).where('id', '=', replyId).executeTakeFirstOrThrow();
    expect(post).toMatchObject({ version: 2, body_source: 'We use _two_ archiving services.' });
    expect(post.body_html).toContain('<em>two</em>');
    expect(post.edited_at).not.toBeNull();
    const revisions = await t.db.selectFrom('post_revisions').select(['version', 'body_source', 'written_at', 'replaced_by']).where('post_id', '=', replyId).execute();
    expect(revisions).toEqual([{ version: 1, body_source: 'We use **an archiving service**.', written_at: post.created_at, replaced_by: replier.member.id }]);

    const page = await replier.browser.get((await replier.browser.get(`/p/${replyId}`)).headers.location as string);
    expect(page.body).toContain(DISCUSSION_MESSAGES.postEdited);
    expect(page.body).toContain(`<a href="/p/${replyId}/revisions">edited`);
    expect(page.body).toContain(`<a href="/p/${replyId}/edit">Edit`);
  });

  it('retitles the thread from its first post, keeps the old title, and sends the old address to the new one', async () => {
    const { author, threadId, firstPostId } = await threadWithReply();
    const form = await editForm(author.browser, firstPostId);
    const response = await author.browser.post(`/p/${firstPostId}/edit`, { ...form, title: 'Archiving posts for free', body: 'What do you use?' });
    expect(response.statusCode).toBe(303);
    const thread = await t.db.selectFrom('threads').select(['title', 'slug', 'title_edited_at']).where('id', '=', threadId).executeTakeFirstOrThrow();
    expect(thread).toMatchObject({ title: 'Archiving posts for free', slug: 'archiving-posts-for-free' });
    expect(thread.title_edited_at).not.toBeNull();
    expect(await t.db.selectFrom('thread_title_revisions').select(['title', 'replaced_by']).where('thread_id', '=', threadId).execute()).toEqual([{ title: 'Archiving posts on a budget', replaced_by: author.member.id }]);
    // Only the title changed, but it is a new version all the same: a stale form gets 409.
    expect(await t.db.selectFrom('posts').select('version').where('id', '=', firstPostId).executeTakeFirst()).toEqual({ version: 2 });
    const old = await author.browser.get(`/t/${threadId}/archiving-posts-on-a-budget`);
    expect(old.headers.location).toBe(`/t/${threadId}/archiving-posts-for-free`);
    expect((await author.browser.get(old.headers.location as string)).body).toContain(`<a href="/p/${firstPostId}/revisions">edited`);
    expect((await author.browser.get(`/p/${firstPostId}/revisions`)).body).toContain('“<bdi>Archiving posts on a budget</bdi>”, replaced by');
  });

  it('makes no revision for an edit that changes nothing', async () => {
    const { author, firstPostId } = await threadWithReply();
    const form = await editForm(author.browser, firstPostId);
    const before = await writtenState(t.db, firstPostId);
    const response = await author.browser.post(`/p/${firstPostId}/edit`, { ...form, title: 'Archiving posts on a budget', body: '  What do you use?\u200B ' });
    expect(response.statusCode).toBe(303);
    expect(await writtenState(t.db, firstPostId)).toEqual(before);
  });

  it('answers the second of two forms opened at one version with 409, the current text and the editor’s own; one new version', async () => {
    const { replier, replyId } = await threadWithReply();
    const firstTab = await editForm(replier.browser, replyId);
    const secondTab = await editForm(replier.browser, replyId);
    expect((await replier.browser.post(`/p/${replyId}/edit`, { ...firstTab, body: 'Saved from the first tab.' })).statusCode).toBe(303);
    const before = await writtenState(t.db, replyId);

    const stale = await replier.browser.post(`/p/${replyId}/edit`, { ...secondTab, body: 'Typed in the second tab <b>with care</b>.' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain(escape(DISCUSSION_MESSAGES.editConflict));
    expect(stale.body).toContain('<pre class="kept-text">Saved from the first tab.</pre>');
    expect(stale.body).toContain(`>${escape('Typed in the second tab <b>with care</b>.')}</textarea>`);
    expect(stale.body).toContain('<input type="hidden" name="version" value="2">');
    expect(await writtenState(t.db, replyId)).toEqual(before);
    expect(await t.db.selectFrom('post_revisions').select('version').where('post_id', '=', replyId).execute()).toEqual([{ version: 1 }]);

    // Having compared them, the editor saves over the current version on purpose.
    const again = await replier.browser.post(`/p/${replyId}/edit`, { ...secondTab, version: '2', body: 'Merged from both tabs.' });
    expect(again.statusCode).toBe(303);
    expect((await writtenState(t.db, replyId)).post.version).toBe(3);
  });

  it('answers a stale form that changes only the title with 409, so an old title is never put back', async () => {
    const { author, firstPostId, threadId } = await threadWithReply();
    const firstTab = await editForm(author.browser, firstPostId);
    const secondTab = await editForm(author.browser, firstPostId);
    expect((await author.browser.post(`/p/${firstPostId}/edit`, { ...firstTab, title: 'Retitled in the first tab', body: 'What do you use?' })).statusCode).toBe(303);
    const stale = await author.browser.post(`/p/${firstPostId}/edit`, { ...secondTab, title: 'Retitled in the second tab', body: 'What do you use?' });
    expect(stale.statusCode).toBe(409);
    // Nor does a stale body edit, which carries the title the form was opened with.
    expect((await author.browser.post(`/p/${firstPostId}/edit`, { ...secondTab, title: 'Archiving posts on a budget', body: 'A new body from a stale form.' })).statusCode).toBe(409);
    const thread = await t.db.selectFrom('threads').select('title').where('id', '=', threadId).executeTakeFirstOrThrow();
    expect(thread.title).toBe('Retitled in the first tab');
  });

  it('tells only the members an edit newly mentions, once each', async () => {
    const { author, replier, firstPostId } = await threadWithReply();
    const mentioned = await createMember(t.db);
    const alreadyMentioned = await createMember(t.db);
    const notifications = () => t.db.selectFrom('notifications').select(['member_id', 'kind']).where('post_id', '=', firstPostId).orderBy('id').execute();
    let form = await editForm(author.browser, firstPostId);
    await author.browser.post(`/p/${firstPostId}/edit`, { ...form, title: 'Archiving posts on a budget', body: `Asking @${alreadyMentioned.handle}.` });
    form = await editForm(author.browser, firstPostId);
    await author.browser.post(`/p/${firstPostId}/edit`, { ...form, title: 'Archiving posts on a budget', body: `Asking @${alreadyMentioned.handle} and @${mentioned.handle}.` });
    form = await editForm(author.browser, firstPostId);
    await author.browser.post(`/p/${firstPostId}/edit`, { ...form, title: 'Archiving posts on a budget', body: `Asking @${mentioned.handle} again.` });
    // The replier watches the thread and is not mentioned: the edits tell them nothing.
    expect(await notifications()).toEqual([
      { member_id: alreadyMentioned.id, kind: 'mention' },
      { member_id: mentioned.id, kind: 'mention' },
    ]);
    expect(await t.db.selectFrom('notifications').select('id').where('member_id', '=', replier.member.id).where('post_id', '=', firstPostId).execute()).toEqual([]);
  });

  it('lets an author edit in a locked thread (locking stops replies, not corrections)', async () => {
    const { replier, threadId, replyId } = await threadWithReply();
    await t.db.updateTable('threads').set({ locked_at: sql`now()` }).where('id', '=', threadId).execute();
    const form = await editForm(replier.browser, replyId);
    expect((await replier.browser.post(`/p/${replyId}/edit`, { ...form, body: 'A correction after the lock.' })).statusCode).toBe(303);
  });

  it('refuses changes to a post a moderator has hidden, and offers none', async () => {
    const { replier, threadId, replyId } = await threadWithReply();
    await t.db.updateTable('posts').set({ hidden_at: sql`now()` }).where('id', '=', replyId).execute();
    const before = await writtenState(t.db, replyId);
    for (const action of ['edit', 'delete']) {
      const response = await replier.browser.post(`/p/${replyId}/${action}`, { ...(await replier.browser.openForm('/c')), version: '1', body: 'Changed while hidden' });
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain(escape(DISCUSSION_MESSAGES.postIsHidden));
    }
    expect(await writtenState(t.db, replyId)).toEqual(before);
    const page = await replier.browser.get((await replier.browser.get(`/t/${threadId}`)).headers.location as string);
    expect(page.body).not.toContain(`/p/${replyId}/edit`);
  });

  it('refuses someone else’s post (403) and a post the viewer cannot see (404), writing nothing', async () => {
    const { author, replyId } = await threadWithReply();
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const before = await writtenState(t.db, replyId);
    for (const browser of [author.browser, moderator]) {
      // The sign-out form in the header carries a CSRF token: the edit form itself is refused.
      const response = await browser.post(`/p/${replyId}/edit`, { ...(await browser.openForm('/c')), version: '1', body: 'Not mine to change.' });
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain(DISCUSSION_MESSAGES.notYourPost);
    }
    const loungePost = await firstPostOf(t.db, await startThread(moderator, 'moderators'));
    const response = await author.browser.post(`/p/${loungePost}/edit`, { ...(await author.browser.openForm('/c')), version: '1', body: 'Hello' });
    expect(response.statusCode).toBe(404);
    expect(await writtenState(t.db, replyId)).toEqual(before);
  });

  it.each([
    ['an empty reply', { body: '' }, DISCUSSION_MESSAGES.replyRequired],
    ['only zero-width spaces', { body: '\u200B\u200B\uFEFF' }, DISCUSSION_MESSAGES.replyRequired],
    ['32,001 characters', { body: 'x'.repeat(32_001) }, 'Reply must be at most 32,000 characters (it is 32,001)'],
    ['a NUL', { body: 'before\0after' }, 'Reply must not contain NUL characters'],
    ['a version of abc', { version: 'abc' }, DISCUSSION_MESSAGES.badVersion],
    ['a version of -1', { version: '-1' }, DISCUSSION_MESSAGES.badVersion],
    ['a huge version', { version: '99999999999999999999' }, DISCUSSION_MESSAGES.badVersion],
    ['no version', { version: undefined }, DISCUSSION_MESSAGES.badVersion],
    ['an author_id', { author_id: '1' }, PAGE_MESSAGES.unexpectedField],
    ['a pinned_at', { pinned_at: '2020-01-01' }, PAGE_MESSAGES.unexpectedField],
    ['a title on a reply', { title: 'Sneaking in a new title' }, PAGE_MESSAGES.unexpectedField],
  ])('refuses %s with 422 and a message, writing nothing', async (_name, change, message) => {
    const { replier, replyId } = await threadWithReply();
    const form = await editForm(replier.browser, replyId);
    const before = await writtenState(t.db, replyId);
    const fields: Record<string, string> = { ...form, body: 'A perfectly good edit.' };
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined) delete fields[key];
      else fields[key] = value;
    }
    const response = await replier.browser.post(`/p/${replyId}/edit`, fields);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(escape(message));
    expect(response.body).toContain('<label for="field-body">Reply</label>');
    expect(await writtenState(t.db, replyId)).toEqual(before);
  });

  it.each([
    ['an empty title', { title: '  ' }, DISCUSSION_MESSAGES.titleRequired],
    ['a title of zero-width characters', { title: '\u200B\u200C\u200D\u2060\u200B' }, DISCUSSION_MESSAGES.titleRequired],
    ['a short title', { title: 'Hey' }, DISCUSSION_MESSAGES.titleTooShort],
    ['a title of 151 characters', { title: 'x'.repeat(151) }, 'Title must be at most 150 characters (it is 151)'],
    ['an empty message', { body: '' }, DISCUSSION_MESSAGES.bodyRequired],
  ])('refuses %s on the first post with 422, writing nothing', async (_name, change, message) => {
    const { author, firstPostId } = await threadWithReply();
    const form = await editForm(author.browser, firstPostId);
    const before = await writtenState(t.db, firstPostId);
    const response = await author.browser.post(`/p/${firstPostId}/edit`, { ...form, title: 'A good new title', body: 'A good new body', ...change });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(escape(message));
    expect(await writtenState(t.db, firstPostId)).toEqual(before);
  });

  it('refuses a prototype key (400) and invalid UTF-8 (400), writing nothing', async () => {
    const { replier, replyId } = await threadWithReply();
    const form = await editForm(replier.browser, replyId);
    const before = await writtenState(t.db, replyId);
    const proto = await replier.browser.postRaw(`/p/${replyId}/edit`, `_csrf=${encodeURIComponent(form._csrf!)}&version=1&body=hi&__proto__%5Bx%5D=1`);
    expect(proto.statusCode).toBe(400);
    const invalid = await replier.browser.postRaw(`/p/${replyId}/edit`, `_csrf=${encodeURIComponent(form._csrf!)}&version=1&body=%FF%FE`);
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain(escape(PAGE_MESSAGES.invalidEncoding));
    expect(await writtenState(t.db, replyId)).toEqual(before);
  });

  it('stores script and javascript: links made harmless', async () => {
    const { replier, replyId } = await threadWithReply();
    const form = await editForm(replier.browser, replyId);
    const body = '<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) [again](JaVaScRiPt:alert(1))';
    expect((await replier.browser.post(`/p/${replyId}/edit`, { ...form, body })).statusCode).toBe(303);
    const { body_html: html } = await t.db.selectFrom('posts').select('body_html').where('id', '=', replyId).executeTakeFirstOrThrow();
    expect(html).not.toMatch(/<script|<img|<[^>]+\son\w+=|href="\s*javascript:/i);
    const revisions = await replier.browser.get(`/p/${replyId}/revisions`);
    expect(revisions.body).not.toMatch(/<script>alert|<img src|href="javascript:/i);
  });

  it('counts edits against the posting limit: 429 with Retry-After, the text kept, nothing written', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const postId = await firstPostOf(t.db, await startThread(browser, 'questions', { title: 'Limits on edits', body: 'Version 1' }));
    // A first-day member may post 10 times an hour; the thread was the first.
    for (let version = 1; version <= 9; version += 1) {
      const response = await browser.post(`/p/${postId}/edit`, { ...(await editForm(browser, postId)), title: 'Limits on edits', body: `Version ${version + 1}` });
      expect(response.statusCode).toBe(303);
    }
    const before = await writtenState(t.db, postId);
    const limited = await browser.post(`/p/${postId}/edit`, { ...(await editForm(browser, postId)), title: 'Limits on edits', body: 'One edit too many' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).toMatch(/You have posted as much as Commons allows in an hour .* try again in about 1 hour\./);
    expect(limited.body).toContain('One edit too many</textarea>');
    expect(await writtenState(t.db, postId)).toEqual(before);
  });
});

describe('GET /p/:id/revisions', () => {
  it('lists every version newest first, rendered, with who wrote it and when', async () => {
    const { replier, replyId } = await threadWithReply();
    for (const body of ['Second: *two*', 'Third: `three`']) {
      await replier.browser.post(`/p/${replyId}/edit`, { ...(await editForm(replier.browser, replyId)), body });
    }
    const page = await replier.browser.get(`/p/${replyId}/revisions`);
    expect(page.statusCode).toBe(200);
    const headings = [...page.body.matchAll(/<h2 id="version-\d+" class="revision__heading">([^<]+)<\/h2>/g)].map((match) => match[1]);
    expect(headings).toEqual(['Version 3 (current)', 'Version 2', 'Version 1']);
    const places = ['<code>three</code>', '<em>two</em>', '<strong>an archiving service</strong>'].map((html) => page.body.indexOf(html));
    expect(places[0]).toBeGreaterThan(0);
    expect([...places].sort((a, b) => a - b)).toEqual(places);
    expect(page.body.match(new RegExp(`${replier.member.displayName}, <time`, 'g'))).toHaveLength(3);
  });

  it('is open to any member who may see the post, and 404 where they may not', async () => {
    const { replyId } = await threadWithReply();
    const { browser: other } = await memberWithBrowser(t.app, t.db);
    expect((await other.get(`/p/${replyId}/revisions`)).statusCode).toBe(200);
    expect((await other.get(`/p/${replyId}/revisions?page=2`)).statusCode).toBe(404);
    expect((await other.get(`/p/${replyId}/revisions?page=abc`)).statusCode).toBe(400);
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const loungePost = await firstPostOf(t.db, await startThread(moderator, 'moderators'));
    expect((await other.get(`/p/${loungePost}/revisions`)).statusCode).toBe(404);
    expect((await moderator.get(`/p/${loungePost}/revisions`)).statusCode).toBe(200);
  });
});

describe('deleting a post', () => {
  it('asks first, then replaces a reply with a placeholder and takes it out of the counts', async () => {
    const { replier, replyId } = await threadWithReply();
    const confirm = await replier.browser.get(`/p/${replyId}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Your reply is replaced by a note that you deleted it');
    const before = await writtenState(t.db, replyId);

    const response = await replier.browser.post(`/p/${replyId}/delete`, hiddenOf(confirm.body));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/p/${replyId}`);
    const after = await writtenState(t.db, replyId);
    expect(after.post.deleted_at).not.toBeNull();
    expect(after.post.deleted_by).toBe(replier.member.id);
    expect(after.thread.reply_count).toBe(before.thread.reply_count - 1);
    expect(after.category.post_count).toBe(before.category.post_count - 1);
    expect(after.thread.deleted_at).toBeNull();

    const page = await replier.browser.get((await replier.browser.get(`/p/${replyId}`)).headers.location as string);
    expect(page.body).toContain(DISCUSSION_MESSAGES.postDeleted);
    expect(page.body).toContain('This post was deleted by its author.');
    expect(page.body).not.toContain('an archiving service');
    expect(page.body).not.toContain(`/p/${replyId}/edit`);

    // A double submit changes nothing more.
    const again = await replier.browser.post(`/p/${replyId}/delete`, hiddenOf(confirm.body));
    expect(again.headers.location).toBe(`/p/${replyId}`);
    expect(await writtenState(t.db, replyId)).toEqual(after);
  });

  it('shows an edit sent after the post was deleted (in another tab) back to its writer', async () => {
    const { replier, replyId } = await threadWithReply();
    const form = await editForm(replier.browser, replyId);
    await replier.browser.post(`/p/${replyId}/delete`, await replier.browser.openForm(`/p/${replyId}/delete`));
    const before = await writtenState(t.db, replyId);
    const late = await replier.browser.post(`/p/${replyId}/edit`, { ...form, body: 'A careful correction.' });
    expect(late.statusCode).toBe(404);
    expect(late.body).toContain(DISCUSSION_MESSAGES.postWasDeleted);
    expect(late.body).toContain('<pre class="kept-text">A careful correction.</pre>');
    expect(await writtenState(t.db, replyId)).toEqual(before);
  });

  it('then refuses to edit it, reply to it, quote it or show its versions to a member', async () => {
    const { author, replier, threadId, replyId } = await threadWithReply();
    await replier.browser.post(`/p/${replyId}/delete`, await replier.browser.openForm(`/p/${replyId}/delete`));
    const edit = await replier.browser.get(`/p/${replyId}/edit`);
    expect(edit.statusCode).toBe(404);
    expect(edit.body).toContain(DISCUSSION_MESSAGES.postWasDeleted);
    expect((await postReply(author.browser, threadId, { reply_to: String(replyId) })).statusCode).toBe(422);
    expect((await author.browser.get(`/t/${threadId}/archiving-posts-on-a-budget?quote=${replyId}`)).statusCode).toBe(404);
    expect((await author.browser.get(`/p/${replyId}/revisions`)).statusCode).toBe(404);
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    expect((await moderator.get(`/p/${replyId}/revisions`)).statusCode).toBe(200);
  });

  it('deletes a thread with its first post when nobody has replied, once however often it is submitted', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(browser, 'questions', { title: 'A question I answered myself', body: 'Never mind.' });
    const postId = await firstPostOf(t.db, threadId);
    const confirm = await browser.get(`/p/${postId}/delete`);
    expect(confirm.body).toContain('deletes the thread “<bdi>A question I answered myself</bdi>” too');
    const before = await writtenState(t.db, postId);

    const responses = await Promise.all(Array.from({ length: 5 }, () => browser.post(`/p/${postId}/delete`, hiddenOf(confirm.body))));
    expect(responses.map((response) => [response.statusCode, response.headers.location])).toEqual(Array.from({ length: 5 }, () => [303, '/c/questions']));
    const after = await writtenState(t.db, postId);
    expect(after.thread.deleted_at).not.toBeNull();
    expect(after.category).toEqual({ thread_count: before.category.thread_count - 1, post_count: before.category.post_count - 1 });
    expect((await browser.get(`/t/${threadId}`)).statusCode).toBe(404);
    expect((await browser.post(`/p/${postId}/delete`, hiddenOf(confirm.body))).headers.location).toBe('/c/questions');
  });

  it('leaves a thread with replies standing, its first post a placeholder', async () => {
    const { author, threadId, firstPostId } = await threadWithReply();
    const confirm = await author.browser.get(`/p/${firstPostId}/delete`);
    expect(confirm.body).toContain('The thread stays, with its replies');
    const before = await writtenState(t.db, firstPostId);
    expect((await author.browser.post(`/p/${firstPostId}/delete`, hiddenOf(confirm.body))).headers.location).toBe(`/p/${firstPostId}`);
    const after = await writtenState(t.db, firstPostId);
    expect(after.thread).toEqual(before.thread);
    expect(after.category.post_count).toBe(before.category.post_count - 1);
    const page = await author.browser.get((await author.browser.get(`/t/${threadId}`)).headers.location as string);
    expect(page.body).toContain('This post was deleted by its author.');
    expect(page.body).toContain('an archiving service');
  });

  it('refuses someone else’s post (403, a moderator too), an unseen one (404) and an unexpected field (422), writing nothing', async () => {
    const { author, replyId } = await threadWithReply();
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const before = await writtenState(t.db, replyId);
    for (const browser of [author.browser, moderator]) {
      expect((await browser.get(`/p/${replyId}/delete`)).statusCode).toBe(403);
      const response = await browser.post(`/p/${replyId}/delete`, await browser.openForm('/c'));
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain(DISCUSSION_MESSAGES.notYourPost);
    }
    const loungePost = await firstPostOf(t.db, await startThread(moderator, 'moderators'));
    expect((await author.browser.post(`/p/${loungePost}/delete`, await author.browser.openForm('/c'))).statusCode).toBe(404);
    expect(await writtenState(t.db, replyId)).toEqual(before);

    const { replier, replyId: ownReply } = await threadWithReply();
    const ownBefore = await writtenState(t.db, ownReply);
    const extra = await replier.browser.post(`/p/${ownReply}/delete`, { ...(await replier.browser.openForm(`/p/${ownReply}/delete`)), author_id: String(author.member.id) });
    expect(extra.statusCode).toBe(422);
    expect(extra.body).toContain(escape(PAGE_MESSAGES.unexpectedField));
    expect(await writtenState(t.db, ownReply)).toEqual(ownBefore);
  });
});
