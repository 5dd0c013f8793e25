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

/**
 * Agencies as the operator keeps them. A provisional agency is an email domain nobody has mapped
 * yet (auth/queries.ts findOrCreateProvisionalAgency); an administrator maps it by renaming it to
 * the real name, or by merging it into an agency that already exists.
 */

export const JURISDICTIONS = ['commonwealth', 'state', 'territory', 'local'] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];
export const AGENCY_NAME_MAX = 200;

const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export interface AgencyListing {
  id: number;
  name: string;
  jurisdiction: Jurisdiction | null;
  provisional: boolean;
  members: number;
}

export async function listAgencies(db: Db): Promise<AgencyListing[]> {
  const rows = await db
    .selectFrom('agencies')
    .leftJoin('members', 'members.agency_id', 'agencies.id')
    .select(['agencies.id', 'agencies.name', 'agencies.jurisdiction', 'agencies.provisional_at', (eb) => eb.fn.count<number>('members.id').as('members')])
    .groupBy('agencies.id')
    .orderBy(sql`lower(agencies.name)`)
    .execute();
  return rows.map((row) => ({ id: row.id, name: row.name, jurisdiction: row.jurisdiction as Jurisdiction | null, provisional: row.provisional_at !== null, members: Number(row.members) }));
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

export async function addAgency(deps: Pick<Deps, 'db'>, input: { name: string; jurisdiction?: string | undefined }, actor: Actor): Promise<{ id: number; name: string }> {
  const name = checkAgencyName(input.name);
  const jurisdiction = input.jurisdiction === undefined ? null : checkJurisdiction(input.jurisdiction);
  return inTransaction(deps.db, async (trx) => {
    const created = await trx
      .insertInto('agencies')
      .values({ name, jurisdiction })
      .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!created) throw new Refused(M.agencyNameTaken(name, (await resolveAgency(trx, name)).id));
    await insertAuditEvent(trx, { ...actor, action: 'agency.added', targetType: 'agency', targetId: created.id, details: { name, jurisdiction } });
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
export async function renameAgency(deps: Pick<Deps, 'db'>, id: number, input: { name: string; jurisdiction?: string | undefined }, actor: Actor): Promise<Rename> {
  const name = checkAgencyName(input.name);
  const jurisdiction = input.jurisdiction === undefined ? undefined : checkJurisdiction(input.jurisdiction);
  try {
    return await inTransaction(deps.db, async (trx) => {
      const agency = await findAgencyForUpdate(trx, id);
      const other = await trx.selectFrom('agencies').select('id').where(sql<boolean>`lower(name) = lower(${name})`).where('id', '<>', id).executeTakeFirst();
      if (other) throw new Refused(M.agencyNameTaken(name, other.id));
      await trx
        .updateTable('agencies')
        .set({ name, provisional_at: null, updated_at: sql`now()`, ...(jurisdiction === undefined ? {} : { jurisdiction }) })
        .where('id', '=', id)
        .execute();
      const wasProvisional = agency.provisional_at !== null;
      await insertAuditEvent(trx, { ...actor, action: 'agency.renamed', targetType: 'agency', targetId: id, details: { from: agency.name, to: name, wasProvisional, ...(jurisdiction === undefined ? {} : { jurisdiction }) } });
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

export function checkJurisdiction(value: string): Jurisdiction {
  const lower = value.trim().toLowerCase();
  if (!(JURISDICTIONS as readonly string[]).includes(lower)) throw new Refused(M.unknownJurisdiction(value));
  return lower as Jurisdiction;
}

function checkAgencyName(input: string): string {
  const name = input.trim().replace(/ {2,}/g, ' ');
  if (name === '') throw new Refused(M.agencyNameRequired);
  if (CONTROLS.test(name)) throw new Refused(M.agencyNameControls);
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
