import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markNotificationsEmailed } from '../../../src/features/notifications/queries.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, startThread } from '../../support/discussions.js';
import { chooseEmail as choose, minutesPass, queuedNotificationEmails, replyTo as reply } from '../../support/notification-email.js';
import { moderationForm, threadAction } from '../../support/thread-moderation.js';

/*
 * What waits to be emailed follows the notifications it is about: into a merged thread's target,
 * to a split thread, into the immediate emails when a kind is switched to them; and one
 * notification goes in one email however two senders meet over it.
 */

let t: TestApp;
let moderator: Awaited<ReturnType<typeof memberWithBrowser>>;
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '10000' } });
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
});
afterAll(async () => t.close());

async function composeAfter(minutes: number): Promise<void> {
  await minutesPass(t.db, minutes);
  await t.app.mailWorker.composeAll();
}

async function merge(sourceId: number, targetId: number): Promise<void> {
  const response = await threadAction(moderator.browser, sourceId, 'merge', { ...(await moderationForm(moderator.browser, sourceId)), into: String(targetId) });
  expect(response.statusCode, response.body.slice(0, 400)).toBe(303);
}

async function pendingThreads(memberId: number): Promise<number[]> {
  const rows = await t.db.selectFrom('notification_emails').select('thread_id').where('member_id', '=', memberId).where('due_at', 'is not', null).orderBy('thread_id').execute();
  return rows.map((row) => row.thread_id);
}

/**
 * Another sender (the digest, or an immediate email) has listed and marked the notification and
 * not yet committed when this app's worker composes: the worker lists it too (it cannot see the
 * mark), and the other commits once the worker waits on the row. On the embedded database's one
 * connection the senders take turns, the other's mark in first.
 */
