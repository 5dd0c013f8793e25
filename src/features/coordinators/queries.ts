import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Db, Role } from '../../db/types.js';

/**
 * What coordination reads and locks. An appointment counts only while its coordinator is an active
 * member of the agency it names: a coordinator who is deactivated, suspended or moves agency keeps
 * the row (an administrator removes it, audited) but coordinates nothing meanwhile.
 */

// A member (alias `m`) of their agency's list: signed up, approved and not deactivated.
const onTheList = sql<boolean>`(m.deactivated_at is null and m.awaiting_approval_since is null)`;
const coordinatingNow = sql<boolean>`(m.deactivated_at is null and m.awaiting_approval_since is null and (m.suspended_until is null or m.suspended_until <= now()) and m.agency_id = c.agency_id)`;

export interface Coordination {
  agencyId: number;
  agencyName: string;
}

/** The agency a member coordinates now, or undefined: the /coordinator scope's guard. */
export async function findCoordination(db: Db, memberId: number): Promise<Coordination | undefined> {
  const row = await db
    .selectFrom('agency_coordinators as c')
    .innerJoin('members as m', 'm.id', 'c.member_id')
    .innerJoin('agencies as a', 'a.id', 'c.agency_id')
    .select(['c.agency_id', 'a.name'])
    .where('c.member_id', '=', memberId)
    .where(coordinatingNow)
    .executeTakeFirst();
  return row && { agencyId: row.agency_id, agencyName: row.name };
}

export interface CoordinatorListing {
  memberId: number;
  displayName: string;
  canonicalEmail: string;
  appointedAt: Date;
  /** False while they are deactivated, suspended or in another agency. */
  coordinating: boolean;
}

export async function listCoordinators(db: Db, agencyId: number): Promise<CoordinatorListing[]> {
  const rows = await db
    .selectFrom('agency_coordinators as c')
    .innerJoin('members as m', 'm.id', 'c.member_id')
    .select(['c.member_id', 'm.display_name', 'm.canonical_email', 'c.appointed_at', coordinatingNow.as('coordinating')])
    .where('c.agency_id', '=', agencyId)
    .orderBy('m.display_name')
    .execute();
  return rows.map((row) => ({ memberId: row.member_id, displayName: row.display_name, canonicalEmail: row.canonical_email, appointedAt: row.appointed_at, coordinating: row.coordinating }));
}

/** A member about to be appointed, locked, with what decides whether they may coordinate. */
export async function lockCandidate(trx: Transaction<DB>, memberId: number) {
  return trx
    .selectFrom('members')
    .select(['id', 'display_name', 'canonical_email', 'agency_id', 'deactivated_at', 'awaiting_approval_since', 'suspended_until', sql<boolean>`suspended_until > now()`.as('suspended')])
    .where('id', '=', memberId)
    .forUpdate()
    .executeTakeFirst();
}

export async function findAppointment(db: Db, memberId: number) {
  return db.selectFrom('agency_coordinators as c').innerJoin('agencies as a', 'a.id', 'c.agency_id').select(['c.agency_id', 'a.name as agency_name']).where('c.member_id', '=', memberId).executeTakeFirst();
}

export async function findMemberAgencyId(db: Db, memberId: number): Promise<number | null | undefined> {
  return (await db.selectFrom('members').select('agency_id').where('id', '=', memberId).executeTakeFirst())?.agency_id;
}

export async function isCoordinator(db: Db, memberId: number): Promise<boolean> {
  return (await db.selectFrom('agency_coordinators').select('member_id').where('member_id', '=', memberId).executeTakeFirst()) !== undefined;
}

/** A member of the coordinator's agency as their list shows them. */
export interface AgencyMember {
  id: number;
  displayName: string;
  canonicalEmail: string;
  jobTitle: string | null;
  role: Role;
  joinedAt: Date;
  lastSignedInAt: Date | null;
  suspended: boolean;
  coordinator: boolean;
}

function agencyMembers(db: Db, agencyId: number) {
  return db.selectFrom('members as m').where('m.agency_id', '=', agencyId).where(onTheList);
}

