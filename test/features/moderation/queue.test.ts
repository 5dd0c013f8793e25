import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_MESSAGES, MODERATION_MESSAGES as M } from '../../../src/features/moderation/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { articleOf, memberWithBrowser, postIdFrom, postReply, startThread, threadPageOf } from '../../support/discussions.js';
import { refusedWritingNothing } from '../../support/moderation.js';
import { createResource, escapeLikeHandlebars } from '../../support/resources.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { FLAG_HIDE_THRESHOLD: '2' } });
});
afterAll(async () => t.close());

async function flag(browser: Browser, path: string, fields: Record<string, string> = { reason: 'spam', note: '' }) {
  const hidden = await browser.openForm(path);
  const response = await browser.post(path, { ...hidden, ...fields });
  expect(response.statusCode).toBe(303);
}

/** A thread, two earlier replies for context, a flagged reply, and a moderator. */
async function flaggedReply(flaggers = 1) {
  const author = await memberWithBrowser(t.app, t.db);
  const replier = await memberWithBrowser(t.app, t.db);
  const threadId = await startThread(author.browser, 'questions', { title: 'Records of social media', body: 'The opening question.' });
  await postReply(author.browser, threadId, { body: 'Context number one.' });
  await postReply(author.browser, threadId, { body: 'Context number two.' });
  const replyId = postIdFrom((await postReply(replier.browser, threadId, { body: 'A rude and off-topic reply.' })).headers.location);
  const flagging = [];
  for (let i = 0; i < flaggers; i += 1) {
    const flagger = await memberWithBrowser(t.app, t.db);
    await flag(flagger.browser, `/p/${replyId}/flag`, { reason: i === 0 ? 'disrespectful' : 'other', note: `note ${i}` });
    flagging.push(flagger);
  }
  const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  const csrf = (await moderator.browser.openForm('/mod'))._csrf!;
  return { author, replier, threadId, replyId, flaggers: flagging, moderator, csrf };
}

const notificationsOf = (memberId: number) => t.db.selectFrom('notifications').select(['kind', 'post_id']).where('member_id', '=', memberId).where('kind', 'in', ['flag_outcome', 'moderation']).execute();
const openFlagsOn = async (postId: number) => (await t.db.selectFrom('flags').select('id').where('post_id', '=', postId).where('resolved_at', 'is', null).execute()).length;

const headerCountOn = async (browser: Browser) => Number(/>Queue <span class="site-nav__count">(\d+)</.exec((await browser.get('/c')).body)?.[1] ?? 0);

/** The three parts' counts as their headings give them. */
function headingCounts(page: string) {
  const count = (heading: string) => Number(new RegExp(`<h2 id="[a-z]+">${heading} \\((\\d+)\\)</h2>`).exec(page)?.[1]);
  return { members: count('Members waiting for approval'), posts: count('Posts waiting for approval'), flagged: count('Flagged posts and resources') };
}

/** A member who verified while approvals were on, waiting since `since`. */
async function waitingMember(since: Date) {
  const waiting = await memberWithBrowser(t.app, t.db);
  await t.db.updateTable('members').set({ awaiting_approval_since: since }).where('id', '=', waiting.member.id).execute();
  return waiting.member;
}

/** A member's new thread whose first post waits for a moderator, held at `since`. */
async function heldThread(title: string, since: Date) {
  const author = await memberWithBrowser(t.app, t.db);
  const threadId = await startThread(author.browser, 'questions', { title, body: `The opening of ${title}.` });
  const post = await t.db.updateTable('posts').set({ held_at: since, held_reason: 'first_posts' }).where('thread_id', '=', threadId).where('position', '=', 1).returning('id').executeTakeFirstOrThrow();
  return { author, threadId, postId: post.id };
}

describe('GET /mod with nothing waiting', () => {
  it('says so in each part, with no count in the header', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const page = (await browser.get('/mod')).body;
    expect(page).toContain(M.queueEmpty);
    expect(headingCounts(page)).toEqual({ members: 0, posts: 0, flagged: 0 });
    expect(page).toContain('No members are waiting for approval: new members join without it on this site.');
    expect(page).toContain('No posts are waiting for approval.');
    expect(page).toContain('No posts or resources are flagged.');
    expect(page).not.toContain('site-nav__count');
  });
});

