import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { smtpTransport, type MailTransport } from '../../../src/mail/transport.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { csrfOf, memberWithBrowser, postIdFrom, postReply, startThread } from '../../support/discussions.js';
import { escapeLikeHandlebars } from '../../support/resources.js';
import { addReplies, createCategory, createThreads } from '../../support/forum-rows.js';
import { createMember } from '../../support/members.js';
import { decodeHeader, headerValues, minutesPass, queuedNotificationEmails } from '../../support/notification-email.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp.js';
import { insertPostNotifications } from '../../../src/features/discussions/queries/notifications.js';
import { notificationSubject } from '../../../src/features/notifications/email.js';
import { retryDelaySeconds } from '../../../src/jobs/mail-worker.js';
import { enqueueEmail } from '../../../src/mail/outbox.js';

let smtp: TestSmtpServer;
let transport: MailTransport;
let t: TestApp;
beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '10000' }, transport: (transport = smtpTransport(smtp.url, 'Commons <no-reply@commons.test>')) });
});
afterAll(async () => {
  await t?.close();
  await transport?.close();
  await smtp?.stop();
});
beforeEach(async () => {
  smtp.reset();
  await smtp.start();
});

/** As if `seconds` had passed for every email waiting to be tried again (the queue's times are the database's). */
async function secondsPass(seconds: number): Promise<void> {
  await t.db.updateTable('outbound_emails').set({ next_attempt_at: sql`next_attempt_at - make_interval(secs => ${seconds})` }).where('status', '=', 'pending').execute();
}

/** Runs the worker until a round claims nothing: composes what is due, sends what is queued. */
async function drain(app = t.app): Promise<void> {
  while ((await app.mailWorker.runOnce()) > 0);
}

function receivedBy(address: string) {
  return smtp.received.filter((message) => message.recipients.includes(address));
}

// The headers a notification email carries, each once: anything else would have been injected.
const NOTIFICATION_HEADERS = ['from', 'to', 'subject', 'auto-submitted', 'message-id', 'in-reply-to', 'references', 'list-unsubscribe', 'list-unsubscribe-post', 'date', 'mime-version', 'content-type', 'content-transfer-encoding'];

/**
 * The header block is CRLF lines only, each at most 998 characters (RFC 5322), a folded line
 * going on with white space; unfolded, it names each expected header once and nothing else, and
 * no value holds a control character or a Unicode line break.
 */
