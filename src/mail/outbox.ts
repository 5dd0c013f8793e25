import { sql } from 'kysely';
import type { Db } from '../db/types.js';

/**
 * The durable mail queue. A feature queues an email (mail/mail.ts) in the same transaction as the change
 * that causes it; the worker (jobs/mail-worker.ts) claims, sends and marks it in separate
 * short statements, so no transaction is open while SMTP is talked to.
 */

export interface EmailExtras {
  replyTo?: string;
  /** Who the email is from, shown before the site's own address ("Alex via Commons"). */
  fromName?: string;
  /** An https link that unsubscribes from this kind of email in one click (RFC 8058). */
  listUnsubscribe?: string;
  /** This email's own Message-ID, `<local@host>`. */
  messageId?: string;
  /** The Message-ID this email follows (In-Reply-To and References): mail clients group by it. */
  inReplyTo?: string;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** What the email is for (`contact.message`, `auth.verify`), for the operators' listings. */
  kind: string;
  extras?: EmailExtras;
}

export interface ClaimedEmail {
  id: number;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  extras: EmailExtras;
  attempts: number;
}

/** Header values are one line: a CR or LF here would let a title inject headers. */
export function oneLine(value: string): string {
  // Bidi embeddings, overrides and isolates go (a header has no markup to isolate a name with, and
  // an unclosed override reverses what follows it); C0 and C1 controls and line separators become a space.
  return value
    .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .trim();
}

// Long enough for "<a display name of 100 characters> via <a site name of 60>".
const FROM_NAME_MAX = 170;

/** Every extra becomes a header: each is made one line, and a display name no longer than FROM_NAME_MAX characters. */
function oneLineExtras(extras: EmailExtras): EmailExtras {
  const lines = Object.fromEntries(Object.entries(extras).map(([name, value]) => [name, oneLine(String(value))])) as EmailExtras;
  return lines.fromName === undefined ? lines : { ...lines, fromName: Array.from(lines.fromName).slice(0, FROM_NAME_MAX).join('') };
}

/** How soon a queued email goes, most urgent first: the worker claims by this, then by when it is due. */
export const EMAIL_PRIORITY = { account: 0, notification: 1, digest: 2 } as const;

/**
 * Every kind of email the site queues, with its priority (views/emails names the templates; a
 * test checks each queued kind is here). Account and security emails — sign-up links, password
 * resets, address changes, unlock links, answers to people who wrote in — go before notifications,
 * and the daily digests, queued for every member at once, go last: at 08:00 a password reset
 * waits for no digest.
 */
export const EMAIL_PRIORITIES: Readonly<Record<string, number>> = {
  'auth.verify': EMAIL_PRIORITY.account,
  'auth.already-member': EMAIL_PRIORITY.account,
  'auth.reset': EMAIL_PRIORITY.account,
  'auth.unlock': EMAIL_PRIORITY.account,
  'auth.new-device': EMAIL_PRIORITY.account,
  'auth.email-change': EMAIL_PRIORITY.account,
  'auth.email-change-notice': EMAIL_PRIORITY.account,
  'auth.email-change-taken': EMAIL_PRIORITY.account,
  'auth.email-changed': EMAIL_PRIORITY.account,
  'contact.message': EMAIL_PRIORITY.account,
  'eligibility.reconfirm': EMAIL_PRIORITY.account,
  'eligibility.reminder': EMAIL_PRIORITY.account,
  'moderation.member-approved': EMAIL_PRIORITY.account,
  'moderation.member-rejected': EMAIL_PRIORITY.account,
  'moderation.post-approved': EMAIL_PRIORITY.notification,
  'moderation.post-rejected': EMAIL_PRIORITY.notification,
  notification: EMAIL_PRIORITY.notification,
  'notification.digest': EMAIL_PRIORITY.digest,
};

/** A kind missing from the list (a test's own) goes with the notifications: neither ahead of a reset nor behind a digest. */
export function emailPriority(kind: string): number {
  return Object.hasOwn(EMAIL_PRIORITIES, kind) ? EMAIL_PRIORITIES[kind]! : EMAIL_PRIORITY.notification;
}

