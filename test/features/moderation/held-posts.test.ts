import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPROVAL_MESSAGES } from '../../../src/features/moderation/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, startThread, threadPageOf } from '../../support/discussions.js';

let t: TestApp;
let moderator: Browser;
let moderatorId: number;
let regular: { member: { id: number }; browser: Browser };
let staffThreadId: number;
beforeAll(async () => {
  t = await buildTestApp({ env: { FIRST_POSTS_HELD: '1', REPEATED_TEXT_THREADS: '3', REPEATED_TEXT_MINUTES: '10', RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  const staff = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  moderator = staff.browser;
  moderatorId = staff.member.id;
  // Staff posts never wait: a thread everyone can see, for replies.
  staffThreadId = await startThread(moderator, 'questions', { title: 'Where do you keep records of posts?' });
  regular = await memberWithBrowser(t.app, t.db);
});
afterAll(async () => t.close());
beforeEach(async () => {
  await t.db.deleteFrom('notifications').execute();
});

async function heldReply(browser: Browser, threadId: number, body: string): Promise<number> {
  const response = await postReply(browser, threadId, { body });
  expect(response.statusCode, response.body).toBe(303);
  return postIdFrom(response.headers.location);
}

async function decide(postId: number | string, action: 'approve' | 'reject', reason?: string, browser = moderator) {
  const hidden = await browser.openForm(browser === moderator ? '/mod' : '/c');
  return browser.post(`/mod/approvals/posts/${postId}/${action}`, { _csrf: hidden._csrf!, ...(reason === undefined ? {} : { reason }) });
}

async function counts(threadId: number) {
  const thread = await t.db.selectFrom('threads as t').innerJoin('categories as c', 'c.id', 't.category_id').select(['t.reply_count', 'c.post_count', 'c.thread_count']).where('t.id', '=', threadId).executeTakeFirstOrThrow();
  return { replies: thread.reply_count, categoryPosts: thread.post_count, categoryThreads: thread.thread_count };
}

async function decisionsWritten(postId: number) {
  const audits = await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('action', 'in', ['post.approved', 'post.rejected']).where('target_id', '=', String(postId)).executeTakeFirstOrThrow();
  const post = await t.db.selectFrom('posts').select(['held_at', 'deleted_at']).where('id', '=', postId).executeTakeFirstOrThrow();
  const notifications = await t.db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n')).where('post_id', '=', postId).executeTakeFirstOrThrow();
  return { audits: Number(audits.n), held: post.held_at !== null, deleted: post.deleted_at !== null, notifications: Number(notifications.n), emails: (await emailsTo(postId)).length };
}

/** The emails about a held post queued to its author. */
async function emailsTo(postId: number) {
  return t.db
    .selectFrom('outbound_emails as e')
    .innerJoin('members as m', 'm.email', 'e.to_address')
    .innerJoin('posts as p', 'p.author_id', 'm.id')
    .select(['e.kind', 'e.subject', 'e.text_body'])
    .where('p.id', '=', postId)
    .where('e.kind', 'like', 'moderation.post-%')
    .execute();
}

describe('a new member’s first post (FIRST_POSTS_HELD=1)', () => {
  it('waits: seen by its author, marked, and by staff; for everyone else it does not exist', async () => {
    const newcomer = await memberWithBrowser(t.app, t.db);
    const before = await counts(staffThreadId);
    const postId = await heldReply(newcomer.browser, staffThreadId, 'My very first reply, about archiving tools.');
    const row = await t.db.selectFrom('posts').select(['held_reason']).where('id', '=', postId).executeTakeFirstOrThrow();
    expect(row.held_reason).toBe('first_posts');
    expect(await counts(staffThreadId)).toEqual(before);
    expect(await decisionsWritten(postId)).toEqual({ audits: 0, held: true, deleted: false, notifications: 0, emails: 0 });

    const own = await threadPageOf(newcomer.browser, staffThreadId);
    expect(own).toContain('My very first reply');
    expect(own).toContain(APPROVAL_MESSAGES.heldMarker);
    expect(await threadPageOf(moderator, staffThreadId)).toContain('My very first reply');
    expect(await threadPageOf(regular.browser, staffThreadId)).not.toContain('My very first reply');
    expect((await regular.browser.get(`/p/${postId}`)).statusCode).toBe(404);
    expect((await regular.browser.get(`/u/${newcomer.member.handle}`)).body).not.toContain('My very first reply');

    const queue = await moderator.get('/mod');
    const waiting = await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<string>().as('n')).where('held_at', 'is not', null).where('deleted_at', 'is', null).executeTakeFirstOrThrow();
    expect(queue.body).toContain(`Posts waiting for approval (${waiting.n})`);
    expect(queue.body).toContain(`id="post-${postId}"`);
    expect(queue.body).toContain('My very first reply');
  });

  it('is approved: counted, shown to all, the notifications sent, its author told in the app and by email, and the approval audited, once', async () => {
    const newcomer = await memberWithBrowser(t.app, t.db);
    const before = await counts(staffThreadId);
    const postId = await heldReply(newcomer.browser, staffThreadId, 'A reply that a moderator approves.');
    const approved = await decide(postId, 'approve');
    expect(approved.statusCode).toBe(303);
    expect(await counts(staffThreadId)).toEqual({ ...before, replies: before.replies + 1, categoryPosts: before.categoryPosts + 1 });
    expect(await decisionsWritten(postId)).toMatchObject({ audits: 1, held: false, deleted: false });
    const told = await t.db.selectFrom('notifications').select(['member_id', 'kind']).where('post_id', '=', postId).where('kind', '=', 'reply').execute();
    expect(told).toEqual([{ member_id: moderatorId, kind: 'reply' }]);
    const notified = (await decisionsWritten(postId)).notifications;
    const audit = await t.db.selectFrom('audit_events').select(['actor_member_id', 'subject_member_id']).where('action', '=', 'post.approved').where('target_id', '=', String(postId)).executeTakeFirstOrThrow();
    expect(audit).toEqual({ actor_member_id: moderatorId, subject_member_id: newcomer.member.id });
    expect(await threadPageOf(regular.browser, staffThreadId)).toContain('A reply that a moderator approves.');
    const authorTold = await t.db.selectFrom('notifications').select('kind').where('post_id', '=', postId).where('member_id', '=', newcomer.member.id).execute();
    expect(authorTold).toEqual([{ kind: 'moderation' }]);
    const [email, ...more] = await emailsTo(postId);
    expect(more).toEqual([]);
    expect(email).toMatchObject({ kind: 'moderation.post-approved', subject: APPROVAL_MESSAGES.postApprovedSubject(t.config.siteName) });
    expect(email!.text_body).toContain(`/p/${postId}`);

    // Double submit, and the member's next post (one approved is enough) is not held.
    const again = await decide(postId, 'approve');
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain(APPROVAL_MESSAGES.postNotHeld);
    expect(await decisionsWritten(postId)).toEqual({ audits: 1, held: false, deleted: false, notifications: notified, emails: 1 });
    const next = await heldReply(newcomer.browser, staffThreadId, 'A second reply, straight out.');
    expect(await decisionsWritten(next)).toMatchObject({ held: false });
  });

  it('holds the whole thread when it starts one, until rejected with a reason the author reads, on the page and in an email', async () => {
    const newcomer = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(newcomer.browser, 'questions', { title: 'A held thread about night shifts', body: 'Who covers the night shift?' });
    const firstPost = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).executeTakeFirstOrThrow();
    expect((await regular.browser.get(`/t/${threadId}`)).statusCode).toBe(404);
    expect((await regular.browser.get(`/p/${firstPost.id}`)).statusCode).toBe(404);
    expect((await regular.browser.get('/c/questions')).body).not.toContain('A held thread about night shifts');
    expect((await regular.browser.get('/')).body).not.toContain('A held thread about night shifts');
    expect((await newcomer.browser.get('/c/questions')).body).toContain('A held thread about night shifts');

    const rejected = await decide(firstPost.id, 'reject', 'Please ask this in <b>Practice</b>');
    expect(rejected.statusCode).toBe(303);
    expect(await decisionsWritten(firstPost.id)).toEqual({ audits: 1, held: true, deleted: true, notifications: 1, emails: 1 });
    const [email] = await emailsTo(firstPost.id);
    expect(email).toMatchObject({ kind: 'moderation.post-rejected', subject: APPROVAL_MESSAGES.postRejectedSubject(t.config.siteName) });
    expect(email!.text_body).toContain('The reason: Please ask this in <b>Practice</b>');
    const notices = await newcomer.browser.get('/notifications');
    expect(notices.body).toContain('A moderator</bdi> took action on your post in “<bdi>A held thread about night shifts</bdi>”');
    expect((await regular.browser.get('/notifications')).body).not.toContain('A held thread about night shifts');
    const own = await threadPageOf(newcomer.browser, threadId);
    expect(own).toContain(APPROVAL_MESSAGES.heldRejected('Please ask this in &lt;b&gt;Practice&lt;/b&gt;'));
    expect(own).not.toContain('Who covers the night shift?');
    expect((await regular.browser.get(`/t/${threadId}`)).statusCode).toBe(404);
    expect((await moderator.get('/mod')).body).not.toContain(`id="post-${firstPost.id}"`);
  });
});

describe('unread counts', () => {
  it('leave out a held reply for everyone but its author and staff, and count it once approved', async () => {
    const threadId = await startThread(moderator, 'questions', { title: 'A thread to read to the end' });
    await threadPageOf(regular.browser, threadId);
    const newcomer = await memberWithBrowser(t.app, t.db);
    const postId = await heldReply(newcomer.browser, threadId, 'A reply nobody else can read yet.');
    const unreadLink = `href="/t/${threadId}/unread">1 unread`;
    expect((await regular.browser.get('/c/questions')).body).not.toContain(unreadLink);
    expect((await moderator.get('/c/questions')).body).toContain(unreadLink);
    expect((await decide(postId, 'approve')).statusCode).toBe(303);
    expect((await regular.browser.get('/c/questions')).body).toContain(unreadLink);
  });
});

describe('the same text in several threads within minutes', () => {
  it('holds the repeat that reaches REPEATED_TEXT_THREADS threads', async () => {
    // regular's first post is approved, so only the repetition can hold them.
    const first = await heldReply(regular.browser, staffThreadId, 'Hello from my agency!');
    expect((await decide(first, 'approve')).statusCode).toBe(303);
    const threads = await Promise.all([1, 2, 3].map((n) => startThread(moderator, 'questions', { title: `Staff thread number ${n}` })));
    const spam = 'Buy   our records SOFTWARE today, see example.com';
    const a = await heldReply(regular.browser, threads[0]!, spam);
    const b = await heldReply(regular.browser, threads[1]!, spam.toLowerCase());
    const c = await heldReply(regular.browser, threads[2]!, `  ${spam.replace(/ +/g, '\n')} `);
    const reasons = await t.db.selectFrom('posts').select(['id', 'held_reason']).where('id', 'in', [a, b, c]).orderBy('id').execute();
    expect(reasons.map((row) => row.held_reason)).toEqual([null, null, 'repeated_text']);
  });
});

describe('POST /mod/approvals/posts/:id/reject and /approve, refused', () => {
  let postId: number;
  beforeAll(async () => {
    const newcomer = await memberWithBrowser(t.app, t.db);
    postId = await heldReply(newcomer.browser, staffThreadId, 'Waiting while moderators get it wrong.');
  });

  it.each([
    ['no reason', '', APPROVAL_MESSAGES.reasonRequired],
    ['an overlong reason', 'x'.repeat(1001), 'Reason must be at most 1,000 characters (it is 1,001)'],
    ['a NUL byte', 'spam\0', 'Reason must not contain NUL characters'],
  ])('refuses a rejection with %s (422) and writes nothing', async (_name, reason, message) => {
    const response = await decide(postId, 'reject', reason);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(message);
    expect(await decisionsWritten(postId)).toEqual({ audits: 0, held: true, deleted: false, notifications: 0, emails: 0 });
  });

  it('re-fills a hostile reason escaped', async () => {
    const response = await decide(postId, 'reject', '<script>alert(1)</script>'.repeat(50));
    expect(response.statusCode).toBe(422);
    expect(response.body).not.toContain('<script>alert(1)');
    expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('answers a post that is not held with 409 and writes nothing', async () => {
    const plain = await t.db.selectFrom('posts').select('id').where('thread_id', '=', staffThreadId).where('position', '=', 1).executeTakeFirstOrThrow();
    for (const action of ['approve', 'reject'] as const) {
      const response = await decide(plain.id, action, action === 'reject' ? 'Off topic' : undefined);
      expect(response.statusCode).toBe(409);
    }
    expect(await decisionsWritten(plain.id)).toEqual({ audits: 0, held: false, deleted: false, notifications: 0, emails: 0 });
  });

  it.each(['99999999999999999999', '9223372036854775808', '0', 'abc'])('answers the id %s with 404', async (id) => {
    expect((await decide(id, 'approve')).statusCode).toBe(404);
  });

  it('refuses a member (403) and writes nothing', async () => {
    for (const action of ['approve', 'reject'] as const) {
      const response = await decide(postId, action, 'Not for you', regular.browser);
      expect(response.statusCode).toBe(403);
    }
    expect(await decisionsWritten(postId)).toEqual({ audits: 0, held: true, deleted: false, notifications: 0, emails: 0 });
  });
});

describe('a reply to a held post', () => {
  it('shows members neither the held post’s author nor its text, and its author and staff both', async () => {
    const threadId = await startThread(moderator, 'questions', { title: 'Who answers a post still waiting?' });
    const newcomer = await memberWithBrowser(t.app, t.db);
    const heldId = await heldReply(newcomer.browser, threadId, 'SECRET-HELD-TEXT waiting for a moderator.');
    const answered = await postReply(moderator, threadId, { body: 'Replying to the held post.', reply_to: String(heldId) });
    expect(answered.statusCode, answered.body.slice(0, 300)).toBe(303);

    const page = await threadPageOf(regular.browser, threadId);
    expect(page).toContain('Replying to the held post.');
    expect(page).not.toContain('SECRET-HELD-TEXT');
    expect(page).not.toContain(newcomer.member.displayName);
    for (const browser of [newcomer.browser, moderator]) {
      expect(await threadPageOf(browser, threadId)).toMatch(/In reply to <a href="\/p\/\d+"><bdi>[^<]+<\/bdi><\/a>: <bdi class="post__excerpt">SECRET-HELD-TEXT/);
    }
  });

  it('is refused (422) from a member who cannot see the held post, and nothing is written', async () => {
    const threadId = await startThread(moderator, 'questions', { title: 'Can a member answer a post they cannot see?' });
    const newcomer = await memberWithBrowser(t.app, t.db);
    const heldId = await heldReply(newcomer.browser, threadId, 'Held, unseen by other members.');
    const before = await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<string>().as('count')).where('thread_id', '=', threadId).executeTakeFirstOrThrow();
    const response = await postReply(regular.browser, threadId, { body: 'Answering what I should not see.', reply_to: String(heldId) });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('You can only reply to a post in this thread that has not been deleted.');
    expect(await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<string>().as('count')).where('thread_id', '=', threadId).executeTakeFirstOrThrow()).toEqual(before);
  });
});

describe('the staff header’s queue count', () => {
  it('counts a held post while it waits and stops once a moderator rejects it', async () => {
    const countOn = async (browser: Browser) => Number(/>Queue <span class="site-nav__count">(\d+)</.exec((await browser.get('/c')).body)?.[1] ?? 0);
    const before = await countOn(moderator);
    const newcomer = await memberWithBrowser(t.app, t.db);
    const heldId = await heldReply(newcomer.browser, staffThreadId, 'Held, then rejected.');
    expect(await countOn(moderator)).toBe(before + 1);
    expect((await decide(heldId, 'reject', 'Not for this forum.')).statusCode).toBe(303);
    expect(await countOn(moderator)).toBe(before);
  });
});
