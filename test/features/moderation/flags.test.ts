import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_MESSAGES as M } from '../../../src/features/moderation/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { articleOf, memberWithBrowser, postIdFrom, postReply, startThread, threadPageOf } from '../../support/discussions.js';
import { firstPostOf } from '../../support/edits.js';
import { moderationState, refusedWritingNothing } from '../../support/moderation.js';
import { createResource, resourcePageOf } from '../../support/resources.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { FLAG_HIDE_THRESHOLD: '3' } });
});
afterAll(async () => t.close());

/** A thread by one member with a reply by another, and a third member to flag it. */
async function scene() {
  const author = await memberWithBrowser(t.app, t.db);
  const replier = await memberWithBrowser(t.app, t.db);
  const flagger = await memberWithBrowser(t.app, t.db);
  const threadId = await startThread(author.browser, 'questions', { title: 'Archiving posts on a budget', body: 'What do you use?' });
  const reply = await postReply(replier.browser, threadId, { body: 'Buy my archiving product at a discount!' });
  return { author, replier, flagger, threadId, firstPostId: await firstPostOf(t.db, threadId), replyId: postIdFrom(reply.headers.location) };
}

async function flag(browser: Browser, path: string, fields: Record<string, string>) {
  const hidden = await browser.openForm(path);
  return browser.post(path, { ...hidden, ...fields });
}