function expectOneSafeHeaderBlock(raw: string): void {
  const block = raw.slice(0, raw.indexOf('\r\n\r\n'));
  expect(block).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
  const lines = block.split('\r\n');
  expect(lines.every((line) => line.length <= 998)).toBe(true);
  const unfolded = block.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  const names = unfolded.map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
  expect(names.filter((name) => !NOTIFICATION_HEADERS.includes(name))).toEqual([]);
  expect(new Set(names).size).toBe(names.length);
  for (const name of ['from', 'to', 'subject', 'message-id']) expect(names).toContain(name);
  for (const line of unfolded) expect(decodeHeader(line)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  expect(Array.from(decodeHeader(headerValues(raw, 'Subject')[0]!)).length).toBeLessThanOrEqual(240);
}

describe('notification email on the wire', () => {
  it('carries one-click unsubscribe and its Message-ID, and as the first about its thread follows no other', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Headers' });
    expect((await postReply(blair.browser, threadId, { body: 'A reply' })).statusCode).toBe(303);
    await minutesPass(t.db, 3);
    await drain();

    const [message, ...more] = receivedBy(alex.member.email);
    expect(more).toEqual([]);
    expect(headerValues(message!.raw, 'List-Unsubscribe')).toEqual([expect.stringMatching(new RegExp(`^<http://127\\.0\\.0\\.1:3000/unsubscribe/${alex.member.id}\\.reply\\.0\\.[A-Za-z0-9_-]{43}>$`))]);
    expect(headerValues(message!.raw, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
    expect(headerValues(message!.raw, 'Message-ID')).toEqual([`<notification-${threadId}-1.${alex.member.id}@127.0.0.1>`]);
    expect(headerValues(message!.raw, 'In-Reply-To')).toEqual([]);
    expect(headerValues(message!.raw, 'References')).toEqual([]);
    expect(decodeHeader(headerValues(message!.raw, 'Subject')[0]!)).toBe('Headers');
    expect(decodeHeader(headerValues(message!.raw, 'From')[0]!)).toBe(`${blair.member.displayName} via Commons <no-reply@commons.test>`);
    expect(message!.raw).toMatch(/Content-Type: text\/plain/);
    expect(message!.raw).toMatch(/Content-Type: text\/html/);
  });

  // PostgreSQL refuses NUL in text, so a name or title can never hold one; oneLine (mail/outbox.ts) strips it with the other controls.
  it('makes a 1,000-character title and a display name with CR, LF, bidi and other controls one safe Subject and one From line', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Injected' });
    // With bidi controls (which could reverse the words around the name) and a C1 control (NEL).
    const hostileName = 'Blair\u2066\r\nBcc: victim@evil.example\r\n\u001b\u0085\u2028X-Evil: yes\u202e';
    await t.db.updateTable('members').set({ display_name: hostileName }).where('id', '=', blair.member.id).execute();
    // The longest title a thread may have (150 characters), with a line break in it.
    await t.db.updateTable('threads').set({ title: `Long\r\nBcc: x@evil.example ${'t'.repeat(124)}` }).where('id', '=', threadId).execute();
    expect((await postReply(blair.browser, threadId, { body: 'A reply' })).statusCode).toBe(303);
    await minutesPass(t.db, 3);
    await drain();

    const [message] = receivedBy(alex.member.email);
    expectOneSafeHeaderBlock(message!.raw);
    const subjects = headerValues(message!.raw, 'Subject');
    expect(subjects).toHaveLength(1);
    const subject = decodeHeader(subjects[0]!);
    expect(subject).not.toMatch(/[\r\n\0]/);
    expect(subject.startsWith('Long Bcc: x@evil.example ttt')).toBe(true);
    expect(subject.endsWith('t…')).toBe(true);
    expect(Array.from(subject).length).toBeLessThanOrEqual(240);
    const froms = headerValues(message!.raw, 'From');
    expect(froms).toHaveLength(1);
    expect(decodeHeader(froms[0]!)).toBe('"Blair Bcc: victim@evil.example X-Evil: yes via Commons" <no-reply@commons.test>');
    expect(headerValues(message!.raw, 'Bcc')).toEqual([]);
    expect(headerValues(message!.raw, 'X-Evil')).toEqual([]);
    expect(message!.recipients).toEqual([alex.member.email]);
  });

  it('keeps a 1,000-character title and name with CR, LF and NUL to one short Subject line and one From line on the wire', async () => {
    const hostile = `Name\r\nBcc: victim@evil.example\u0000${'n'.repeat(1000)}`;
    const subject = notificationSubject(`Title\r\nX-Evil: yes\u0000${'t'.repeat(1000)}`, 'Commons');
    await enqueueEmail(t.db, { to: 'reader@agency.gov.au', subject, text: 'Hello', kind: 'notification', extras: { fromName: `${hostile} via Commons` } });
    await drain();

    const [message] = receivedBy('reader@agency.gov.au');
    expectOneSafeHeaderBlock(message!.raw);
    const subjects = headerValues(message!.raw, 'Subject');
    expect(subjects).toHaveLength(1);
    const decoded = decodeHeader(subjects[0]!);
    expect(decoded).not.toMatch(/[\r\n\0]/);
    expect(decoded).toMatch(/^Title X-Evil: yes t+…$/);
    expect(Array.from(decoded).length).toBeLessThanOrEqual(240);
    const froms = headerValues(message!.raw, 'From');
    expect(froms).toHaveLength(1);
    expect(decodeHeader(froms[0]!)).toMatch(/^"Name Bcc: victim@evil\.example n+" <no-reply@commons\.test>$/);
    expect(headerValues(message!.raw, 'Bcc')).toEqual([]);
    expect(headerValues(message!.raw, 'X-Evil')).toEqual([]);
  });

  it('refuses CR, LF, NUL and 1,000 characters in a title and a display name at the forms, and what the forms store reaches the wire as one Subject and one From line', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const profile = async (displayName: string) => blair.browser.post('/settings/profile', { _csrf: await csrfOf(blair.browser), display_name: displayName, job_title: '', bio: '', time_zone: '' });
    const newThread = async (title: string) => alex.browser.post('/c/questions/new', { ...(await alex.browser.openForm('/c/questions/new')), title, body: `A question titled ${title.length} long` });
    const refusals = [
      { send: profile, value: 'Blair\r\nBcc: victim@evil.example', message: 'Display name must be on one line' },
      { send: profile, value: 'Blair\u0000Bcc', message: 'Display name must not contain NUL characters' },
      { send: profile, value: 'n'.repeat(1000), message: 'Display name must be at most 80 characters (it is 1,000)' },
      { send: newThread, value: 'Title\r\nBcc: victim@evil.example', message: 'Title must be on one line' },
      { send: newThread, value: 'Title\u0000X-Evil: yes', message: 'Title must not contain NUL characters' },
      { send: newThread, value: 't'.repeat(1000), message: 'Title must be at most 150 characters (it is 1,000)' },
    ];
    for (const { send, value, message } of refusals) {
      const response = await send(value);
      expect(response.statusCode).toBe(422);
      expect(response.body).toContain(escapeLikeHandlebars(message));
    }

    // What the forms let through: Unicode's own line breaks (LINE SEPARATOR in a name; NEL and
    // PARAGRAPH SEPARATOR in a title), a bidi override, and the longest title allowed.
    const name = 'Blair\u2028Bcc: victim@evil.example';
    expect((await profile(name)).statusCode).toBe(303);
    const title = `Broken\u0085Bcc: x@evil.example\u2029X-Evil: yes\u202e ${'t'.repeat(100)}`.slice(0, 150);
    const created = await newThread(title);
    expect(created.statusCode, created.body).toBe(303);
    const threadId = Number(/^\/t\/(\d+)/.exec(String(created.headers.location))![1]);
    expect(await t.db.selectFrom('members').select('display_name').where('id', '=', blair.member.id).executeTakeFirstOrThrow()).toEqual({ display_name: name });
    expect(await t.db.selectFrom('threads').select('title').where('id', '=', threadId).executeTakeFirstOrThrow()).toEqual({ title });
    expect((await postReply(blair.browser, threadId, { body: 'A reply' })).statusCode).toBe(303);
    await minutesPass(t.db, 3);
    await drain();

    const [message, ...more] = receivedBy(alex.member.email);
    expect(more).toEqual([]);
    expectOneSafeHeaderBlock(message!.raw);
    const subject = decodeHeader(headerValues(message!.raw, 'Subject')[0]!);
    // The thread's title is the Subject (one conversation per thread), cut short on one line.
    expect(subject).toMatch(/^Broken Bcc: x@evil\.example X-Evil: yes t+…$/);
    expect(decodeHeader(headerValues(message!.raw, 'From')[0]!)).toBe('"Blair Bcc: victim@evil.example via Commons" <no-reply@commons.test>');
    expect(message!.recipients).toEqual([alex.member.email]);
  });

  it('sends each email once with two app instances composing and sending at the same time', async () => {
    const second = await buildTestApp({ database: t.database, transport: smtpTransport(smtp.url, 'Commons <no-reply@commons.test>') });
    try {
      const replier = await createMember(t.db);
      const threads = [];
      for (let n = 0; n < 12; n += 1) {
        const member = await memberWithBrowser(t.app, t.db);
        const threadId = await startThread(member.browser, 'questions', { title: `Parallel ${n}` });
        const [postId] = await addReplies(t.db, threadId, replier.id, 1);
        const category = await t.db.selectFrom('threads').select('category_id').where('id', '=', threadId).executeTakeFirstOrThrow();
        await t.db.transaction().execute((trx) => insertPostNotifications(trx, { postId: postId!, threadId, categoryId: category.category_id, actorId: replier.id, repliedToMemberId: member.member.id, mentionedHandles: [], newThread: false }));
        threads.push({ member: member.member, threadId });
      }
      await minutesPass(t.db, 3);
      await Promise.all([drain(t.app), drain(second.app), drain(t.app), drain(second.app)]);
      for (const { member } of threads) expect(receivedBy(member.email)).toHaveLength(1);
      const emailed = await t.db.selectFrom('notifications').select('emailed_at').where('thread_id', 'in', threads.map((thread) => thread.threadId)).execute();
      expect(emailed.every((row) => row.emailed_at !== null)).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('with the SMTP server down for the whole test, queues 100 notification emails and each arrives once when it is back', async () => {
    const COUNT = 100;
    await smtp.stop();
    const replier = await createMember(t.db);
    const category = await createCategory(t.db);
    const authors = [];
    for (let n = 0; n < COUNT; n += 1) {
      // A hundred members, each replied to in a thread of their own: a hundred emails, none coalesced with another.
      const author = await createMember(t.db);
      const [threadId] = await createThreads(t.db, category.id, author.id, 1);
      const [postId] = await addReplies(t.db, threadId!, replier.id, 1);
      await t.db.transaction().execute((trx) => insertPostNotifications(trx, { postId: postId!, threadId: threadId!, categoryId: category.id, actorId: replier.id, repliedToMemberId: author.id, mentionedHandles: [], newThread: false }));
      authors.push(author);
    }
    const addresses = authors.map((author) => author.email);
    const queued = () => t.db.selectFrom('outbound_emails').select(['status', 'attempts', 'headers']).where('kind', '=', 'notification').where('to_address', 'in', addresses).execute();
    await minutesPass(t.db, 3);

    // Several passes against the refusing port, each after the back-off has passed (moved on, not slept through).
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await drain();
      const rows = await queued();
      expect(rows).toHaveLength(COUNT);
      expect(rows.every((row) => row.status === 'pending' && row.attempts === attempt)).toBe(true);
      // Backing off: nothing is due until the delay has passed.
      expect(await t.app.mailWorker.runOnce()).toBe(0);
      await secondsPass(retryDelaySeconds(attempt, 1));
    }
    expect(smtp.received).toEqual([]);

    await smtp.start();
    await drain();
    const received = smtp.received.filter((message) => message.recipients.some((recipient) => addresses.includes(recipient)));
    expect(received).toHaveLength(COUNT);
    expect(new Set(received.flatMap((message) => message.recipients))).toEqual(new Set(addresses));
    const messageIds = received.map((message) => headerValues(message.raw, 'Message-ID')[0]);
    expect(new Set(messageIds).size).toBe(COUNT);
    expect(new Set(messageIds)).toEqual(new Set((await queued()).map((row) => (row.headers as { messageId: string }).messageId)));
    expect((await queued()).every((row) => row.status === 'sent' && row.attempts === 4)).toBe(true);
    // Nothing is sent twice, however often the worker runs.
    await secondsPass(3600);
    await drain();
    expect(smtp.received.filter((message) => message.recipients.some((recipient) => addresses.includes(recipient)))).toHaveLength(COUNT);
    // A hundred members, rows and five passes of twenty batches: more than the default 30 s on a busy machine.
  }, 120_000);
});

describe('emails about one thread, as mail clients group them', () => {
  it('all have the thread’s title as their Subject, and each later one follows the first’s Message-ID in In-Reply-To and References', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'One conversation', body: 'Shall we group these?' });
    for (const body of ['The first reply', 'A second reply, past the interval', 'A third, later still']) {
      expect((await postReply(blair.browser, threadId, { body })).statusCode).toBe(303);
      await minutesPass(t.db, 30);
      await drain();
    }

    const [first, second, third, ...more] = receivedBy(alex.member.email);
    expect(more).toEqual([]);
    const firstId = headerValues(first!.raw, 'Message-ID')[0]!;
    expect(firstId).toBe(`<notification-${threadId}-1.${alex.member.id}@127.0.0.1>`);
    for (const message of [first!, second!, third!]) expect(decodeHeader(headerValues(message.raw, 'Subject')[0]!)).toBe('One conversation');
    for (const later of [second!, third!]) {
      expect(headerValues(later.raw, 'In-Reply-To')).toEqual([firstId]);
      expect(headerValues(later.raw, 'References')).toEqual([firstId]);
    }
    // Every email's own Message-ID is its own.
    expect(new Set([first!, second!, third!].map((message) => headerValues(message.raw, 'Message-ID')[0])).size).toBe(3);
    expect(headerValues(second!.raw, 'Message-ID')).toEqual([`<notification-${threadId}-2.${alex.member.id}@127.0.0.1>`]);
    // What happened is said in the body.
    expect(second!.raw).toContain('A second reply, past the interval');
  });
});