describe('GET /mod', () => {
  it('lists flagged items with their flags and the posts before them, and counts them in the staff header only', async () => {
    const { replier, replyId, moderator, flaggers } = await flaggedReply(1);
    const page = await moderator.browser.get('/mod');
    expect(page.statusCode).toBe(200);
    const item = page.body.slice(page.body.indexOf(`id="post-${replyId}-heading"`));
    expect(item).toContain(`Post by <bdi>${replier.member.displayName}</bdi>`);
    expect(item).toContain('A rude and off-topic reply.');
    expect(item).toContain('Context number one.');
    expect(item).toContain('Context number two.');
    expect(item).toContain('<strong>Disrespectful or harassing</strong>');
    expect(item).toContain(`<bdi>${flaggers[0]!.member.displayName}</bdi>`);
    expect(item).toContain('note 0');
    expect(item).toContain(`/mod/members/${replier.member.id}/warn`);
    expect(item).toContain(`/mod/members/${replier.member.id}/suspend`);
    expect(page.body).toMatch(/>Queue <span class="site-nav__count">\d+<span class="visually-hidden"> waiting/);
    const memberPage = await flaggers[0]!.browser.get('/c');
    expect(memberPage.body).not.toContain('href="/mod"');
  });

  it('counts in the header flagged items (once however many flags), members awaiting approval and held posts', async () => {
    const { moderator, replyId, threadId } = await flaggedReply(1);
    const countOn = async (browser: Browser) => Number(/>Queue <span class="site-nav__count">(\d+)</.exec((await browser.get('/c')).body)?.[1] ?? 0);
    const before = await countOn(moderator.browser);
    await flag((await memberWithBrowser(t.app, t.db)).browser, `/p/${replyId}/flag`);
    expect(await countOn(moderator.browser)).toBe(before);
    const waiting = await memberWithBrowser(t.app, t.db);
    await t.db.updateTable('members').set({ awaiting_approval_since: new Date() }).where('id', '=', waiting.member.id).execute();
    const held = await postReply(moderator.browser, threadId, { body: 'Held for review.' });
    await t.db.updateTable('posts').set({ held_at: new Date(), held_reason: 'first_posts' }).where('id', '=', postIdFrom(held.headers.location)).execute();
    expect(await countOn(moderator.browser)).toBe(before + 2);
    const { browser: administrator } = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
    expect(await countOn(administrator)).toBe(before + 2);
  });

  it('shows the oldest flagged item first and pages through them', async () => {
    const first = await flaggedReply(1);
    const second = await flaggedReply(1);
    const page = (await first.moderator.browser.get('/mod')).body;
    expect(page.indexOf(`id="post-${first.replyId}-heading"`)).toBeLessThan(page.indexOf(`id="post-${second.replyId}-heading"`));
    expect((await first.moderator.browser.get('/mod?page=999')).statusCode).toBe(404);
    expect((await first.moderator.browser.get('/mod?page=0')).statusCode).toBe(400);
    expect((await first.moderator.browser.get('/mod?page=abc')).statusCode).toBe(400);
    expect((await first.moderator.browser.get('/mod?page=1&page=2')).statusCode).toBe(400);
  });
});

