import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { isUniqueViolation } from '../../lib/db-errors.js';
import { decideDomain, normaliseRuleDomain } from '../auth/email-domain.js';
import { listDomainRules } from '../auth/queries.js';
import type { Actor } from './actor.js';
import { ADMIN_MESSAGES as M, Refused } from './messages.js';
import { CONTROL_CHARACTERS, type AgencyClassification, type AgencyType, type Jurisdiction } from './schemas.js';

/**
 * Agencies as the operator keeps them. A provisional agency is an email domain nobody has mapped
 * yet (auth/queries.ts findOrCreateProvisionalAgency); an administrator maps it by renaming it to
 * the real name, or by merging it into an agency that already exists.
 */

export const AGENCY_NAME_MAX = 200;

export interface AgencyListing {
  id: number;
  name: string;
  jurisdiction: Jurisdiction | null;
  agencyType: AgencyType | null;
  provisional: boolean;
  /** Every member who belongs to it, deactivated or not. */
  members: number;
}

function agencyListings(db: Db) {
  return db
    .selectFrom('agencies as ag')
    .select(['ag.id', 'ag.name', 'ag.jurisdiction', 'ag.agency_type', 'ag.provisional_at'])
    .select((eb) => eb.selectFrom('members as m').whereRef('m.agency_id', '=', 'ag.id').select(eb.fn.countAll<number>().as('n')).as('members'));
}

function toListing(row: { id: number; name: string; jurisdiction: string | null; agency_type: string | null; provisional_at: Date | null; members: number | null }): AgencyListing {
  return {
    id: row.id,
    name: row.name,
    ...classificationOf(row),
    provisional: row.provisional_at !== null,
    members: Number(row.members ?? 0),
  };
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

export interface Classification {
  jurisdiction: Jurisdiction | null;
  agencyType: AgencyType | null;
}

export interface ClassificationChange {
  id: number;
  name: string;
  before: Classification;
  after: Classification;
  changed: boolean;
}

/**
 * Sets an agency's jurisdiction and type (a field left undefined keeps its value), recorded with
 * both before and after; undefined when there is no such agency. Setting what is already there
 * writes nothing, so a form sent twice is recorded once.
 */
export async function classifyAgency(deps: Pick<Deps, 'db'>, id: number, input: Partial<AgencyClassification>, actor: Actor): Promise<ClassificationChange | undefined> {
  return inTransaction(deps.db, async (trx) => {
    const row = await trx.selectFrom('agencies').select(['id', 'name', 'jurisdiction', 'agency_type']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) return undefined;
    const before = classificationOf(row);
    const after: Classification = { jurisdiction: input.jurisdiction === undefined ? before.jurisdiction : input.jurisdiction, agencyType: input.agency_type === undefined ? before.agencyType : input.agency_type };
    const changed = after.jurisdiction !== before.jurisdiction || after.agencyType !== before.agencyType;
    if (changed) {
      await trx.updateTable('agencies').set({ jurisdiction: after.jurisdiction, agency_type: after.agencyType, updated_at: sql`now()` }).where('id', '=', id).execute();
      await insertAuditEvent(trx, { ...actor, action: 'agency.classified', targetType: 'agency', targetId: id, details: { name: row.name, before, after } });
    }
    return { id, name: row.name, before, after, changed };
  });
}

// The table's check constraints hold the same lists as the schemas.
function classificationOf(row: { jurisdiction: string | null; agency_type: string | null }): Classification {
  return { jurisdiction: row.jurisdiction as Jurisdiction | null, agencyType: row.agency_type as AgencyType | null };
}

/** An agency named by its id (digits) or by its name, compared without regard to case. */
export async function resolveAgency(db: Db, reference: string): Promise<{ id: number; name: string }> {
  const trimmed = reference.trim();
  let query = db.selectFrom('agencies').select(['id', 'name']);
  query = /^\d{1,15}$/.test(trimmed) ? query.where('id', '=', Number(trimmed)) : query.where(sql<boolean>`lower(name) = lower(${trimmed})`);
  const agency = await query.executeTakeFirst();
  if (!agency) throw new Refused(M.unknownAgency(reference));
  return agency;
}

/** What `agency-add` and `agency-rename` take besides the name: parsed by AgencyClassification. */
export type ClassificationInput = Partial<AgencyClassification>;

export async function addAgency(deps: Pick<Deps, 'db'>, input: { name: string } & ClassificationInput, actor: Actor): Promise<{ id: number; name: string }> {
  const name = checkAgencyName(input.name);
  const jurisdiction = input.jurisdiction ?? null;
  const agencyType = input.agency_type ?? null;
  return inTransaction(deps.db, async (trx) => {
    const created = await trx
      .insertInto('agencies')
      .values({ name, jurisdiction, agency_type: agencyType })
      .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!created) throw new Refused(M.agencyNameTaken(name, (await resolveAgency(trx, name)).id));
    await insertAuditEvent(trx, { ...actor, action: 'agency.added', targetType: 'agency', targetId: created.id, details: { name, jurisdiction, agencyType } });
    return { id: created.id, name };
  });
}

export interface Rename {
  id: number;
  from: string;
  to: string;
  wasProvisional: boolean;
  /** What else mapping a provisional agency may need, for the operator to read. */
  hint?: string;
}

