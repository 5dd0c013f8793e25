import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { containsPattern } from '../../lib/like-pattern.js';
import type { Db, Role } from '../../db/types.js';
import { categoryColumns, toCategory, type Category } from '../discussions/queries/categories.js';
import type { AgencyType, DeactivationReason, Jurisdiction, MailState, MemberStatus, RuleEffect } from './schemas.js';

/**
 * What administration reads and locks: domain rules, agencies, members, initiative types and categories, as
 * the /admin pages and `npm run admin` show them. Rules about them live in the services beside
 * this file.
 */

export interface DomainRuleRow {
  id: number;
  domain: string;
  effect: RuleEffect;
  agencyId: number | null;
  agencyName: string | null;
  note: string | null;
  admitsOwnDomain: boolean;
}

function domainRules(db: Db) {
  return db
    .selectFrom('domain_rules')
    .leftJoin('agencies', 'agencies.id', 'domain_rules.agency_id')
    .select(['domain_rules.id', 'domain_rules.domain', 'domain_rules.effect', 'domain_rules.agency_id', 'agencies.name as agency_name', 'domain_rules.note', 'domain_rules.admits_own_domain']);
}

function toRuleRow(row: { id: number; domain: string; effect: string; agency_id: number | null; agency_name: string | null; note: string | null; admits_own_domain: boolean }): DomainRuleRow {
  // The table's check constraint holds the same two effects.
  return { id: row.id, domain: row.domain, effect: row.effect as RuleEffect, agencyId: row.agency_id, agencyName: row.agency_name, note: row.note, admitsOwnDomain: row.admits_own_domain };
}

export async function listDomainRuleRows(db: Db): Promise<DomainRuleRow[]> {
  const rows = await domainRules(db).orderBy('domain_rules.domain').orderBy('domain_rules.effect').execute();
  return rows.map(toRuleRow);
}

export async function findDomainRule(db: Db, id: number): Promise<DomainRuleRow | undefined> {
  const row = await domainRules(db).where('domain_rules.id', '=', id).executeTakeFirst();
  return row && toRuleRow(row);
}

/** The command line names a rule by its domain and effect, which are unique together. */
export async function findDomainRuleId(db: Db, domain: string, effect: RuleEffect): Promise<number | undefined> {
  return (await db.selectFrom('domain_rules').select('id').where('domain', '=', domain).where('effect', '=', effect).executeTakeFirst())?.id;
}