export async function enqueueEmail(db: Db, email: OutgoingEmail): Promise<number> {
  const row = await db
    .insertInto('outbound_emails')
    .values({
      to_address: oneLine(email.to),
      // By code point, so a cut never leaves half a surrogate pair.
      subject: Array.from(oneLine(email.subject)).slice(0, 300).join(''),
      text_body: email.text,
      html_body: email.html ?? null,
      headers: JSON.stringify(oneLineExtras(email.extras ?? {})),
      kind: email.kind,
      priority: emailPriority(email.kind),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Takes up to `limit` due emails for this worker, the most urgent kind first (EMAIL_PRIORITIES),
 * then the longest due; the index outbound_emails_claim serves this order. Rows being sent by another worker are
 * skipped (SKIP LOCKED); a claim is a lease: if this worker dies mid-send, the email is due
 * again once the lease ends.
 */
export async function claimDueEmails(db: Db, limit: number, leaseSeconds: number): Promise<ClaimedEmail[]> {
  const rows = await db
    .updateTable('outbound_emails')
    .set({
      status: 'sending',
      attempts: sql`attempts + 1`,
      next_attempt_at: sql`now() + make_interval(secs => ${leaseSeconds})`,
    })
    .where('id', 'in', (qb) =>
      qb
        .selectFrom('outbound_emails')
        .select('id')
        .where('status', 'in', ['pending', 'sending'])
        .where(sql<boolean>`next_attempt_at <= now()`)
        .orderBy('priority')
        .orderBy('next_attempt_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'to_address', 'subject', 'text_body', 'html_body', 'headers', 'attempts', 'priority'])
    .execute();
  // UPDATE … RETURNING keeps no order: the batch is sent the most urgent first, then oldest first.
  rows.sort((a, b) => a.priority - b.priority || a.id - b.id);
  return rows.map((row) => ({
    id: row.id,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body ?? '',
    html: row.html_body,
    extras: row.headers as EmailExtras,
    attempts: row.attempts,
  }));
}

/** Which claim a mark is for: a worker whose lease ran out must not overwrite a newer claim. */
export type Claim = Pick<ClaimedEmail, 'id' | 'attempts'>;

function ownClaim(db: Db, claim: Claim) {
  return db.updateTable('outbound_emails').where('id', '=', claim.id).where('status', '=', 'sending').where('attempts', '=', claim.attempts);
}

/** Sent: the bodies go, so no usable link from an email stays in the database. */
export async function markEmailSent(db: Db, claim: Claim): Promise<void> {
  await ownClaim(db, claim).set({ status: 'sent', sent_at: sql`now()`, text_body: null, html_body: null, last_error: null }).execute();
}

export async function markEmailAttemptFailed(db: Db, claim: Claim, error: string, retryInSeconds: number | null): Promise<void> {
  const lastError = oneLine(error).slice(0, 1000);
  await ownClaim(db, claim)
    .set(
      retryInSeconds === null
        ? { status: 'failed', failed_at: sql`now()`, last_error: lastError }
        : { status: 'pending', next_attempt_at: sql`now() + make_interval(secs => ${retryInSeconds})`, last_error: lastError },
    )
    .execute();
}

/** Why an email to an address that refused mail for good was given up on unsent. */
export function notTriedAfterRefusal(error: string): string {
  return `Not tried: an earlier email to this address was refused for good (${error})`;
}

/**
 * Gives up on every email waiting for an address that refused mail for good (a hard bounce), so
 * none is tried against it again; they stay listed as failed, to be retried by hand.
 */
export async function failEmailsWaitingFor(db: Db, toAddress: string, error: string): Promise<number> {
  const result = await db
    .updateTable('outbound_emails')
    .set({ status: 'failed', failed_at: sql`now()`, last_error: oneLine(notTriedAfterRefusal(error)).slice(0, 1000) })
    .where('to_address', '=', toAddress)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Hands back claims a stopping worker will not send, due at once and with the attempt unspent. */
export async function releaseEmails(db: Db, claims: Claim[]): Promise<void> {
  for (const claim of claims) {
    await ownClaim(db, claim).set({ status: 'pending', next_attempt_at: sql`now()`, attempts: sql`attempts - 1` }).execute();
  }
}

export interface FailedEmail {
  id: number;
  to: string;
  subject: string;
  kind: string;
  attempts: number;
  lastError: string | null;
  failedAt: Date | null;
}

export async function listFailedEmails(db: Db, limit = 200): Promise<FailedEmail[]> {
  const rows = await db
    .selectFrom('outbound_emails')
    .select(['id', 'to_address', 'subject', 'kind', 'attempts', 'last_error', 'failed_at'])
    .where('status', '=', 'failed')
    .orderBy('failed_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, to: row.to_address, subject: row.subject, kind: row.kind, attempts: row.attempts, lastError: row.last_error, failedAt: row.failed_at }));
}

/** Puts failed emails (all, or the ids given) back in the queue with a fresh set of attempts. */
export async function retryFailedEmails(db: Db, ids?: number[]): Promise<number> {
  let query = db
    .updateTable('outbound_emails')
    .set({ status: 'pending', attempts: 0, next_attempt_at: sql`now()`, failed_at: null })
    .where('status', '=', 'failed');
  if (ids) query = query.where('id', 'in', ids.length > 0 ? ids : [-1]);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function pruneSentEmails(db: Db, retentionDays: number): Promise<number> {
  const result = await db
    .deleteFrom('outbound_emails')
    .where('status', '=', 'sent')
    .where('sent_at', '<', sql<Date>`now() - make_interval(days => ${retentionDays})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