describe('GET /mod: members and posts waiting for approval', () => {
  it('lists them in parts of their own, each counted and oldest first, beside the flagged items', async () => {
    const { moderator } = await flaggedReply(1);
    const newerMember = await waitingMember(new Date(Date.now() - 60_000));
    const olderMember = await waitingMember(new Date(Date.now() - 3_600_000));
    const newerPost = await heldThread('A newer held thread about leave', new Date(Date.now() - 60_000));
    const olderPost = await heldThread('An older held thread about rosters', new Date(Date.now() - 3_600_000));
    const page = await moderator.browser.get('/mod');
    expect(page.statusCode).toBe(200);
    const waiting = async (table: 'members' | 'posts') =>
      Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where(table === 'members' ? 'awaiting_approval_since' : 'held_at', 'is not', null).executeTakeFirstOrThrow()).n);
    expect(headingCounts(page.body)).toMatchObject({ members: await waiting('members'), posts: await waiting('posts') });
    expect(page.body.indexOf(`id="member-${olderMember.id}"`)).toBeLessThan(page.body.indexOf(`id="member-${newerMember.id}"`));
    expect(page.body.indexOf(`id="post-${olderPost.postId}"`)).toBeLessThan(page.body.indexOf(`id="post-${newerPost.postId}"`));
    expect(page.body.indexOf('id="members"')).toBeLessThan(page.body.indexOf('id="posts"'));
    expect(page.body.indexOf('id="posts"')).toBeLessThan(page.body.indexOf('id="flagged"'));
    const held = page.body.slice(page.body.indexOf(`id="post-${olderPost.postId}"`));
    expect(held).toContain('New thread <a href="/p/');
    expect(held).toContain('The opening of An older held thread about rosters.');
    for (const [kind, id] of [['members', olderMember.id], ['posts', olderPost.postId]] as const) {
      expect(page.body).toContain(`action="/mod/approvals/${kind}/${id}/approve"`);
      expect(page.body).toContain(`<label for="field-reject-${kind.slice(0, -1)}-${id}">`);
    }
  });

  it('approves a member and rejects a held post from the forms on /mod, back to /mod saying what was done', async () => {
    const { moderator } = await flaggedReply(0);
    const member = await waitingMember(new Date());
    const { postId, author } = await heldThread('A held thread to reject from the queue', new Date());
    const { _csrf } = await moderator.browser.openForm('/mod');
    await t.db.deleteFrom('outbound_emails').execute();

    const approved = await moderator.browser.post(`/mod/approvals/members/${member.id}/approve`, { _csrf: _csrf!, reason: 'Welcome.' });
    expect(approved.statusCode).toBe(303);
    expect(approved.headers.location).toBe('/mod');
    const afterApproval = (await moderator.browser.get('/mod')).body;
    expect(afterApproval).toContain(escapeLikeHandlebars(APPROVAL_MESSAGES.memberApproved(member.displayName)));
    expect(afterApproval).not.toContain(`id="member-${member.id}"`);
    const audit = await t.db.selectFrom('audit_events').select(['actor_member_id', 'details']).where('action', '=', 'member.approved').where('subject_member_id', '=', member.id).execute();
    expect(audit).toEqual([{ actor_member_id: moderator.member.id, details: { reason: 'Welcome.', before: { awaitingApproval: true }, after: { awaitingApproval: false } } }]);
    expect(await t.db.selectFrom('outbound_emails').select('to_address').execute()).toEqual([{ to_address: member.email }]);

    const refused = await moderator.browser.post(`/mod/approvals/posts/${postId}/reject`, { _csrf: _csrf!, reason: ' ' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('<h1>Review queue</h1>');
    expect(refused.body).toMatch(new RegExp(`<textarea id="field-reject-post-${postId}"[^>]*aria-invalid="true"`));

    const rejected = await moderator.browser.post(`/mod/approvals/posts/${postId}/reject`, { _csrf: _csrf!, reason: 'Ask this in Practice.' });
    expect(rejected.statusCode).toBe(303);
    expect(rejected.headers.location).toBe('/mod');
    const afterRejection = (await moderator.browser.get('/mod')).body;
    expect(afterRejection).toContain(escapeLikeHandlebars(APPROVAL_MESSAGES.postRejected));
    expect(afterRejection).not.toContain(`id="post-${postId}"`);
    const rejection = await t.db.selectFrom('audit_events').select(['actor_member_id', 'subject_member_id', 'details']).where('action', '=', 'post.rejected').where('target_id', '=', String(postId)).execute();
    expect(rejection).toEqual([{ actor_member_id: moderator.member.id, subject_member_id: author.member.id, details: { reason: 'Ask this in Practice.', before: { deleted: false }, after: { deleted: true } } }]);
  });

  it('counts in the staff header exactly the items it lists, on every page', async () => {
    const { moderator } = await flaggedReply(1);
    await waitingMember(new Date());
    await heldThread('A held thread the header counts', new Date());
    // Neither waits any more: a deactivated member, and a held post in a thread since deleted.
    const gone = await waitingMember(new Date());
    await t.db.updateTable('members').set({ deactivated_at: new Date() }).where('id', '=', gone.id).execute();
    const { threadId } = await heldThread('A held thread since deleted', new Date());
    await t.db.updateTable('threads').set({ deleted_at: new Date() }).where('id', '=', threadId).execute();

    const first = (await moderator.browser.get('/mod')).body;
    const counts = headingCounts(first);
    const listed = { members: first.match(/class="approval" id="member-/g)?.length ?? 0, posts: first.match(/class="approval" id="post-/g)?.length ?? 0, flagged: 0 };
    for (let page = 1, body = first; ; page += 1) {
      listed.flagged += body.match(/class="queue__item"/g)?.length ?? 0;
      const next = await moderator.browser.get(`/mod?page=${page + 1}`);
      if (next.statusCode === 404) break;
      body = next.body;
    }
    expect(listed).toEqual(counts);
    expect(counts.members).toBeGreaterThan(0);
    expect(counts.posts).toBeGreaterThan(0);
    expect(await headerCountOn(moderator.browser)).toBe(counts.members + counts.posts + counts.flagged);
  });
});