async function whileAnotherSenderMarks(notificationId: number): Promise<void> {
  if (t.database.embedded) {
    expect(await markNotificationsEmailed(t.db, [notificationId])).toEqual([notificationId]);
    await t.app.mailWorker.composeAll();
    return;
  }
  let composing: Promise<number> | undefined;
  await t.db.transaction().execute(async (trx) => {
    expect(await markNotificationsEmailed(trx, [notificationId])).toEqual([notificationId]);
    composing = t.app.mailWorker.composeAll();
    for (let waited = 0; ; waited += 10) {
      const { rows } = await sql<{ waiting: number }>`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(t.db);
      if (rows[0]!.waiting >= 1) break;
      if (waited > 5_000) throw new Error('the worker never waited on the notification');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  await composing;
}

describe('a merged thread', () => {
  it('emails the notifications it carried into the target, about the target', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const source = await startThread(alex.browser, 'questions', { title: 'Merged away' });
    const target = await startThread(blair.browser, 'questions', { title: 'Merged into' });
    const postId = await reply(blair.browser, source, 'A reply waiting to be emailed');

    await merge(source, target);
    expect(await pendingThreads(alex.member.id)).toEqual([target]);
    await composeAfter(3);
    const emails = await queuedNotificationEmails(t.db, alex.member.email);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toBe('Merged into');
    expect(emails[0]!.text).toContain(`/p/${postId}`);
  });

  it('makes one email with the target’s own, keeping the earlier time and the target’s first Message-ID', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const source = await startThread(alex.browser, 'questions', { title: 'Second of two' });
    const target = await startThread(alex.browser, 'questions', { title: 'First of two' });
    // An email about the target went already: later ones follow it.
    await reply(blair.browser, target, 'Emailed before the merge');
    await composeAfter(3);
    const [first] = await queuedNotificationEmails(t.db, alex.member.email);
    const onTarget = await reply(blair.browser, target, 'Waiting on the target');
    const onSource = await reply(blair.browser, source, 'Waiting on the merged thread');
    // The merged thread's email was due first.
    await t.db.updateTable('notification_emails').set({ due_at: sql`now() - interval '1 minute'` }).where('thread_id', '=', source).execute();

    await merge(source, target);
    const rows = await t.db.selectFrom('notification_emails').select(['thread_id', sql<boolean>`due_at < now()`.as('overdue'), 'first_message_id']).where('member_id', '=', alex.member.id).orderBy('thread_id').execute();
    expect(rows).toEqual([{ thread_id: target, overdue: true, first_message_id: first!.headers.messageId }]);
    await composeAfter(15);
    const [, email, ...more] = await queuedNotificationEmails(t.db, alex.member.email);
    expect(more).toEqual([]);
    expect(email!.text).toContain(`/p/${onTarget}`);
    expect(email!.text).toContain(`/p/${onSource}`);
    expect(email!.headers.inReplyTo).toBe(first!.headers.messageId);
  });
});

describe('a split thread', () => {
  it('emails the notifications of the posts split off about the new thread, and the rest about the old', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Before the split' });
    const stays = await reply(blair.browser, threadId, 'This reply stays');
    const goes = await reply(blair.browser, threadId, 'This reply goes');

    const hidden = await moderator.browser.openForm(`/mod/threads/${threadId}/split`);
    const response = await threadAction(moderator.browser, threadId, 'split', { ...hidden, posts: [String(goes)], category: 'questions', title: 'Split off' });
    expect(response.statusCode, response.body.slice(0, 400)).toBe(303);
    const newThreadId = Number(/^\/t\/(\d+)$/.exec(String(response.headers.location))![1]);
    expect(await t.db.selectFrom('notifications').select('thread_id').where('member_id', '=', alex.member.id).where('post_id', '=', goes).executeTakeFirstOrThrow()).toEqual({ thread_id: newThreadId });

    await composeAfter(3);
    const emails = await queuedNotificationEmails(t.db, alex.member.email);
    expect(emails.map((email) => email.subject).sort()).toEqual(['Before the split', 'Split off']);
    const byTitle = Object.fromEntries(emails.map((email) => [email.subject, email.text]));
    expect(byTitle['Before the split']).toContain(`/p/${stays}`);
    expect(byTitle['Before the split']).not.toContain(`/p/${goes}`);
    expect(byTitle['Split off']).toContain(`/p/${goes}`);
  });
});

describe('a kind switched to immediately', () => {
  it('emails what waited for the digest, after the usual window, once', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    await choose(alex.browser, { reply: 'digest' });
    const threadId = await startThread(alex.browser, 'questions', { title: 'Waited for the digest' });
    const postId = await reply(blair.browser, threadId, 'A reply for the digest');
    expect(await pendingThreads(alex.member.id)).toEqual([]);

    await choose(alex.browser, { reply: 'immediately' });
    expect(await pendingThreads(alex.member.id)).toEqual([threadId]);
    await t.app.mailWorker.composeAll();
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);
    await composeAfter(3);
    const emails = await queuedNotificationEmails(t.db, alex.member.email);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.text).toContain(`/p/${postId}`);
    await composeAfter(60);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toHaveLength(1);
  });

  it('emails what was set to never, too', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    await choose(alex.browser, { reply: 'never' });
    const threadId = await startThread(alex.browser, 'questions', { title: 'Was never' });
    await reply(blair.browser, threadId, 'A reply for nobody');
    await choose(alex.browser, { reply: 'immediately' });
    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toHaveLength(1);
  });
});

describe('two senders over one notification', () => {
  it('sends nothing immediately about a notification another sender (the digest) marked while this one composed', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Raced' });
    const postId = await reply(blair.browser, threadId, 'Carried by the digest');
    const notification = await t.db.selectFrom('notifications').select('id').where('member_id', '=', alex.member.id).where('post_id', '=', postId).executeTakeFirstOrThrow();
    await minutesPass(t.db, 3);

    await whileAnotherSenderMarks(notification.id);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);
    // The mark is the digest's alone, never taken twice.
    expect(await markNotificationsEmailed(t.db, [notification.id])).toEqual([]);
  });
});

describe('the digest and an immediate email meeting over one notification', () => {
  it('leaves out of the digest a notification another sender marked while it composed', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    // Replies in the digest, at midnight: whatever the hour now, today's digest is due at once.
    await choose(alex.browser, { reply: 'digest', digest_hour: '0' });
    const threadId = await startThread(alex.browser, 'questions', { title: 'Raced by the digest' });
    const postId = await reply(blair.browser, threadId, 'Carried by the immediate email');
    const notification = await t.db.selectFrom('notifications').select('id').where('member_id', '=', alex.member.id).where('post_id', '=', postId).executeTakeFirstOrThrow();

    await whileAnotherSenderMarks(notification.id);
    // The day was claimed, and with its one notification taken by the other sender, nothing went.
    expect(await t.db.selectFrom('members').select(sql<boolean>`notification_digest_sent_for is not null`.as('claimed')).where('id', '=', alex.member.id).executeTakeFirstOrThrow()).toEqual({ claimed: true });
    expect(await t.db.selectFrom('outbound_emails').select('kind').where('to_address', '=', alex.member.email).where('kind', '=', 'notification.digest').execute()).toEqual([]);
  });
});