describe('GET /p/:id/flag', () => {
  it('offers the reasons and a note, linked from the post on its thread page (not on one’s own post)', async () => {
    const { replier, flagger, threadId, replyId } = await scene();
    const page = await threadPageOf(flagger.browser, threadId);
    expect(articleOf(page, replyId)).toContain(`<a href="/p/${replyId}/flag">Flag`);
    expect(articleOf(await threadPageOf(replier.browser, threadId), replyId)).not.toContain('/flag"');
    const form = await flagger.browser.get(`/p/${replyId}/flag`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label for="field-reason">Why are you flagging it?</label>');
    expect(form.body).toContain('<option value="other">Something else</option>');
    expect(form.body).toContain('<label for="field-note">Note for the moderators</label>');
  });
});

describe('POST /p/:id/flag', () => {
  it('records the flag once, with its reason and note, and thanks the flagger', async () => {
    const { flagger, replyId } = await scene();
    const response = await flag(flagger.browser, `/p/${replyId}/flag`, { reason: 'spam', note: 'Selling things' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/p/${replyId}`);
    const flags = await t.db.selectFrom('flags').select(['post_id', 'resource_id', 'flagger_id', 'reason', 'note', 'resolved_at']).where('post_id', '=', replyId).execute();
    expect(flags).toEqual([{ post_id: replyId, resource_id: null, flagger_id: flagger.member.id, reason: 'spam', note: 'Selling things', resolved_at: null }]);
    const after = await flagger.browser.get((await flagger.browser.get(`/p/${replyId}`)).headers.location as string);
    expect(after.body).toContain(M.flagged);
  });

  it('refuses a second flag from the same member with a clear message, writing nothing', async () => {
    const { flagger, replyId } = await scene();
    const hidden = await flagger.browser.openForm(`/p/${replyId}/flag`);
    expect((await flagger.browser.post(`/p/${replyId}/flag`, { ...hidden, reason: 'spam', note: '' })).statusCode).toBe(303);
    const before = await moderationState(t.db);
    const again = await flagger.browser.post(`/p/${replyId}/flag`, { ...hidden, reason: 'off_topic', note: '' });
    expect(again.statusCode).toBe(303);
    expect(await moderationState(t.db)).toEqual(before);
    const page = await flagger.browser.get((await flagger.browser.get(`/p/${replyId}`)).headers.location as string);
    expect(page.body).toContain(M.alreadyFlagged);
    // The form says so too, instead of offering to flag again.
    const form = await flagger.browser.get(`/p/${replyId}/flag`);
    expect(form.body).toContain(M.alreadyFlagged);
    expect(form.body).not.toContain('name="reason"');
  });

  it('refuses flagging one’s own post with 403', async () => {
    const { replier, replyId } = await scene();
    expect((await replier.browser.get(`/p/${replyId}/flag`)).statusCode).toBe(403);
    const csrf = (await replier.browser.openForm('/c'))._csrf!;
    await refusedWritingNothing(t.db, () => replier.browser.post(`/p/${replyId}/flag`, { _csrf: csrf, reason: 'spam', note: '' }), 403, M.ownContent);
  });

  it('refuses bad input with 422 and the form kept, writing nothing', async () => {
    const { flagger, replyId } = await scene();
    const hidden = await flagger.browser.openForm(`/p/${replyId}/flag`);
    const send = (fields: Record<string, string>) => () => flagger.browser.post(`/p/${replyId}/flag`, { ...hidden, ...fields });
    await refusedWritingNothing(t.db, send({ note: 'no reason' }), 422, M.chooseReason);
    await refusedWritingNothing(t.db, send({ reason: 'rude', note: '' }), 422, M.chooseReason);
    await refusedWritingNothing(t.db, send({ reason: "' OR 1=1 --", note: '' }), 422, M.chooseReason);
    await refusedWritingNothing(t.db, send({ reason: 'other', note: '   ' }), 422, 'Say what is wrong in the note');
    const long = await refusedWritingNothing(t.db, send({ reason: 'other', note: 'x'.repeat(10_000) }), 422, 'Note must be at most 1,000 characters (it is 10,000)');
    expect(long.body).toContain('<option value="other" selected>');
    await refusedWritingNothing(t.db, send({ reason: 'spam', note: 'a\0b' }), 422, 'Note must not contain NUL characters');
    await refusedWritingNothing(t.db, send({ reason: 'spam', note: '', role: 'administrator' }), 422);
  });

  it('keeps hostile text as text: a note with a script tag is stored as written and shown escaped', async () => {
    const { flagger, replyId } = await scene();
    const note = '<script>alert(1)</script> [x](javascript:alert(1))';
    expect((await flag(flagger.browser, `/p/${replyId}/flag`, { reason: 'other', note })).statusCode).toBe(303);
    expect((await t.db.selectFrom('flags').select('note').where('post_id', '=', replyId).executeTakeFirstOrThrow()).note).toBe(note);
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const queue = await moderator.get('/mod');
    expect(queue.body).not.toContain('<script>alert(1)');
    expect(queue.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('answers ids that name nothing, over bigint, or a post the member cannot see with 404, and a visitor with sign-in', async () => {
    const { flagger, replyId } = await scene();
    const csrf = (await flagger.browser.openForm('/c'))._csrf!;
    for (const id of ['99999999999', '9223372036854775808', '99999999999999999999', '1.5', '-1', 'abc']) {
      await refusedWritingNothing(t.db, () => flagger.browser.post(`/p/${id}/flag`, { _csrf: csrf, reason: 'spam', note: '' }), 404);
    }
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const lounge = await startThread(moderator, 'moderators');
    const loungePost = await firstPostOf(t.db, lounge);
    await refusedWritingNothing(t.db, () => flagger.browser.post(`/p/${loungePost}/flag`, { _csrf: csrf, reason: 'spam', note: '' }), 404);
    const visitor = new Browser(t.app);
    expect((await visitor.get(`/p/${replyId}/flag`)).headers.location).toBe(`/login?next=%2Fp%2F${replyId}%2Fflag`);
    await refusedWritingNothing(t.db, () => visitor.post(`/p/${replyId}/flag`, { reason: 'spam', note: '' }), 403);
  });

  it('hides the post from members when open flags reach FLAG_HIDE_THRESHOLD, audited, and counts it out of the thread', async () => {
    const { author, replier, threadId, replyId } = await scene();
    const flaggers = await Promise.all([1, 2, 3].map(() => memberWithBrowser(t.app, t.db)));
    for (const [index, { browser }] of flaggers.entries()) {
      await flag(browser, `/p/${replyId}/flag`, { reason: 'spam', note: '' });
      const post = await t.db.selectFrom('posts').select(['hidden_at', 'hidden_by', 'hidden_reason']).where('id', '=', replyId).executeTakeFirstOrThrow();
      expect(post.hidden_at === null).toBe(index < 2);
      expect(post.hidden_by).toBeNull();
    }
    expect((await t.db.selectFrom('threads').select('reply_count').where('id', '=', threadId).executeTakeFirstOrThrow()).reply_count).toBe(0);
    const audit = await t.db.selectFrom('audit_events').select(['action', 'actor_label', 'subject_member_id']).where('target_type', '=', 'post').where('target_id', '=', String(replyId)).execute();
    expect(audit).toEqual([{ action: 'post.hidden_by_flags', actor_label: 'system', subject_member_id: replier.member.id }]);
    // Members see a placeholder; the author too, told it waits for review; staff see it, marked.
    const memberPage = articleOf(await threadPageOf(author.browser, threadId), replyId);
    expect(memberPage).not.toContain('Buy my archiving product');
    expect(memberPage).toContain('This post is hidden until a moderator reviews it.');
    expect(articleOf(await threadPageOf(replier.browser, threadId), replyId)).toContain('This post is hidden until a moderator reviews it.');
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const staffPage = articleOf(await threadPageOf(moderator, threadId), replyId);
    expect(staffPage).toContain('Buy my archiving product');
    expect(staffPage).toContain('after flags, until a moderator reviews it');
    // A fourth member can no longer flag it (nor see it).
    const fourth = await memberWithBrowser(t.app, t.db);
    const csrf = (await fourth.browser.openForm('/c'))._csrf!;
    await refusedWritingNothing(t.db, () => fourth.browser.post(`/p/${replyId}/flag`, { _csrf: csrf, reason: 'spam', note: '' }), 404);
  });
});

describe('flagging a resource', () => {
  it('flags from the resource page; at the threshold the resource leaves the library, its page and its counts for members', async () => {
    const sharer = await memberWithBrowser(t.app, t.db);
    const resource = await createResource(t.db, { sharer: sharer.member, title: 'A guide to flagged things', tags: ['flagged-guide'] });
    const flaggers = await Promise.all([1, 2, 3].map(() => memberWithBrowser(t.app, t.db)));
    expect(await resourcePageOf(flaggers[0]!.browser, resource.id)).toContain(`<a href="/resources/${resource.id}/flag">Flag`);
    expect(await resourcePageOf(sharer.browser, resource.id)).not.toContain(`/resources/${resource.id}/flag"`);
    await refusedWritingNothing(t.db, async () => sharer.browser.post(`/resources/${resource.id}/flag`, { _csrf: (await sharer.browser.openForm('/c'))._csrf!, reason: 'spam', note: '' }), 403, M.ownContent);

    const library = async (browser: Browser) => (await browser.get('/resources?tag=flagged-guide')).body;
    expect(await library(flaggers[0]!.browser)).toContain('A guide to flagged things');
    for (const { browser } of flaggers) expect((await flag(browser, `/resources/${resource.id}/flag`, { reason: 'off_topic', note: '' })).statusCode).toBe(303);
    const row = await t.db.selectFrom('resources').select(['hidden_at', 'hidden_by']).where('id', '=', resource.id).executeTakeFirstOrThrow();
    expect(row.hidden_at).not.toBeNull();
    expect(row.hidden_by).toBeNull();

    const member = (await memberWithBrowser(t.app, t.db)).browser;
    expect(await library(member)).not.toContain('A guide to flagged things');
    expect((await member.get(`/resources/${resource.id}`)).statusCode).toBe(404);
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const staffPage = await resourcePageOf(moderator, resource.id);
    expect(staffPage).toContain('<strong>Hidden.</strong>');

    // Its discussion went with it, on the thread's own record, by the system.
    const threadAudit = await t.db.selectFrom('audit_events').select(['action', 'actor_member_id', 'actor_label', 'subject_member_id', 'details']).where('target_type', '=', 'thread').where('target_id', '=', String(resource.threadId)).execute();
    expect(threadAudit).toEqual([{ action: 'thread.hidden', actor_member_id: null, actor_label: 'system', subject_member_id: sharer.member.id, details: { reason: 'hidden with its resource', before: { hidden: false }, after: { hidden: true } } }]);
  });
});

describe('flagged content its author takes down', () => {
  it('closes the flags on a post its author deletes, as deleted, and tells the flagger without naming a thread that went with it', async () => {
    const author = await memberWithBrowser(t.app, t.db);
    const flagger = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions', { title: 'WITHDRAWN-THREAD with one post', body: 'Spam, soon deleted.' });
    const firstPostId = await firstPostOf(t.db, threadId);
    expect((await flag(flagger.browser, `/p/${firstPostId}/flag`, { reason: 'spam', note: '' })).statusCode).toBe(303);
    const form = await author.browser.openForm(`/p/${firstPostId}/delete`);
    expect((await author.browser.post(`/p/${firstPostId}/delete`, form)).statusCode).toBe(303);

    const flagRow = await t.db.selectFrom('flags').select(['resolved_at', 'resolved_by', 'outcome']).where('post_id', '=', firstPostId).executeTakeFirstOrThrow();
    expect(flagRow).toMatchObject({ resolved_by: null, outcome: 'deleted' });
    expect(flagRow.resolved_at).not.toBeNull();
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    expect((await moderator.get('/mod')).body).not.toContain(`/mod/posts/${firstPostId}/`);
    const notices = (await flagger.browser.get('/notifications')).body;
    expect(notices).toContain('Content you flagged has been removed');
    expect(notices).not.toContain('WITHDRAWN-THREAD');
  });

  it('closes the flags on a resource its sharer removes, and tells the flagger', async () => {
    const sharer = await memberWithBrowser(t.app, t.db);
    const flagger = await memberWithBrowser(t.app, t.db);
    const resource = await createResource(t.db, { sharer: sharer.member, title: 'WITHDRAWN-RESOURCE guide' });
    expect((await flag(flagger.browser, `/resources/${resource.id}/flag`, { reason: 'spam', note: '' })).statusCode).toBe(303);
    const form = await sharer.browser.openForm(`/resources/${resource.id}/remove`);
    expect((await sharer.browser.post(`/resources/${resource.id}/remove`, form)).statusCode).toBe(303);

    expect(await t.db.selectFrom('flags').select(['resolved_by', 'outcome']).where('resource_id', '=', resource.id).executeTakeFirstOrThrow()).toEqual({ resolved_by: null, outcome: 'deleted' });
    const notices = (await flagger.browser.get('/notifications')).body;
    expect(notices).toContain('Content you flagged is now hidden from members');
    expect(notices).not.toContain('WITHDRAWN-RESOURCE');
  });
});

describe('the member-facing refusals', () => {
  it('sends a visitor to sign in for the resource flag form', async () => {
    const sharer = await memberWithBrowser(t.app, t.db);
    const resource = await createResource(t.db, { sharer: sharer.member });
    const visitor = new Browser(t.app);
    expect((await visitor.get(`/resources/${resource.id}/flag`)).headers.location).toBe(`/login?next=%2Fresources%2F${resource.id}%2Fflag`);
    await refusedWritingNothing(t.db, () => visitor.post(`/resources/${resource.id}/flag`, { reason: 'spam', note: '' }), 403, PAGE_MESSAGES.signInFirst);
  });
});
