import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';

/** A member waiting for approval, as the approvals page lists them. */
export interface MemberAwaitingApproval {
  id: number;
  displayName: string;
  /** Only the domain: the moderator decides on the agency, not the person's mailbox. */
  emailDomain: string;
  agencyName: string | null;
  jobTitle: string | null;
  awaitingSince: Date;
}

/** Oldest first, so nobody waits behind later arrivals; a deactivated member waits for nothing. */
export async function listMembersAwaitingApproval(db: Db, limit: number): Promise<MemberAwaitingApproval[]> {
  const rows = await db
    .selectFrom('members as m')
    .leftJoin('agencies as ag', 'ag.id', 'm.agency_id')
    .select(['m.id', 'm.display_name', 'm.job_title', 'm.awaiting_approval_since', 'ag.name as agency_name'])
    .select(sql<string>`split_part(m.canonical_email, '@', 2)`.as('email_domain'))
    .where('m.awaiting_approval_since', 'is not', null)
    .where('m.deactivated_at', 'is', null)
    .orderBy('m.awaiting_approval_since')
    .orderBy('m.id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, displayName: row.display_name, emailDomain: row.email_domain, agencyName: row.agency_name, jobTitle: row.job_title, awaitingSince: row.awaiting_approval_since! }));
}

export async function countMembersAwaitingApproval(db: Db): Promise<number> {
  const row = await db.selectFrom('members').select((eb) => eb.fn.countAll<string>().as('count')).where('awaiting_approval_since', 'is not', null).where('deactivated_at', 'is', null).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Locks the member's row while they still wait, so two moderators' decisions cannot both land. */
export async function lockMemberAwaitingApproval(db: Db, memberId: number): Promise<{ id: number; email: string; displayName: string } | undefined> {
  const row = await db
    .selectFrom('members')
    .select(['id', 'email', 'display_name'])
    .where('id', '=', memberId)
    .where('awaiting_approval_since', 'is not', null)
    .where('deactivated_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  return row && { id: row.id, email: row.email, displayName: row.display_name };
}

export async function clearAwaitingApproval(db: Db, memberId: number): Promise<void> {
  await db.updateTable('members').set({ awaiting_approval_since: null, updated_at: sql`now()` }).where('id', '=', memberId).execute();
}
