import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../../db/types.js';
import { DIGEST_TO_SCHEDULE } from '../../notifications/digest-queries.js';

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

/** Whether a member (alias `m`) waits for approval: a deactivated member waits for nothing. The queue lists and counts by this. */
export function memberAwaitingApproval(alias = 'm'): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${alias}.awaiting_approval_since`)} is not null and ${sql.ref(`${alias}.deactivated_at`)} is null)`;
}

/** Everyone waiting, or only one agency's for its coordinator. */
function membersAwaitingApproval(db: Db, agencyId?: number) {
  return db
    .selectFrom('members as m')
    .where(memberAwaitingApproval())
    .$if(agencyId !== undefined, (qb) => qb.where('m.agency_id', '=', agencyId!));
}

export async function countMembersAwaitingApproval(db: Db, agencyId?: number): Promise<number> {
  const row = await membersAwaitingApproval(db, agencyId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Oldest first, so nobody waits behind later arrivals. */
export async function listMembersAwaitingApproval(db: Db, limit: number, agencyId?: number): Promise<MemberAwaitingApproval[]> {
  const rows = await membersAwaitingApproval(db, agencyId)
    .leftJoin('agencies as ag', 'ag.id', 'm.agency_id')
    .select(['m.id', 'm.display_name', 'm.job_title', 'm.awaiting_approval_since', 'ag.name as agency_name'])
    .select(sql<string>`split_part(m.canonical_email, '@', 2)`.as('email_domain'))
    .orderBy('m.awaiting_approval_since')
    .orderBy('m.id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, displayName: row.display_name, emailDomain: row.email_domain, agencyName: row.agency_name, jobTitle: row.job_title, awaitingSince: row.awaiting_approval_since! }));
}

/**
 * Locks the member's row while they still wait (and, for a coordinator, are still of their
 * agency), so two decisions cannot both land.
 */
export async function lockMemberAwaitingApproval(db: Db, memberId: number, agencyId?: number): Promise<{ id: number; email: string; displayName: string } | undefined> {
  const row = await db
    .selectFrom('members')
    .select(['id', 'email', 'display_name'])
    .where('id', '=', memberId)
    .where(memberAwaitingApproval('members'))
    .$if(agencyId !== undefined, (qb) => qb.where('agency_id', '=', agencyId!))
    .forUpdate()
    .executeTakeFirst();
  return row && { id: row.id, email: row.email, displayName: row.display_name };
}

export async function clearAwaitingApproval(db: Db, memberId: number): Promise<void> {
  await db.updateTable('members').set({ awaiting_approval_since: null, notification_digest_due_at: DIGEST_TO_SCHEDULE, updated_at: sql`now()` }).where('id', '=', memberId).execute();
}