describe('keep', () => {
  it('dismisses the flags, shows again a post flags had hidden, tells the flaggers, audits; a second press writes nothing', async () => {
    const { threadId, replyId, replier, flaggers, moderator, csrf } = await flaggedReply(2);
    expect((await t.db.selectFrom('posts').select('hidden_at').where('id', '=', replyId).executeTakeFirstOrThrow()).hidden_at).not.toBeNull();
    const response = await moderator.browser.post(`/mod/posts/${replyId}/keep`, { _csrf: csrf });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/mod');
    expect(await openFlagsOn(replyId)).toBe(0);
    expect((await t.db.selectFrom('flags').select('outcome').where('post_id', '=', replyId).execute()).map((row) => row.outcome)).toEqual(['kept', 'kept']);
    expect((await t.db.selectFrom('posts').select('hidden_at').where('id', '=', replyId).executeTakeFirstOrThrow()).hidden_at).toBeNull();
    expect((await t.db.selectFrom('threads').select('reply_count').where('id', '=', threadId).executeTakeFirstOrThrow()).reply_count).toBe(3);
    for (const flagger of flaggers) expect(await notificationsOf(flagger.member.id)).toEqual([{ kind: 'flag_outcome', post_id: replyId }]);
    expect(await notificationsOf(replier.member.id)).toEqual([]);
    const audit = await t.db.selectFrom('audit_events').select(['action', 'actor_member_id', 'subject_member_id']).where('target_id', '=', String(replyId)).where('action', '=', 'flag.dismissed').execute();
    expect(audit).toEqual([{ action: 'flag.dismissed', actor_member_id: moderator.member.id, subject_member_id: replier.member.id }]);
    // The flagger reads the outcome in their notifications.
    const list = await flaggers[0]!.browser.get('/notifications');
    expect(list.body).toContain('A moderator</bdi> reviewed what you flagged in');

    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/posts/${replyId}/keep`, { _csrf: csrf }), 303);
  });
});

describe('hide with a reason', () => {
  it('hides the post, shows the author the reason, tells them and the flaggers, audits with the reason', async () => {
    const { author, replier, threadId, replyId, flaggers, moderator, csrf } = await flaggedReply(1);
    const response = await moderator.browser.post(`/mod/posts/${replyId}/hide`, { _csrf: csrf, from_queue: '1', reason: 'Personal attacks breach the code of conduct.' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/mod');
    const post = await t.db.selectFrom('posts').select(['hidden_at', 'hidden_by', 'hidden_reason']).where('id', '=', replyId).executeTakeFirstOrThrow();
    expect(post).toMatchObject({ hidden_by: moderator.member.id, hidden_reason: 'Personal attacks breach the code of conduct.' });
    expect((await t.db.selectFrom('flags').select('outcome').where('post_id', '=', replyId).execute()).map((row) => row.outcome)).toEqual(['hidden']);
    expect(await notificationsOf(replier.member.id)).toEqual([{ kind: 'moderation', post_id: replyId }]);
    expect(await notificationsOf(flaggers[0]!.member.id)).toEqual([{ kind: 'flag_outcome', post_id: replyId }]);
    const audit = await t.db.selectFrom('audit_events').select(['action', 'details']).where('target_id', '=', String(replyId)).where('action', '=', 'post.hidden').executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ reason: 'Personal attacks breach the code of conduct.', before: { hidden: false }, after: { hidden: true } });

    const authorView = articleOf(await threadPageOf(replier.browser, threadId), replyId);
    expect(authorView).toContain('This post was hidden by a moderator. Reason: <bdi>Personal attacks breach the code of conduct.</bdi>');
    const otherView = articleOf(await threadPageOf(author.browser, threadId), replyId);
    expect(otherView).not.toContain('Personal attacks');
    expect(otherView).not.toContain('A rude and off-topic reply.');
    expect((await replier.browser.get('/notifications')).body).toContain('took action on your post in');

    // Hidden already: a second submit writes nothing.
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/posts/${replyId}/hide`, { _csrf: csrf, reason: 'Again' }), 303);
  });

  it('refuses a missing, overlong or NUL reason with 422 and the form kept, writing nothing', async () => {
    const { replyId, moderator, csrf } = await flaggedReply(1);
    const send = (fields: Record<string, string>) => () => moderator.browser.post(`/mod/posts/${replyId}/hide`, { _csrf: csrf, ...fields });
    await refusedWritingNothing(t.db, send({ reason: '  ' }), 422, M.reasonRequired);
    await refusedWritingNothing(t.db, send({ reason: 'x'.repeat(10_000) }), 422, 'Reason must be at most 1,000 characters');
    await refusedWritingNothing(t.db, send({ reason: 'a\0b' }), 422, 'Reason must not contain NUL characters');
    await refusedWritingNothing(t.db, send({ reason: 'fine', hidden_by: '1' }), 422);
  });
});