export async function countAgencyMembers(db: Db, agencyId: number): Promise<number> {
  const row = await agencyMembers(db, agencyId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function agencyMemberRows(db: Db, agencyId: number) {
  return agencyMembers(db, agencyId)
    .leftJoin('agency_coordinators as c', 'c.member_id', 'm.id')
    .select(['m.id', 'm.display_name', 'm.canonical_email', 'm.job_title', 'm.role', 'm.created_at', 'm.last_signed_in_at', sql<boolean>`coalesce(m.suspended_until > now(), false)`.as('suspended'), sql<boolean>`c.member_id is not null`.as('coordinator')]);
}

function toAgencyMember(row: Awaited<ReturnType<ReturnType<typeof agencyMemberRows>['execute']>>[number]): AgencyMember {
  return {
    id: row.id,
    displayName: row.display_name,
    canonicalEmail: row.canonical_email,
    jobTitle: row.job_title,
    role: row.role as Role,
    joinedAt: row.created_at,
    lastSignedInAt: row.last_signed_in_at,
    suspended: row.suspended,
    coordinator: row.coordinator,
  };
}

/** By name (the order a list is checked in), then id so a page boundary never repeats or skips anyone. */
export async function listAgencyMembers(db: Db, agencyId: number, page: { limit: number; offset: number }): Promise<AgencyMember[]> {
  const rows = await agencyMemberRows(db, agencyId).orderBy(sql`lower(m.display_name)`).orderBy('m.id').limit(page.limit).offset(page.offset).execute();
  return rows.map(toAgencyMember);
}

/** Undefined for anyone not on the agency's list: another agency's member is not found, not forbidden. */
export async function findAgencyMember(db: Db, agencyId: number, memberId: number): Promise<AgencyMember | undefined> {
  const row = await agencyMemberRows(db, agencyId).where('m.id', '=', memberId).executeTakeFirst();
  return row && toAgencyMember(row);
}

export interface Attestation {
  memberId: number;
  displayName: string;
  attestedAt: Date;
  memberCount: number;
  note: string | null;
}

export async function findLatestAttestation(db: Db, agencyId: number): Promise<Attestation | undefined> {
  const row = await db
    .selectFrom('agency_attestations as t')
    .innerJoin('members as m', 'm.id', 't.member_id')
    .select(['t.member_id', 'm.display_name', 't.attested_at', 't.member_count', 't.note'])
    .where('t.agency_id', '=', agencyId)
    .orderBy('t.attested_at', 'desc')
    .orderBy('t.id', 'desc')
    .executeTakeFirst();
  return row && { memberId: row.member_id, displayName: row.display_name, attestedAt: row.attested_at, memberCount: row.member_count, note: row.note };
}

export interface OverdueAttestation {
  agencyId: number;
  agencyName: string;
  lastAttestedAt: Date | null;
}

/**
 * Agencies with someone coordinating them now whose list was last confirmed before `quarterStart`
 * (or never, by a coordinator appointed before it): see service.ts for why a quarter.
 */
export async function listOverdueAttestations(db: Db, quarterStart: Date): Promise<OverdueAttestation[]> {
  const rows = await db
    .selectFrom('agency_coordinators as c')
    .innerJoin('members as m', 'm.id', 'c.member_id')
    .innerJoin('agencies as a', 'a.id', 'c.agency_id')
    .select(['a.id', 'a.name'])
    .select(sql<Date | null>`(select max(t.attested_at) from agency_attestations t where t.agency_id = a.id)`.as('last_attested_at'))
    .where(coordinatingNow)
    .groupBy(['a.id', 'a.name'])
    .having(sql<boolean>`coalesce((select max(t.attested_at) from agency_attestations t where t.agency_id = a.id), min(c.appointed_at)) < ${quarterStart}`)
    .orderBy('a.name')
    .execute();
  return rows.map((row) => ({ agencyId: row.id, agencyName: row.name, lastAttestedAt: row.last_attested_at }));
}
