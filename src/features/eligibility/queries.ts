import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Db } from '../../db/types.js';
import { REMINDER_LEAD_DAYS } from './due.js';

export interface MemberToRemind {
  id: number;
  email: string;
  displayName: string;
  verifiedAt: Date;
}

/**
 * Claims up to `limit` active members whose re-confirmation falls within the reminder's lead
 * time and who have not been reminded since they last confirmed, marking them reminded at `now`.
 * Rows another instance's job holds are skipped, and a row it has just marked no longer matches,
 * so each member is claimed once, by one instance, per period.
 */
export async function claimMembersToRemind(trx: Transaction<DB>, now: Date, months: number, limit: number): Promise<MemberToRemind[]> {
  const due = sql<boolean>`verified_at + make_interval(months => ${months}) - make_interval(days => ${REMINDER_LEAD_DAYS}) <= ${now}`;
  const notYetReminded = sql<boolean>`(reconfirmation_reminded_at is null or reconfirmation_reminded_at < verified_at)`;
  const rows = await trx
    .updateTable('members')
    .set({ reconfirmation_reminded_at: now })
    .where('id', 'in', (qb) => qb.selectFrom('members').select('id').where('deactivated_at', 'is', null).where(due).where(notYetReminded).orderBy('id').limit(limit).forUpdate().skipLocked())
    .where(due)
    .where(notYetReminded)
    .returning(['id', 'email', 'display_name', 'verified_at'])
    .execute();
  return rows.map((row) => ({ id: row.id, email: row.email, displayName: row.display_name, verifiedAt: row.verified_at }));
}

export async function findMemberIdByCanonicalEmail(db: Db, canonicalEmail: string): Promise<number | undefined> {
  return (await db.selectFrom('members').select('id').where('canonical_email', '=', canonicalEmail).executeTakeFirst())?.id;
}

export async function updateAddressConfirmed(trx: Transaction<DB>, memberId: number, at: Date): Promise<void> {
  await trx.updateTable('members').set({ verified_at: at, updated_at: sql`now()` }).where('id', '=', memberId).execute();
}

/** Whether this member has already sent the form with this token (a double submit). */
export async function hasRequestedWithFormToken(trx: Transaction<DB>, memberId: number, formToken: string): Promise<boolean> {
  const row = await trx
    .selectFrom('audit_events')
    .select('id')
    .where('action', '=', 'member.reconfirmation_requested')
    .where('actor_member_id', '=', memberId)
    .where(sql<string>`details->>'formToken'`, '=', formToken)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the member has an emailed link to change their address that is unused and unexpired. */
export async function hasLiveEmailChangeLink(db: Db, memberId: number): Promise<boolean> {
  const row = await db
    .selectFrom('email_tokens')
    .select('id')
    .where('member_id', '=', memberId)
    .where('purpose', '=', 'email-change')
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row !== undefined;
}

/** Records that the member's address refused email for good: when, and the server's reply. */
export async function recordEmailBounce(trx: Transaction<DB>, memberId: number, smtpResponse: string): Promise<void> {
  await trx.updateTable('members').set({ email_bounced_at: sql`now()`, email_bounce_response: smtpResponse }).where('id', '=', memberId).execute();
}

/** Forgets the member's recorded bounce; returns the bounce it forgot, if there was one. */
export async function clearEmailBounce(trx: Transaction<DB>, memberId: number): Promise<{ at: Date; response: string | null } | undefined> {
  const before = await trx.selectFrom('members').select(['email_bounced_at', 'email_bounce_response']).where('id', '=', memberId).forUpdate().executeTakeFirst();
  if (!before?.email_bounced_at) return undefined;
  await trx.updateTable('members').set({ email_bounced_at: null, email_bounce_response: null }).where('id', '=', memberId).execute();
  return { at: before.email_bounced_at, response: before.email_bounce_response };
}
