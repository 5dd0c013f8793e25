import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { isUniqueViolation } from '../../lib/db-errors.js';
import { Refused } from '../../lib/errors.js';
import { decideDomain, normaliseRuleDomain } from '../auth/email-domain.js';
import { listDomainRules } from '../auth/queries.js';
import type { Actor } from './actor.js';
import { ADMIN_MESSAGES as M } from './messages.js';
import { classificationOf, findAgencyNamed, isWithinAgency, lockAgency, lockAgencyTree, type Classification } from './queries.js';
import type { AgencyClassification } from './schemas.js';

/**
 * Agencies as administrators keep them, on /admin and with `npm run admin`; names arrive parsed by
 * the AgencyName schema. A provisional agency is an email domain nobody has mapped
 * yet (auth/queries.ts findOrCreateProvisionalAgency); an administrator maps it by renaming it to
 * the real name, or by merging it into an agency that already exists.
 */

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
    const row = await lockAgency(trx, id);
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

/** What `agency-add` and `agency-rename` take besides the name: parsed by AgencyClassification. */
export type ClassificationInput = Partial<AgencyClassification>;

export async function addAgency(deps: Pick<Deps, 'db'>, input: { name: string } & ClassificationInput, actor: Actor): Promise<{ id: number; name: string }> {
  const { name } = input;
  const jurisdiction = input.jurisdiction ?? null;
  const agencyType = input.agency_type ?? null;
  return inTransaction(deps.db, async (trx) => {
    const created = await trx
      .insertInto('agencies')
      .values({ name, jurisdiction, agency_type: agencyType })
      .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!created) throw new Refused(M.agencyNameTaken(name), 'name');
    await insertAuditEvent(trx, { ...actor, action: 'agency.added', targetType: 'agency', targetId: created.id, details: { before: null, after: { name, jurisdiction, agencyType } } });
    return { id: created.id, name };
  });
}

/**
 * A provisional agency renamed or merged away whose domain's rule names no agency: the next
 * member from that domain gets a new provisional agency unless the rule is pointed here.
 */
export interface UnmappedDomain {
  domain: string;
  /** Whether a rule for exactly that domain exists (to change), or the domain is admitted by a wider one (add a rule). */
  ruleExists: boolean;
}

export interface Rename {
  id: number;
  from: string;
  to: string;
  wasProvisional: boolean;
  changed: boolean;
  unmappedDomain?: UnmappedDomain;
}

/** Renames an agency; a provisional one becomes a real one (mapped). The same name again writes nothing. */
export async function renameAgency(deps: Pick<Deps, 'db'>, id: number, input: { name: string } & ClassificationInput, actor: Actor): Promise<Rename> {
  const { name, jurisdiction, agency_type: agencyType } = input;
  try {
    return await inTransaction(deps.db, async (trx) => {
      const agency = await lockAgency(trx, id);
      if (!agency) throw new Refused(M.agencyGone(id), '_form', 404);
      if (await findAgencyNamed(trx, name, id)) throw new Refused(M.agencyNameTaken(name), 'name');
      const before = { name: agency.name, provisional: agency.provisional_at !== null, ...classificationOf(agency) };
      const after = { name, provisional: false, jurisdiction: jurisdiction === undefined ? before.jurisdiction : jurisdiction, agencyType: agencyType === undefined ? before.agencyType : agencyType };
      const changed = (Object.keys(after) as Array<keyof typeof after>).some((key) => after[key] !== before[key]);
      if (changed) {
        await trx.updateTable('agencies').set({ name, provisional_at: null, jurisdiction: after.jurisdiction, agency_type: after.agencyType, updated_at: sql`now()` }).where('id', '=', id).execute();
        await insertAuditEvent(trx, { ...actor, action: 'agency.renamed', targetType: 'agency', targetId: id, details: { before, after } });
      }
      const unmappedDomain = before.provisional ? await findUnmappedDomain(trx, agency.name) : undefined;
      return { id, from: agency.name, to: name, wasProvisional: before.provisional, changed, ...(unmappedDomain ? { unmappedDomain } : {}) };
    });
  } catch (error) {
    // Another agency took the name between the check and the update.
    if (isUniqueViolation(error, 'agencies_name')) throw new Refused(M.agencyNameTaken(name), 'name');
    throw error;
  }
}

export interface ParentChange {
  name: string;
  parentName: string | null;
  changed: boolean;
}

/**
 * Makes an agency part of another (a division of a department, a regulator in a portfolio), or
 * of none. An agency cannot be part of itself or of anything under it.
 */