describe('delete, restore and edit', () => {
  it('deletes the post as a moderator (placeholder says so), resolves the flags, and restores it', async () => {
    const { author, threadId, replyId, replier, moderator, csrf } = await flaggedReply(1);
    const deleted = await moderator.browser.post(`/mod/posts/${replyId}/delete`, { _csrf: csrf, from_queue: '1', reason: '' });
    expect(deleted.statusCode).toBe(303);
    const post = await t.db.selectFrom('posts').select(['deleted_at', 'deleted_by']).where('id', '=', replyId).executeTakeFirstOrThrow();
    expect(post.deleted_by).toBe(moderator.member.id);
    expect((await t.db.selectFrom('flags').select('outcome').where('post_id', '=', replyId).execute()).map((row) => row.outcome)).toEqual(['deleted']);
    expect(await notificationsOf(replier.member.id)).toEqual([{ kind: 'moderation', post_id: replyId }]);
    expect(articleOf(await threadPageOf(author.browser, threadId), replyId)).toContain('This post was deleted by a moderator.');
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/posts/${replyId}/delete`, { _csrf: csrf, reason: '' }), 303);

    const restored = await moderator.browser.post(`/mod/posts/${replyId}/restore`, { _csrf: csrf });
    expect(restored.statusCode).toBe(303);
    expect((await t.db.selectFrom('posts').select('deleted_at').where('id', '=', replyId).executeTakeFirstOrThrow()).deleted_at).toBeNull();
    expect((await t.db.selectFrom('threads').select('reply_count').where('id', '=', threadId).executeTakeFirstOrThrow()).reply_count).toBe(3);
    expect(await t.db.selectFrom('audit_events').select('action').where('target_id', '=', String(replyId)).where('action', 'in', ['post.deleted', 'post.undeleted']).orderBy('id').execute()).toEqual([{ action: 'post.deleted' }, { action: 'post.undeleted' }]);
  });

  it('tells the flaggers of a first post whose deletion took its thread, without naming the thread', async () => {
    const author = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions', { title: 'ONE-POST-THREAD flagged', body: 'Spam and nothing else.' });
    const firstPostId = (await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).executeTakeFirstOrThrow()).id;
    const flagger = await memberWithBrowser(t.app, t.db);
    await flag(flagger.browser, `/p/${firstPostId}/flag`);
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const csrf = (await moderator.browser.openForm('/mod'))._csrf!;
    expect((await moderator.browser.post(`/mod/posts/${firstPostId}/delete`, { _csrf: csrf, reason: 'Spam.' })).statusCode).toBe(303);
    expect((await t.db.selectFrom('threads').select('deleted_at').where('id', '=', threadId).executeTakeFirstOrThrow()).deleted_at).not.toBeNull();

    expect(await notificationsOf(flagger.member.id)).toEqual([{ kind: 'flag_outcome', post_id: firstPostId }]);
    const page = (await flagger.browser.get('/notifications')).body;
    expect(page).toContain('Content you flagged has been removed');
    expect(page).not.toContain('ONE-POST-THREAD');
    expect((await flagger.browser.get(`/p/${firstPostId}`)).statusCode).toBe(404);
    // Its author reads what became of their own thread, by name.
    expect((await author.browser.get('/notifications')).body).toContain('A moderator</bdi> deleted your thread “<bdi>ONE-POST-THREAD flagged</bdi>”');
  });

  it('edits through the discussions edit path: the old text kept as a revision marked as a moderator’s, shown so in the history', async () => {
    const { replier, replyId, moderator } = await flaggedReply(1);
    const form = await moderator.browser.openForm(`/mod/posts/${replyId}/edit`);
    const response = await moderator.browser.post(`/mod/posts/${replyId}/edit`, { ...form, body: 'A reply, with the rude part taken out.' });
    expect(response.statusCode).toBe(303);
    const revisions = await t.db.selectFrom('post_revisions').select(['body_source', 'by_moderator', 'replaced_by']).where('post_id', '=', replyId).execute();
    expect(revisions).toEqual([{ body_source: 'A rude and off-topic reply.', by_moderator: true, replaced_by: moderator.member.id }]);
    expect((await t.db.selectFrom('flags').select('outcome').where('post_id', '=', replyId).execute()).map((row) => row.outcome)).toEqual(['edited']);
    expect(await notificationsOf(replier.member.id)).toEqual([{ kind: 'moderation', post_id: replyId }]);
    const history = await replier.browser.get(`/p/${replyId}/revisions`);
    expect(history.body).toContain('Edited by a moderator');
    expect(history.body).not.toContain(moderator.member.displayName);

    // The same form again is stale: 409 with the current text, nothing written.
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/posts/${replyId}/edit`, { ...form, body: 'Another try.' }), 409);
  });

  it('edits a member’s post while the moderator has a warning of their own to read (moderating is not posting), but not the moderator’s own post', async () => {
    const { threadId, replyId, moderator } = await flaggedReply(1);
    const ownReplyId = postIdFrom((await postReply(moderator.browser, threadId, { body: 'A moderator’s own reply.' })).headers.location);
    await t.db.insertInto('member_warnings').values({ member_id: moderator.member.id, moderator_id: moderator.member.id, reason: 'Read the guidelines again.' }).execute();
    const form = await moderator.browser.openForm(`/mod/posts/${replyId}/edit`);
    const response = await moderator.browser.post(`/mod/posts/${replyId}/edit`, { ...form, body: 'A reply, edited by a warned moderator.' });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(303);
    expect((await t.db.selectFrom('posts').select('body_source').where('id', '=', replyId).executeTakeFirstOrThrow()).body_source).toBe('A reply, edited by a warned moderator.');
    const ownForm = await moderator.browser.openForm(`/mod/posts/${ownReplyId}/edit`);
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/posts/${ownReplyId}/edit`, { ...ownForm, body: 'An edit the warning stops.' }), 403, escapeLikeHandlebars(M.mustAcknowledge));
  });
});

describe('the thread page for staff', () => {
  it('shows the moderation actions on every post to staff only', async () => {
    const { author, threadId, replyId, moderator } = await flaggedReply(0);
    const staffView = articleOf(await threadPageOf(moderator.browser, threadId), replyId);
    expect(staffView).toContain(`<a href="/mod/posts/${replyId}/hide">Hide`);
    expect(staffView).toContain(`<a href="/mod/posts/${replyId}/edit">Edit`);
    expect(staffView).toContain(`<a href="/mod/posts/${replyId}/delete">Delete`);
    expect(articleOf(await threadPageOf(author.browser, threadId), replyId)).not.toContain('/mod/posts/');
  });

  it('answers ids over bigint or naming nothing with 404 for a moderator, writing nothing', async () => {
    const { moderator, csrf } = await flaggedReply(0);
    for (const id of ['9223372036854775808', '99999999999', '0', '1.5']) {
      for (const action of ['keep', 'hide', 'unhide', 'delete', 'restore']) {
        await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/posts/${id}/${action}`, { _csrf: csrf, reason: 'x' }), 404);
      }
      await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/resources/${id}/keep`, { _csrf: csrf }), 404);
    }
  });

  it('refuses a member every post action with 403, writing nothing', async () => {
    const { replyId, flaggers } = await flaggedReply(1);
    const member = flaggers[0]!.browser;
    const csrf = (await member.openForm('/c'))._csrf!;
    for (const action of ['keep', 'hide', 'unhide', 'delete', 'restore', 'edit']) {
      await refusedWritingNothing(t.db, () => member.post(`/mod/posts/${replyId}/${action}`, { _csrf: csrf, reason: 'x', body: 'x', version: '1' }), 403);
    }
  });
});

describe('resources in the queue', () => {
  it('keeps a resource flags had hidden (back in the library), or hides it with a reason, or removes it', async () => {
    const sharer = await memberWithBrowser(t.app, t.db);
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const csrf = (await moderator.browser.openForm('/mod'))._csrf!;
    const flaggers = await Promise.all([1, 2].map(() => memberWithBrowser(t.app, t.db)));
    const [kept, hidden, removed] = await Promise.all(['Kept guide', 'Hidden guide', 'Removed guide'].map((title) => createResource(t.db, { sharer: sharer.member, title })));
    for (const resource of [kept!, hidden!, removed!]) for (const { browser } of flaggers) await flag(browser, `/resources/${resource.id}/flag`);
    expect((await moderator.browser.get('/mod')).body).toContain('Kept guide');

    expect((await moderator.browser.post(`/mod/resources/${kept!.id}/keep`, { _csrf: csrf })).statusCode).toBe(303);
    expect((await t.db.selectFrom('resources').select('hidden_at').where('id', '=', kept!.id).executeTakeFirstOrThrow()).hidden_at).toBeNull();

    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/resources/${hidden!.id}/hide`, { _csrf: csrf, reason: '' }), 422, M.reasonRequired);
    expect((await moderator.browser.post(`/mod/resources/${hidden!.id}/hide`, { _csrf: csrf, reason: 'Not public information.' })).statusCode).toBe(303);
    expect(await t.db.selectFrom('resources').select(['hidden_by', 'hidden_reason']).where('id', '=', hidden!.id).executeTakeFirstOrThrow()).toEqual({ hidden_by: moderator.member.id, hidden_reason: 'Not public information.' });

    expect((await moderator.browser.post(`/mod/resources/${removed!.id}/remove`, { _csrf: csrf, reason: '' })).statusCode).toBe(303);
    expect((await t.db.selectFrom('resources').select('removed_at').where('id', '=', removed!.id).executeTakeFirstOrThrow()).removed_at).not.toBeNull();

    const outcomes = await t.db.selectFrom('flags').select(['resource_id', 'outcome']).where('resource_id', 'in', [kept!.id, hidden!.id, removed!.id]).orderBy('id').execute();
    expect(new Set(outcomes.map((row) => `${row.resource_id}:${row.outcome}`))).toEqual(new Set([`${kept!.id}:kept`, `${hidden!.id}:hidden`, `${removed!.id}:deleted`]));
    expect(await notificationsOf(sharer.member.id)).toHaveLength(2);
    expect((await moderator.browser.get('/mod')).body).not.toContain('Kept guide');
  });
});