/** Renames an agency; a provisional one becomes a real one (mapped). */
export async function renameAgency(deps: Pick<Deps, 'db'>, id: number, input: { name: string } & ClassificationInput, actor: Actor): Promise<Rename> {
  const name = checkAgencyName(input.name);
  const { jurisdiction, agency_type: agencyType } = input;
  const classification = { ...(jurisdiction === undefined ? {} : { jurisdiction }), ...(agencyType === undefined ? {} : { agency_type: agencyType }) };
  try {
    return await inTransaction(deps.db, async (trx) => {
      const agency = await findAgencyForUpdate(trx, id);
      const other = await trx.selectFrom('agencies').select('id').where(sql<boolean>`lower(name) = lower(${name})`).where('id', '<>', id).executeTakeFirst();
      if (other) throw new Refused(M.agencyNameTaken(name, other.id));
      await trx
        .updateTable('agencies')
        .set({ name, provisional_at: null, updated_at: sql`now()`, ...classification })
        .where('id', '=', id)
        .execute();
      const wasProvisional = agency.provisional_at !== null;
      await insertAuditEvent(trx, {
        ...actor,
        action: 'agency.renamed',
        targetType: 'agency',
        targetId: id,
        details: { from: agency.name, to: name, wasProvisional, ...(jurisdiction === undefined ? {} : { jurisdiction }), ...(agencyType === undefined ? {} : { agencyType }) },
      });
      const hint = wasProvisional ? await unmappedDomainHint(trx, agency.name, id) : undefined;
      return { id, from: agency.name, to: name, wasProvisional, ...(hint ? { hint } : {}) };
    });
  } catch (error) {
    // Another agency took the name between the check and the update.
    if (isUniqueViolation(error, 'agencies_name')) throw new Refused(M.agencyNameTaken(name, (await resolveAgency(deps.db, name)).id));
    throw error;
  }
}

export interface Merge {
  from: { id: number; name: string; provisional: boolean };
  into: { id: number; name: string };
  membersMoved: number;
  rulesMoved: number;
  hint?: string;
}

/**
 * Moves FROM's members, domain rules and sub-agencies to INTO, then deletes FROM: how a
 * provisional agency is mapped onto a real one, and how a machinery-of-government merger is kept.
 */
export async function mergeAgencies(deps: Pick<Deps, 'db'>, fromId: number, intoId: number, actor: Actor): Promise<Merge> {
  if (fromId === intoId) throw new Refused(M.mergeIntoItself);
  return inTransaction(deps.db, async (trx) => {
    // Locked in id order, so two merges of the same pair cannot deadlock; a sign-up joining FROM
    // at this moment waits for the merge (its foreign key check needs the row).
    const [first, second] = fromId < intoId ? [fromId, intoId] : [intoId, fromId];
    const locked = new Map([[first, await findAgencyForUpdate(trx, first)], [second, await findAgencyForUpdate(trx, second)]]);
    const from = locked.get(fromId)!;
    const into = locked.get(intoId)!;
    const members = await trx.updateTable('members').set({ agency_id: intoId, updated_at: sql`now()` }).where('agency_id', '=', fromId).executeTakeFirst();
    const rules = await trx.updateTable('domain_rules').set({ agency_id: intoId, updated_at: sql`now()` }).where('agency_id', '=', fromId).executeTakeFirst();
    // INTO itself, if it was part of FROM, is left with no parent by the foreign key.
    await trx.updateTable('agencies').set({ parent_agency_id: intoId, updated_at: sql`now()` }).where('parent_agency_id', '=', fromId).where('id', '<>', intoId).execute();
    await trx.deleteFrom('agencies').where('id', '=', fromId).execute();
    const result: Merge = {
      from: { id: fromId, name: from.name, provisional: from.provisional_at !== null },
      into: { id: intoId, name: into.name },
      membersMoved: Number(members.numUpdatedRows),
      rulesMoved: Number(rules.numUpdatedRows),
    };
    await insertAuditEvent(trx, { ...actor, action: 'agency.merged', targetType: 'agency', targetId: intoId, details: { from: result.from, into: result.into, membersMoved: result.membersMoved, rulesMoved: result.rulesMoved } });
    const hint = result.from.provisional ? await unmappedDomainHint(trx, from.name, intoId) : undefined;
    return hint ? { ...result, hint } : result;
  });
}

function checkAgencyName(input: string): string {
  const name = input.trim().replace(/ {2,}/g, ' ');
  if (name === '') throw new Refused(M.agencyNameRequired);
  if (CONTROL_CHARACTERS.test(name)) throw new Refused(M.agencyNameControls);
  if ([...name].length > AGENCY_NAME_MAX) throw new Refused(M.agencyNameTooLong(AGENCY_NAME_MAX));
  return name;
}

async function findAgencyForUpdate(trx: Transaction<DB>, id: number) {
  const agency = await trx.selectFrom('agencies').select(['id', 'name', 'provisional_at']).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!agency) throw new Refused(M.unknownAgency(String(id)));
  return agency;
}

/**
 * A provisional agency is found by its domain when someone joins (findOrCreateProvisionalAgency),
 * so once it is renamed or merged away, the next member from that domain gets a new one, unless a
 * domain rule names an agency for them. Says which command would make the mapping stick.
 */
async function unmappedDomainHint(db: Db, provisionalName: string, agencyId: number): Promise<string | undefined> {
  const domain = normaliseRuleDomain(provisionalName);
  if (!domain.ok) return undefined;
  const decision = decideDomain(domain.domain, await listDomainRules(db));
  if (!decision.allowed || decision.rule.agencyId !== null) return undefined;
  return M.unmappedDomain(domain.domain, decision.rule.domain === domain.domain ? 'rule-change' : 'rule-add', agencyId);
}
