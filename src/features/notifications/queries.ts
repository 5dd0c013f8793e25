import { sql } from 'kysely';
import type { Db } from '../../db/types.js';
import { deliveryOf } from './preferences.js';

/*
 * Every time here is the database's (now()), as the outbox's are: rows made in a post's
 * transaction and the sender on any instance agree on one clock.
 */

/**
 * How long a first notification waits for others in its thread, so a burst of replies makes one
 * email. A constant, not a setting: the per-thread interval (NOTIFICATION_EMAIL_INTERVAL_MINUTES)
 * is the knob administrators have.
 */
export const COALESCE_WINDOW_SECONDS = 120;

/**
 * Schedules an email for each (member, thread) of these new notifications whose kind the member
 * takes at once, in the transaction that made them. A row already waiting keeps its time, so
 * later notifications ride along with the first rather than pushing the email back.
 */
export async function pendNotificationEmails(db: Db, notificationIds: number[]): Promise<void> {
  if (notificationIds.length === 0) return;
  await sql`
    insert into notification_emails (member_id, thread_id, due_at)
    select distinct n.member_id, n.thread_id, now() + make_interval(secs => ${COALESCE_WINDOW_SECONDS})
    from notifications n
    where n.id = any(${notificationIds}::bigint[])
      and ${deliveryOf(sql.ref('n.member_id'), sql.ref('n.kind'))} = 'immediately'
    on conflict (member_id, thread_id) do update set due_at = coalesce(notification_emails.due_at, excluded.due_at)
  `.execute(db);
}

export interface DueNotificationEmail {
  memberId: number;
  threadId: number;
  /** How many emails this member has had about this thread, this one included: part of its Message-ID. */
  batch: number;
  /** The Message-ID of the first email to this member about this thread, which later ones follow; null before it. */
  firstMessageId: string | null;
}

/**
 * Takes up to `limit` (member, thread) emails that are due and whose thread has not been emailed
 * to the member within the interval. Rows another sender holds are skipped (SKIP LOCKED); the
 * caller's transaction keeps them until it has queued the email and marked the notifications.
 */
export async function claimDueNotificationEmails(db: Db, { intervalMinutes, limit }: { intervalMinutes: number; limit: number }): Promise<DueNotificationEmail[]> {
  const rows = await db
    .selectFrom('notification_emails')
    .select(['member_id', 'thread_id', 'batches', 'first_message_id'])
    .where('due_at', '<=', sql<Date>`now()`)
    .where((eb) => eb.or([eb('last_sent_at', 'is', null), eb('last_sent_at', '<=', sql<Date>`now() - make_interval(mins => ${intervalMinutes})`)]))
    .orderBy('due_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((row) => ({ memberId: row.member_id, threadId: row.thread_id, batch: row.batches + 1, firstMessageId: row.first_message_id }));
}

/**
 * Done with a claimed row: sent (counting the batch, starting the interval, and keeping the first
 * email's Message-ID for the later ones to follow), or nothing left to send (no `sentMessageId`).
 */
export async function settleNotificationEmail(db: Db, due: DueNotificationEmail, sentMessageId: string | undefined): Promise<void> {
  await db
    .updateTable('notification_emails')
    .set(sentMessageId ? { due_at: null, last_sent_at: sql`now()`, batches: due.batch, first_message_id: due.firstMessageId ?? sentMessageId } : { due_at: null })
    .where('member_id', '=', due.memberId)
    .where('thread_id', '=', due.threadId)
    .execute();
}

/** A claimed row that could not be composed: due again in `minutes`, its notifications untouched. */
export async function postponeNotificationEmail(db: Db, due: DueNotificationEmail, minutes: number): Promise<void> {
  await db
    .updateTable('notification_emails')
    .set({ due_at: sql`now() + make_interval(mins => ${minutes})` })
    .where('member_id', '=', due.memberId)
    .where('thread_id', '=', due.threadId)
    .execute();
}

/**
 * Marks these notifications emailed and returns the ids it marked: only those no other sender has
 * marked. The row locks make it a claim: a sender that lost the race for a notification gets no
 * id for it (the update waits for the winner, then finds emailed_at set), so it must send only what
 * this returns.
 */
export async function markNotificationsEmailed(db: Db, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  // One statement shape however many ids (decision 0010).
  const rows = await db
    .updateTable('notifications')
    .set({ emailed_at: sql`now()` })
    .where(sql<boolean>`id = any(${ids}::bigint[])`)
    .where('emailed_at', 'is', null)
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

/**
 * After a member's choices change: pends an email for each thread where they have notifications
 * neither read nor emailed of a kind they now take at once (those that waited for the digest, or
 * were set to never), by the usual rule; the digest no longer carries them.
 */
export async function pendMemberNotificationEmails(db: Db, memberId: number): Promise<void> {
  const rows = await db.selectFrom('notifications').select('id').where('member_id', '=', memberId).where('emailed_at', 'is', null).where('read_at', 'is', null).execute();
  await pendNotificationEmails(
    db,
    rows.map((row) => row.id),
  );
}

/**
 * A thread merged into another: its members' waiting emails wait for the target instead, since
 * its notifications now point there. A member with a row for the target already keeps the earlier
 * time and the target's first Message-ID (and its interval); rows left on the merged thread go.
 */
export async function moveNotificationEmails(db: Db, from: number, to: number): Promise<void> {
  await sql`
    insert into notification_emails (member_id, thread_id, due_at, last_sent_at, first_message_id)
    select member_id, ${to}, due_at, last_sent_at, first_message_id from notification_emails where thread_id = ${from} and due_at is not null
    on conflict (member_id, thread_id) do update set
      due_at = least(notification_emails.due_at, excluded.due_at),
      first_message_id = coalesce(notification_emails.first_message_id, excluded.first_message_id)
  `.execute(db);
  await db.deleteFrom('notification_emails').where('thread_id', '=', from).execute();
}

/**
 * Who may be emailed about a thread now, with what the email needs: nobody deactivated,
 * suspended or still awaiting approval, and nobody whose address refused email for good (a hard
 * bounce: features/eligibility/bounces.ts records it, and the rule there may deactivate them
 * too) until it changes or they ask to try it again. This is the one place the sender and the
 * digest ask.
 */
export async function findNotificationRecipient(db: Db, memberId: number) {
  return db
    .selectFrom('members')
    .select(['id', 'email', 'role', 'display_name', 'time_zone'])
    .where('id', '=', memberId)
    .where('deactivated_at', 'is', null)
    .where('email_bounced_at', 'is', null)
    .where('awaiting_approval_since', 'is', null)
    .where((eb) => eb.or([eb('suspended_until', 'is', null), eb('suspended_until', '<=', sql<Date>`now()`)]))
    .executeTakeFirst();
}