export async function setAgencyParent(deps: Pick<Deps, 'db'>, id: number, parentId: number | null, actor: Actor): Promise<ParentChange> {
  if (parentId === id) throw new Refused(M.parentItself, 'parent_id');
  return inTransaction(deps.db, async (trx) => {
    await lockAgencyTree(trx);
    const agency = await lockAgency(trx, id);
    if (!agency) throw new Refused(M.agencyGone(id), '_form', 404);
    const parent = parentId === null ? undefined : await lockAgency(trx, parentId);
    if (parentId !== null && !parent) throw new Refused(M.parentGone, 'parent_id');
    if (parent && (await isWithinAgency(trx, parent.id, id))) throw new Refused(M.parentCycle(parent.name, agency.name), 'parent_id');
    const parentName = parent?.name ?? null;
    if (agency.parent_agency_id === parentId) return { name: agency.name, parentName, changed: false };
    const before = agency.parent_agency_id === null ? null : await trx.selectFrom('agencies').select(['id', 'name']).where('id', '=', agency.parent_agency_id).executeTakeFirst();
    await trx.updateTable('agencies').set({ parent_agency_id: parentId, updated_at: sql`now()` }).where('id', '=', id).execute();
    await insertAuditEvent(trx, {
      ...actor,
      action: 'agency.parent_set',
      targetType: 'agency',
      targetId: id,
      details: { name: agency.name, before: { parent: before ?? null }, after: { parent: parent ? { id: parent.id, name: parent.name } : null } },
    });
    return { name: agency.name, parentName, changed: true };
  });
}

export interface Merge {
  from: { id: number; name: string; provisional: boolean };
  into: { id: number; name: string };
  membersMoved: number;
  rulesMoved: number;
  unmappedDomain?: UnmappedDomain;
}

/**
 * Moves FROM's members, domain rules and sub-agencies to INTO, then deletes FROM: how a
 * provisional agency is mapped onto a real one, and how a machinery-of-government merger is kept.
 * FROM's history stays in the audit log, where agency.merged records both names.
 */
export async function mergeAgencies(deps: Pick<Deps, 'db'>, fromId: number, intoId: number, actor: Actor): Promise<Merge> {
  if (fromId === intoId) throw new Refused(M.mergeIntoItself, 'into_id');
  return inTransaction(deps.db, async (trx) => {
    await lockAgencyTree(trx);
    // Locked in id order, so two merges of the same pair cannot deadlock; a sign-up joining FROM
    // at this moment waits for the merge (its foreign key check needs the row).
    const [first, second] = fromId < intoId ? [fromId, intoId] : [intoId, fromId];
    const locked = new Map([
      [first, await lockAgency(trx, first)],
      [second, await lockAgency(trx, second)],
    ]);
    const from = locked.get(fromId);
    const into = locked.get(intoId);
    if (!from) throw new Refused(M.agencyGone(fromId), '_form', 404);
    if (!into) throw new Refused(M.agencyGone(intoId), 'into_id');
    const members = await trx.updateTable('members').set({ agency_id: intoId, updated_at: sql`now()` }).where('agency_id', '=', fromId).executeTakeFirst();
    // Coordinators follow their members; FROM's attestations go with it (the audit log keeps them).
    await trx.updateTable('agency_coordinators').set({ agency_id: intoId }).where('agency_id', '=', fromId).execute();
    const rules = await trx.updateTable('domain_rules').set({ agency_id: intoId, updated_at: sql`now()` }).where('agency_id', '=', fromId).executeTakeFirst();
    // INTO somewhere under FROM takes FROM's place: left where it was, the sub-agencies that
    // become INTO's would sit above it, a loop.
    if (await isWithinAgency(trx, intoId, fromId)) await trx.updateTable('agencies').set({ parent_agency_id: from.parent_agency_id, updated_at: sql`now()` }).where('id', '=', intoId).execute();
    await trx.updateTable('agencies').set({ parent_agency_id: intoId, updated_at: sql`now()` }).where('parent_agency_id', '=', fromId).where('id', '<>', intoId).execute();
    await trx.deleteFrom('agencies').where('id', '=', fromId).execute();
    const result: Merge = {
      from: { id: fromId, name: from.name, provisional: from.provisional_at !== null },
      into: { id: intoId, name: into.name },
      membersMoved: Number(members.numUpdatedRows),
      rulesMoved: Number(rules.numUpdatedRows),
    };
    await insertAuditEvent(trx, { ...actor, action: 'agency.merged', targetType: 'agency', targetId: intoId, details: { from: result.from, into: result.into, membersMoved: result.membersMoved, rulesMoved: result.rulesMoved } });
    const unmappedDomain = result.from.provisional ? await findUnmappedDomain(trx, from.name) : undefined;
    return unmappedDomain ? { ...result, unmappedDomain } : result;
  });
}

/**
 * A provisional agency is found by its domain when someone joins (findOrCreateProvisionalAgency),
 * so once it is renamed or merged away, the next member from that domain gets a new one, unless a
 * domain rule names an agency for them.
 */
async function findUnmappedDomain(db: Db, provisionalName: string): Promise<UnmappedDomain | undefined> {
  const domain = normaliseRuleDomain(provisionalName);
  if (!domain.ok) return undefined;
  const decision = decideDomain(domain.domain, await listDomainRules(db));
  if (!decision.allowed || decision.rule.agencyId !== null) return undefined;
  return { domain: domain.domain, ruleExists: decision.rule.domain === domain.domain };
}