export async function lockDomainRule(trx: Transaction<DB>, id: number) {
  return trx.selectFrom('domain_rules').select(['id', 'domain', 'effect', 'agency_id', 'note', 'admits_own_domain']).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function countAllowRules(db: Db): Promise<number> {
  const row = await db.selectFrom('domain_rules').select((eb) => eb.fn.countAll<number>().as('count')).where('effect', '=', 'allow').executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Each email domain active members sign in from, with how many of them do. */
export async function countActiveMembersByDomain(db: Db): Promise<Array<{ domain: string; members: number }>> {
  const rows = await db
    .selectFrom('members')
    .select([sql<string>`split_part(canonical_email, '@', 2)`.as('domain'), (eb) => eb.fn.countAll<number>().as('members')])
    .where('deactivated_at', 'is', null)
    .groupBy(sql`split_part(canonical_email, '@', 2)`)
    .execute();
  return rows.map((row) => ({ domain: row.domain, members: Number(row.members) }));
}

export interface MemberUnderReview {
  id: number;
  displayName: string;
  handle: string;
  canonicalEmail: string;
  agencyName: string | null;
}

/** Active members whose addresses are at one of these domains, by address. */
export async function listActiveMembersAtDomains(db: Db, domains: readonly string[], ids?: readonly number[]): Promise<MemberUnderReview[]> {
  if (domains.length === 0 || ids?.length === 0) return [];
  const rows = await db
    .selectFrom('members')
    .leftJoin('agencies', 'agencies.id', 'members.agency_id')
    .select(['members.id', 'members.display_name', 'members.handle', 'members.canonical_email', 'agencies.name as agency_name'])
    .where('members.deactivated_at', 'is', null)
    .where(sql<string>`split_part(members.canonical_email, '@', 2)`, 'in', domains)
    .$if(ids !== undefined, (qb) => qb.where('members.id', 'in', ids!))
    .orderBy('members.canonical_email')
    .execute();
  return rows.map((row) => ({ id: row.id, displayName: row.display_name, handle: row.handle, canonicalEmail: row.canonical_email, agencyName: row.agency_name }));
}

export interface AgencyListing {
  id: number;
  name: string;
  jurisdiction: Jurisdiction | null;
  agencyType: AgencyType | null;
  parentId: number | null;
  parentName: string | null;
  provisional: boolean;
  /** Every member who belongs to it, deactivated or not. */
  members: number;
}

function agencyListings(db: Db) {
  return db
    .selectFrom('agencies as ag')
    .leftJoin('agencies as parent', 'parent.id', 'ag.parent_agency_id')
    .select(['ag.id', 'ag.name', 'ag.jurisdiction', 'ag.agency_type', 'ag.provisional_at', 'ag.parent_agency_id', 'parent.name as parent_name'])
    .select((eb) => eb.selectFrom('members as m').whereRef('m.agency_id', '=', 'ag.id').select(eb.fn.countAll<number>().as('n')).as('members'));
}

type AgencyRow = { id: number; name: string; jurisdiction: string | null; agency_type: string | null; provisional_at: Date | null; parent_agency_id: number | null; parent_name: string | null; members: number | null };

function toListing(row: AgencyRow): AgencyListing {
  return {
    id: row.id,
    name: row.name,
    ...classificationOf(row),
    parentId: row.parent_agency_id,
    parentName: row.parent_name,
    provisional: row.provisional_at !== null,
    members: Number(row.members ?? 0),
  };
}

export interface Classification {
  jurisdiction: Jurisdiction | null;
  agencyType: AgencyType | null;
}

// The table's check constraints hold the same lists as the schemas.
export function classificationOf(row: { jurisdiction: string | null; agency_type: string | null }): Classification {
  return { jurisdiction: row.jurisdiction as Jurisdiction | null, agencyType: row.agency_type as AgencyType | null };
}

/** Agencies by name (then id, so paging never shows one twice): all of them, or one page. */
export async function listAgencies(db: Db, page?: { limit: number; offset: number }): Promise<AgencyListing[]> {
  const rows = await agencyListings(db)
    .orderBy(sql`lower(ag.name)`)
    .orderBy('ag.id')
    .$if(page !== undefined, (qb) => qb.limit(page!.limit).offset(page!.offset))
    .execute();
  return rows.map(toListing);
}

export async function countAgencies(db: Db): Promise<number> {
  const row = await db.selectFrom('agencies').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function findAgency(db: Db, id: number): Promise<AgencyListing | undefined> {
  const row = await agencyListings(db).where('ag.id', '=', id).executeTakeFirst();
  return row && toListing(row);
}

/** Every agency's id and name, by name: the choices of an agency list on a form. */
export async function listAgencyNames(db: Db): Promise<Array<{ id: number; name: string }>> {
  return db.selectFrom('agencies').select(['id', 'name']).orderBy(sql`lower(name)`).orderBy('id').execute();
}

/** An agency named by its id (digits) or by its name, compared without regard to case. */
export async function findAgencyByReference(db: Db, reference: string): Promise<{ id: number; name: string } | undefined> {
  const trimmed = reference.trim();
  const query = db.selectFrom('agencies').select(['id', 'name']);
  return (/^\d{1,15}$/.test(trimmed) ? query.where('id', '=', Number(trimmed)) : query.where(sql<boolean>`lower(name) = lower(${trimmed})`)).executeTakeFirst();
}

export async function findAgencyNamed(db: Db, name: string, except?: number): Promise<{ id: number } | undefined> {
  return db
    .selectFrom('agencies')
    .select('id')
    .where(sql<boolean>`lower(name) = lower(${name})`)
    .$if(except !== undefined, (qb) => qb.where('id', '<>', except!))
    .executeTakeFirst();
}

export async function lockAgency(trx: Transaction<DB>, id: number) {
  return trx.selectFrom('agencies').select(['id', 'name', 'jurisdiction', 'agency_type', 'provisional_at', 'parent_agency_id']).where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * Taken by every change to which agency is part of which: checking for a loop reads a chain of
 * rows that a concurrent change elsewhere in the chain could close, so these changes take turns.
 */
export async function lockAgencyTree(trx: Transaction<DB>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('commons:agency-tree'))`.execute(trx);
}

/** Whether `agencyId` is `ancestorId` or sits somewhere under it. */
export async function isWithinAgency(db: Db, agencyId: number, ancestorId: number): Promise<boolean> {
  const found = await db
    .withRecursive('chain(id, parent_agency_id)', (qb) =>
      qb
        .selectFrom('agencies')
        .select(['id', 'parent_agency_id'])
        .where('id', '=', agencyId)
        // UNION, not UNION ALL: a loop already in the data ends the walk instead of running forever.
        .union(qb.selectFrom('agencies as a').innerJoin('chain as c', 'c.parent_agency_id', 'a.id').select(['a.id', 'a.parent_agency_id'])),
    )
    .selectFrom('chain')
    .select('id')
    .where('id', '=', ancestorId)
    .executeTakeFirst();
  return found !== undefined;
}

export interface MemberStatusRow {
  id: number;
  canonicalEmail: string;
  displayName: string;
  role: Role;
  agencyId: number | null;
  deactivatedAt: Date | null;
  deactivationReason: string | null;
  awaitingApproval: boolean;
}

/** The command line names a member by their address. */
export async function findMemberIdByEmail(db: Db, canonicalEmail: string): Promise<number | undefined> {
  return (await db.selectFrom('members').select('id').where('canonical_email', '=', canonicalEmail).executeTakeFirst())?.id;
}

export async function findMemberStatus(db: Db, id: number) {
  return db.selectFrom('members').select(['id', 'display_name', 'handle', 'canonical_email', 'deactivated_at']).where('id', '=', id).executeTakeFirst();
}

export async function lockMember(trx: Transaction<DB>, id: number): Promise<MemberStatusRow | undefined> {
  const row = await trx.selectFrom('members').select(['id', 'canonical_email', 'display_name', 'role', 'agency_id', 'deactivated_at', 'deactivation_reason', 'awaiting_approval_since']).where('id', '=', id).forUpdate().executeTakeFirst();
  return (
    row && {
      id: row.id,
      canonicalEmail: row.canonical_email,
      displayName: row.display_name,
      role: row.role as Role,
      agencyId: row.agency_id,
      deactivatedAt: row.deactivated_at,
      deactivationReason: row.deactivation_reason,
      awaitingApproval: row.awaiting_approval_since !== null,
    }
  );
}

/** A member as the /admin/members list, the member page and the CSV export show them. */
export interface MemberListing {
  id: number;
  displayName: string;
  handle: string;
  canonicalEmail: string;
  agencyId: number | null;
  agencyName: string | null;
  role: Role;
  status: MemberStatus;
  /** Why, when deactivated (DeactivationReason in members.ts). */
  deactivationReason: string | null;
  suspendedUntil: Date | null;
  joinedAt: Date;
  lastSignedInAt: Date | null;
}

export interface MemberFilters {
  q?: string;
  agency?: number;
  role?: Role;
  status?: MemberStatus;
  /** Deactivated for this reason (one deactivated before reasons were recorded counts as an administrator's). */
  reason?: DeactivationReason;
  /** Only members with a smaller id: the keyset cursor, the last row of the page before. */
  before?: number;
}

// One status per member, the most restrictive first, as the filter decides them.
const statusOf = sql<MemberStatus>`case
  when m.deactivated_at is not null then 'deactivated'
  when m.suspended_until > now() then 'suspended'
  when m.awaiting_approval_since is not null then 'awaiting_approval'
  else 'active' end`;

/**
 * Members newest first (by id, so a page is a primary-key range scan). The search matches a
 * substring of the name, address or handle, so it reads every row the other filters leave: a
 * plain scan of members, cheap at the tens of thousands of members a government community has;
 * past that, a pg_trgm index on the three columns serves the same query unchanged.
 */
export async function listMemberListings(db: Db, filters: MemberFilters, limit: number): Promise<MemberListing[]> {
  const rows = await db
    .selectFrom('members as m')
    .leftJoin('agencies as a', 'a.id', 'm.agency_id')
    .select(['m.id', 'm.display_name', 'm.handle', 'm.canonical_email', 'm.agency_id', 'a.name as agency_name', 'm.role', 'm.deactivation_reason', 'm.suspended_until', 'm.created_at', 'm.last_signed_in_at', statusOf.as('status')])
    .$if(filters.q !== undefined, (qb) => {
      const pattern = containsPattern(filters.q!);
      return qb.where((eb) => eb.or([eb('m.display_name', 'ilike', pattern), eb('m.canonical_email', 'ilike', pattern), eb('m.handle', 'ilike', pattern)]));
    })
    .$if(filters.agency !== undefined, (qb) => qb.where('m.agency_id', '=', filters.agency!))
    .$if(filters.role !== undefined, (qb) => qb.where('m.role', '=', filters.role!))
    .$if(filters.status !== undefined, (qb) => qb.where(statusOf, '=', filters.status!))
    .$if(filters.reason !== undefined, (qb) =>
      qb.where('m.deactivated_at', 'is not', null).where(sql<string>`coalesce(m.deactivation_reason, 'administrator')`, '=', filters.reason!),
    )
    .$if(filters.before !== undefined, (qb) => qb.where('m.id', '<', filters.before!))
    .orderBy('m.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    displayName: row.display_name,
    handle: row.handle,
    canonicalEmail: row.canonical_email,
    agencyId: row.agency_id,
    agencyName: row.agency_name,
    role: row.role as Role,
    status: row.status,
    deactivationReason: row.deactivation_reason,
    suspendedUntil: row.suspended_until,
    joinedAt: row.created_at,
    lastSignedInAt: row.last_signed_in_at,
  }));
}

export async function findMemberListing(db: Db, id: number): Promise<MemberListing | undefined> {
  return (await listMemberListings(db, { before: id + 1 }, 1)).find((member) => member.id === id);
}

/** The active administrators, locked: whether one may stop being one is decided while nobody else can. */
export async function lockActiveAdministrators(trx: Transaction<DB>): Promise<number[]> {
  const rows = await trx.selectFrom('members').select('id').where('role', '=', 'administrator').where('deactivated_at', 'is', null).orderBy('id').forUpdate().execute();
  return rows.map((row) => row.id);
}

/** An unsent email as /admin/mail shows it: the address only by its domain, never in full. */
export interface QueuedEmail {
  id: number;
  toDomain: string;
  kind: string;
  state: MailState;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date;
  failedAt: Date | null;
}

const mailStateOf = sql<MailState>`case when status = 'failed' then 'failed' when attempts > 0 or status = 'sending' then 'retrying' else 'pending' end`;

/** Unsent emails newest first, by id (the primary key) for keyset pages; sent ones are not listed. */
export async function listQueuedEmails(db: Db, filters: { state?: MailState; before?: number }, limit: number): Promise<QueuedEmail[]> {
  const rows = await db
    .selectFrom('outbound_emails')
    .select(['id', sql<string>`split_part(to_address, '@', 2)`.as('to_domain'), 'kind', mailStateOf.as('state'), 'attempts', 'last_error', 'created_at', 'next_attempt_at', 'failed_at'])
    .where('status', '!=', 'sent')
    .$if(filters.state !== undefined, (qb) => qb.where(mailStateOf, '=', filters.state!))
    .$if(filters.before !== undefined, (qb) => qb.where('id', '<', filters.before!))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, toDomain: row.to_domain, kind: row.kind, state: row.state, attempts: row.attempts, lastError: row.last_error, createdAt: row.created_at, nextAttemptAt: row.next_attempt_at, failedAt: row.failed_at }));
}

export async function lockQueuedEmail(trx: Transaction<DB>, id: number) {
  return trx.selectFrom('outbound_emails').select(['id', 'status', 'kind', 'attempts', sql<string>`split_part(to_address, '@', 2)`.as('to_domain')]).where('id', '=', id).forUpdate().executeTakeFirst();
}

export interface InitiativeType {
  id: number;
  slug: string;
  name: string;
  /** 1 for the first in the list, whatever the stored positions are. */
  position: number;
  /** Resources tagged with it (removed ones too: they still refer to it). */
  resources: number;
}

export function initiativeTypesInOrder(db: Db) {
  return db.selectFrom('initiative_types as it').orderBy('it.position').orderBy(sql`lower(it.name)`).orderBy('it.id');
}

export async function listInitiativeTypes(db: Db): Promise<InitiativeType[]> {
  const rows = await initiativeTypesInOrder(db)
    .select(['it.id', 'it.slug', 'it.name'])
    .select((eb) => eb.selectFrom('resource_initiative_types as rit').whereRef('rit.initiative_type_id', '=', 'it.id').select(eb.fn.countAll<number>().as('n')).as('resources'))
    .execute();
  return rows.map((row, index) => ({ id: row.id, slug: row.slug, name: row.name, position: index + 1, resources: Number(row.resources ?? 0) }));
}

export async function findInitiativeType(db: Db, id: number): Promise<InitiativeType | undefined> {
  return (await listInitiativeTypes(db)).find((type) => type.id === id);
}

/** Every change to initiative types takes this first: readers (and resources' foreign key checks) are not held up. */
export async function lockInitiativeTypes(trx: Transaction<DB>): Promise<void> {
  await sql`lock table initiative_types in share row exclusive mode`.execute(trx);
}

/** The type with this name, compared without regard to case. */
export async function findInitiativeTypeByName(trx: Transaction<DB>, name: string) {
  return trx.selectFrom('initiative_types').select(['id', 'name']).where(sql<boolean>`lower(name) = lower(${name})`).executeTakeFirst();
}

/** The slug, or the first of slug-2, slug-3, … that no type has (slugs hold no LIKE wildcards). */
export async function freeInitiativeTypeSlug(trx: Transaction<DB>, base: string): Promise<string> {
  const rows = await trx
    .selectFrom('initiative_types')
    .select('slug')
    .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', `${base}-%`)]))
    .execute();
  const taken = new Set(rows.map((row) => row.slug));
  let slug = base;
  for (let n = 2; taken.has(slug); n += 1) slug = `${base}-${n}`;
  return slug;
}

export interface CategoryListing extends Category {
  /** Every thread in it, deleted, hidden and waiting ones too: removing the category moves them all. */
  threadsHeld: number;
  /** 1 for the first in the list, whatever the stored positions are. */
  position: number;
}

export function categoriesInOrder(db: Db) {
  return db.selectFrom('categories as c').orderBy('c.position').orderBy('c.id');
}

export async function listCategoryListings(db: Db): Promise<CategoryListing[]> {
  const rows = await categoriesInOrder(db)
    .select(categoryColumns.map((column) => `c.${column}` as const))
    .select((eb) => eb.selectFrom('threads as t').whereRef('t.category_id', '=', 'c.id').select(eb.fn.countAll<string>().as('n')).as('threads_held'))
    .execute();
  return rows.map((row, index) => ({ ...toCategory(row), threadsHeld: Number(row.threads_held ?? 0), position: index + 1 }));
}

export async function findCategoryListing(db: Db, id: number): Promise<CategoryListing | undefined> {
  return (await listCategoryListings(db)).find((category) => category.id === id);
}

/**
 * Adding, changing and reordering categories take this first, so two administrators are taken one
 * after the other; readers and the foreign key checks of threads being started are not held up.
 */
export async function lockCategories(trx: Transaction<DB>): Promise<void> {
  await sql`lock table categories in share row exclusive mode`.execute(trx);
}

/** Another category with this name, compared without regard to case. */
export async function findCategoryNamed(db: Db, name: string, except?: number): Promise<{ id: number } | undefined> {
  return db
    .selectFrom('categories')
    .select('id')
    .where(sql<boolean>`lower(name) = lower(${name})`)
    .$if(except !== undefined, (qb) => qb.where('id', '<>', except!))
    .executeTakeFirst();
}

const categoryRowColumns = ['id', 'slug', 'name', 'description', 'visible_to', 'threads_started_by', 'position'] as const;

/** The categories' rows locked in id order, so two removals moving threads into each other wait rather than deadlock. */
export async function lockCategoriesById(trx: Transaction<DB>, ids: number[]) {
  return trx.selectFrom('categories').select(categoryRowColumns).where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

/** Every thread in the category, in id order (the order they are locked in). */
export async function listThreadIdsIn(db: Db, categoryId: number): Promise<number[]> {
  return (await db.selectFrom('threads').select('id').where('category_id', '=', categoryId).orderBy('id').execute()).map((row) => row.id);
}

/** A setting an administrator changed (setting_overrides), with who changed it last. */
export interface SettingOverride {
  name: string;
  value: string;
  updatedAt: Date;
  updatedByName: string | null;
}

export async function listSettingOverrides(db: Db): Promise<SettingOverride[]> {
  const rows = await db
    .selectFrom('setting_overrides as s')
    .leftJoin('members as m', 'm.id', 's.updated_by')
    .select(['s.name', 's.value', 's.updated_at', 'm.display_name'])
    .execute();
  return rows.map((row) => ({ name: row.name, value: row.value, updatedAt: row.updated_at, updatedByName: row.display_name }));
}

/** Every change to the settings takes this first, so two saves of one form cannot both see the old value. */
export async function lockSettingOverrides(trx: Transaction<DB>): Promise<void> {
  await sql`lock table setting_overrides in share row exclusive mode`.execute(trx);
}

export async function upsertSettingOverride(trx: Transaction<DB>, name: string, value: string, updatedBy: number | null): Promise<void> {
  await trx
    .insertInto('setting_overrides')
    .values({ name, value, updated_by: updatedBy })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_by: updatedBy, updated_at: sql`now()` }))
    .execute();
}

export async function deleteSettingOverride(trx: Transaction<DB>, name: string): Promise<void> {
  await trx.deleteFrom('setting_overrides').where('name', '=', name).execute();
}