describe('the List-Unsubscribe header of an email carrying several kinds', () => {
  /** In Blair's thread, Casey replies to Alex's post and Dana mentions Alex: one email to Alex with both. */
  async function replyAndMention() {
    const [alex, blair, casey, dana] = [await memberWithBrowser(t.app, t.db), await memberWithBrowser(t.app, t.db), await memberWithBrowser(t.app, t.db), await memberWithBrowser(t.app, t.db)];
    const threadId = await startThread(blair.browser, 'questions', { title: 'Two kinds', body: 'A question with two kinds of answer' });
    const alexsPost = postIdFrom((await postReply(alex.browser, threadId, { body: 'What Alex thinks' })).headers.location);
    expect((await postReply(casey.browser, threadId, { body: 'A reply to Alex', reply_to: String(alexsPost) })).statusCode).toBe(303);
    expect((await postReply(dana.browser, threadId, { body: `Asking @${alex.member.handle} too` })).statusCode).toBe(303);
    await minutesPass(t.db, 3);
    await drain();
    const [message, ...more] = receivedBy(alex.member.email);
    expect(more).toEqual([]);
    const [header] = headerValues(message!.raw, 'List-Unsubscribe');
    const path = new URL(header!.slice(1, -1)).pathname;
    return { alex, path };
  }

  const oneClick = (path: string) => t.app.inject({ method: 'POST', url: path, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const deliveries = (memberId: number) => t.db.selectFrom('notification_preferences').select(['kind', 'delivery']).where('member_id', '=', memberId).orderBy('kind').execute();

  it('is one link signed over every kind in the email, which turns each of them off, once, with no session', async () => {
    const { alex, path } = await replyAndMention();
    expect(path).toMatch(new RegExp(`^/unsubscribe/${alex.member.id}\\.reply-mention\\.0-0\\.[A-Za-z0-9_-]{43}$`));
    const page = await t.app.inject({ method: 'GET', url: path });
    expect(page.body).toContain('Stop emails about “Replies to your posts” and “Mentions of you”?');
    const done = await oneClick(path);
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('we will not email you about “Replies to your posts” or “Mentions of you” any more');
    expect(await deliveries(alex.member.id)).toEqual([
      { kind: 'mention', delivery: 'never' },
      { kind: 'reply', delivery: 'never' },
    ]);
    expect((await oneClick(path)).statusCode).toBe(410);
  });

  it('refuses a link with a kind added, taken away or its version altered, and changes nothing', async () => {
    const { alex, path } = await replyAndMention();
    const signature = path.split('.').pop()!;
    for (const altered of [
      `/unsubscribe/${alex.member.id}.reply-mention-answer.0-0-0.${signature}`,
      `/unsubscribe/${alex.member.id}.reply.0.${signature}`,
      `/unsubscribe/${alex.member.id}.mention-reply.0-0.${signature}`,
      `/unsubscribe/${alex.member.id}.reply-mention.0-1.${signature}`,
      `/unsubscribe/${alex.member.id}.reply-reply.0-0.${signature}`,
      `/unsubscribe/${alex.member.id}.reply-digest.0-0.${signature}`,
    ]) {
      expect((await oneClick(altered)).statusCode, altered).toBe(400);
    }
    expect(await deliveries(alex.member.id)).toEqual([]);
  });

  it('is spent when the member changes one of its kinds themself', async () => {
    const { alex, path } = await replyAndMention();
    await t.db.insertInto('notification_preferences').values({ member_id: alex.member.id, kind: 'mention', delivery: 'digest', version: 1 }).execute();
    expect((await oneClick(path)).statusCode).toBe(410);
    expect(await deliveries(alex.member.id)).toEqual([{ kind: 'mention', delivery: 'digest' }]);
  });
});

describe('a hard bounce', () => {
  it('stops further notification email: the refused address’s member is deactivated, and a deactivated member is emailed nothing', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const first = await startThread(alex.browser, 'questions', { title: 'Bounce one', body: 'First question about bounces' });
    expect((await postReply(blair.browser, first, { body: 'A reply' })).statusCode).toBe(303);
    smtp.rejectWith(550);
    await minutesPass(t.db, 3);
    await drain();
    smtp.rejectWith(null);
    expect((await t.db.selectFrom('members').select('deactivated_at').where('id', '=', alex.member.id).executeTakeFirstOrThrow()).deactivated_at).not.toBeNull();

    const second = await t.db.selectFrom('threads').select('category_id').where('id', '=', first).executeTakeFirstOrThrow();
    const [postId] = await addReplies(t.db, first, blair.member.id, 1);
    await t.db.transaction().execute((trx) => insertPostNotifications(trx, { postId: postId!, threadId: first, categoryId: second.category_id, actorId: blair.member.id, repliedToMemberId: alex.member.id, mentionedHandles: [], newThread: false }));
    await minutesPass(t.db, 30);
    await drain();
    expect(receivedBy(alex.member.email)).toEqual([]);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toHaveLength(1);
  });
});

describe('the excerpt in the email', () => {
  it('is inert: a <script> and a javascript: link in the post are text, never markup or a link', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Hostile excerpt' });
    const response = await postReply(blair.browser, threadId, { body: 'Look <script>alert(1)</script> [here](javascript:alert(2)) <img src=x onerror=alert(3)> <a href="javascript:alert(4)">there</a>' });
    expect(response.statusCode).toBe(303);
    const postId = postIdFrom(response.headers.location);
    await minutesPass(t.db, 3);
    await t.app.mailWorker.composeAll();

    const [email] = await queuedNotificationEmails(t.db, alex.member.email);
    expect(email!.html).not.toMatch(/<script/i);
    expect(email!.html).not.toMatch(/<img/i);
    expect(email!.html).not.toMatch(/href="javascript:/i);
    expect(email!.html).not.toMatch(/onerror=/i);
    const hrefs = [...email!.html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]!);
    expect(hrefs.every((href) => href.startsWith('http://127.0.0.1:3000/'))).toBe(true);
    expect(hrefs).toContain(`http://127.0.0.1:3000/p/${postId}`);
    expect(email!.html).toContain('Look');
  });
});
