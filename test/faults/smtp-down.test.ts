import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../src/jobs/mail-worker.js';
import { smtpTransport, type MailTransport } from '../../src/mail/transport.js';
import { Browser, buildTestApp, type TestApp } from '../support/app.js';
import { memberWithBrowser, startThread } from '../support/discussions.js';
import { createCategory } from '../support/forum-rows.js';
import { decodeHeader, headerValues, minutesPass, replyTo } from '../support/notification-email.js';
import { TestSmtpServer } from '../support/smtp.js';

/*
 * The SMTP relay is down (its port closed: every connection refused) while members are told of
 * replies and mentions, a daily digest comes due and people ask to join. Every email waits in the
 * outbox through the worker's failed attempts; once the relay is back each arrives exactly once.
 *
 * The digest's schedule reads the app's clock, held at 21:00 UTC on 9 January 2027 (08:00 the
 * next day in Sydney, the site's digest hour) only while it is composed; the queue's back-off is
 * the database's time, moved on by moving the pending rows' times back.
 */
let scheduledAt: Date | undefined;
const clock = () => scheduledAt ?? new Date();

let smtp: TestSmtpServer;
let transport: MailTransport;
let t: TestApp;
beforeAll(async () => {
  smtp = new TestSmtpServer();
  // Started once for a port of its own, which the transport keeps across the outage.
  await smtp.start();
  await smtp.stop();
  transport = smtpTransport(smtp.url, 'Commons <no-reply@commons.test>');
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '10000' }, transport, now: clock });
});
afterAll(async () => {
  await t?.close();
  await transport?.close();
  await smtp?.stop();
});

const SIGNUPS = 12;

/** Runs the worker until a round claims nothing; returns how many emails it handled. */
async function drain(): Promise<number> {
  let handled = 0;
  for (let claimed = await t.app.mailWorker.runOnce(); claimed > 0; claimed = await t.app.mailWorker.runOnce()) handled += claimed;
  return handled;
}

/** As if `seconds` had passed for every email waiting to be tried again. */
async function secondsPass(seconds: number): Promise<void> {
  await t.db.updateTable('outbound_emails').set({ next_attempt_at: sql`next_attempt_at - make_interval(secs => ${seconds})` }).where('status', '=', 'pending').execute();
}

const outbox = () => t.db.selectFrom('outbound_emails').select(['id', 'kind', 'to_address', 'subject', 'status', 'attempts', 'sent_at', 'failed_at']).orderBy('id').execute();

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** Replies, a mention and a watched thread's news for a digest, and sign-ups: what the outage must not lose. */
async function mailWorthyActivity() {
  const [alex, blair, casey, dana, watcher] = [await memberWithBrowser(t.app, t.db), await memberWithBrowser(t.app, t.db), await memberWithBrowser(t.app, t.db), await memberWithBrowser(t.app, t.db), await memberWithBrowser(t.app, t.db)];
  const category = await createCategory(t.db);
  // Only what comes after counts toward the watcher's digest.
  await t.db.updateTable('members').set({ notification_digest_sent_at: sql`now()` }).where('id', '=', watcher.member.id).execute();
  await t.db.insertInto('category_watches').values({ member_id: watcher.member.id, category_id: category.id }).execute();
  const threadId = await startThread(alex.browser, category.slug, { title: 'Records after a relay outage', body: 'How do you keep mail records?' });
  await t.db.insertInto('thread_watches').values({ member_id: watcher.member.id, thread_id: threadId, level: 'watching' }).execute();
  await replyTo(blair.browser, threadId, 'We keep a journal of every message.');
  await replyTo(casey.browser, threadId, `@${dana.member.handle} will know how your team does it.`);
  for (let n = 0; n < SIGNUPS; n += 1) {
    const browser = new Browser(t.app);
    expect((await browser.post('/signup', { ...(await browser.openForm('/signup')), email: `joiner.${n}.${alex.member.handle}@finance.gov.au`, accept_guidelines: 'yes' })).statusCode).toBe(200);
  }
  // Past the notification emails' wait; the requests, notifications and digests composed at the digest hour.
  await minutesPass(t.db, 30);
  scheduledAt = new Date('2027-01-09T21:00:00Z');
  try {
    await t.app.mailWorker.composeAll();
  } finally {
    scheduledAt = undefined;
  }
  return { alex: alex.member, blair: blair.member, dana: dana.member, watcher: watcher.member };
}

describe('SMTP down for the whole run', () => {
  it('keeps every reply, mention, digest and sign-up email queued through three failed rounds, then delivers each exactly once', async () => {
    const { alex, blair, dana, watcher } = await mailWorthyActivity();
    const queued = await outbox();
    expect(countBy(queued, (email) => email.kind)).toEqual({ 'auth.verify': SIGNUPS, notification: 2, 'notification.digest': 2 });
    expect(countBy(queued.filter((email) => email.kind !== 'auth.verify'), (email) => `${email.kind} ${email.to_address}`)).toEqual({
      [`notification ${alex.email}`]: 1,
      [`notification ${dana.email}`]: 1,
      // Blair follows the thread they replied in: Casey's later reply is in their digest.
      [`notification.digest ${blair.email}`]: 1,
      [`notification.digest ${watcher.email}`]: 1,
    });

    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect(await drain()).toBe(queued.length);
      const rows = await outbox();
      expect(rows.map((row) => row.id)).toEqual(queued.map((row) => row.id));
      expect(rows.every((row) => row.status === 'pending' && row.attempts === attempt && row.sent_at === null && row.failed_at === null)).toBe(true);
      // Backing off: nothing is due until the delay has passed.
      expect(await t.app.mailWorker.runOnce()).toBe(0);
      await secondsPass(retryDelaySeconds(attempt, 1));
    }
    expect(smtp.received).toEqual([]);

    await smtp.start();
    const started = Date.now();
    expect(await drain()).toBe(queued.length);
    const recoveryMs = Date.now() - started;
    const received = smtp.received.map((message) => ({ to: message.recipients.join(','), subject: decodeHeader(headerValues(message.raw, 'Subject')[0]!) }));
    expect(received).toHaveLength(queued.length);
    const key = (email: { to: string; subject: string }) => `${email.to} | ${email.subject}`;
    const timesReceived = countBy(received, key);
    expect(Object.values(timesReceived).every((times) => times === 1)).toBe(true);
    expect(timesReceived).toEqual(countBy(queued, (email) => key({ to: email.to_address, subject: email.subject })));
    const delivered = await outbox();
    expect(delivered).toHaveLength(queued.length);
    expect(delivered.every((row) => row.status === 'sent' && row.attempts === 4 && row.failed_at === null)).toBe(true);

    // A second pass, even past any back-off, sends nothing and queues nothing.
    await secondsPass(24 * 3600);
    expect(await drain()).toBe(0);
    expect(smtp.received).toHaveLength(queued.length);
    expect(await outbox()).toHaveLength(queued.length);
    console.info(`smtp-down: ${queued.length} emails queued through 3 refused rounds, delivered in ${recoveryMs} ms once the relay was back`);
  });
});
