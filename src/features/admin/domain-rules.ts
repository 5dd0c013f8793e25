import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { parseRuleEntry } from '../auth/email-domain.js';
import type { Actor } from './actor.js';
import { resolveAgency } from './agencies.js';
import { ADMIN_MESSAGES as M, Refused } from './messages.js';

/**
 * Domain rules as the operator lists and edits them. How rules decide who may join is
 * auth/email-domain.ts; a rule is named here by its domain and effect, which are unique together.
 */

export type Effect = 'allow' | 'block';
export const NOTE_MAX = 500;

export interface DomainRuleListing {
  id: number;
  domain: string;
  effect: Effect;
  agencyId: number | null;
  agencyName: string | null;
  note: string | null;
  admitsOwnDomain: boolean;
}

export async function listDomainRuleDetails(db: Db): Promise<DomainRuleListing[]> {
  const rows = await db
    .selectFrom('domain_rules')
    .leftJoin('agencies', 'agencies.id', 'domain_rules.agency_id')
    .select(['domain_rules.id', 'domain_rules.domain', 'domain_rules.effect', 'domain_rules.agency_id', 'agencies.name as agency_name', 'domain_rules.note', 'domain_rules.admits_own_domain'])
    .orderBy('domain_rules.domain')
    .orderBy('domain_rules.effect')
    .execute();
  return rows.map((row) => ({ id: row.id, domain: row.domain, effect: row.effect as Effect, agencyId: row.agency_id, agencyName: row.agency_name, note: row.note, admitsOwnDomain: row.admits_own_domain }));
}

export interface NewDomainRule {
  /** `finance.gov.au` admits addresses at the domain and under it; `*.gov.au` only under it. */
  domain: string;
  effect: Effect;
  /** An agency id or name; members who join under the rule belong to it. */
  agency?: string | undefined;
  note?: string | undefined;
}

export async function addDomainRule(deps: Pick<Deps, 'db'>, input: NewDomainRule, actor: Actor): Promise<DomainRuleListing> {
  const { domain, admitsOwnDomain } = ruleEntry(input.domain);
  const note = input.note === undefined ? null : checkNote(input.note);
  return inTransaction(deps.db, async (trx) => {
    const agency = input.agency === undefined || input.agency.trim() === '' ? null : await resolveAgency(trx, input.agency);
    const created = await trx
      .insertInto('domain_rules')
      .values({ domain, effect: input.effect, agency_id: agency?.id ?? null, note, admits_own_domain: admitsOwnDomain })
      .onConflict((oc) => oc.columns(['domain', 'effect']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!created) throw new Refused(M.duplicateRule(domain, input.effect));
    await insertAuditEvent(trx, { ...actor, action: 'domain_rule.added', targetType: 'domain_rule', targetId: created.id, details: { domain, effect: input.effect, agencyId: agency?.id ?? null, note, admitsOwnDomain } });
    return { id: created.id, domain, effect: input.effect, agencyId: agency?.id ?? null, agencyName: agency?.name ?? null, note, admitsOwnDomain };
  });
}

export interface DomainRuleChange {
  domain: string;
  effect: Effect;
  /** undefined leaves it; an empty string or null clears it. */
  agency?: string | null | undefined;
  note?: string | null | undefined;
  admitsOwnDomain?: boolean | undefined;
}

/** Points a rule at another agency (or none), rewrites its note and/or says whether it admits its own domain. Members already joined stay where they are. */
export async function changeDomainRule(deps: Pick<Deps, 'db'>, input: DomainRuleChange, actor: Actor): Promise<DomainRuleListing> {
  if (input.agency === undefined && input.note === undefined && input.admitsOwnDomain === undefined) throw new Refused(M.nothingToChange);
  const { domain } = ruleEntry(input.domain);
  const note = input.note === undefined ? undefined : input.note === null ? null : checkNote(input.note);
  return inTransaction(deps.db, async (trx) => {
    const rule = await trx.selectFrom('domain_rules').select(['id', 'agency_id', 'note', 'admits_own_domain']).where('domain', '=', domain).where('effect', '=', input.effect).forUpdate().executeTakeFirst();
    if (!rule) throw new Refused(M.unknownRule(domain, input.effect));
    const agency = input.agency === undefined ? undefined : input.agency === null || input.agency.trim() === '' ? null : await resolveAgency(trx, input.agency);
    const to = { agencyId: agency === undefined ? rule.agency_id : (agency?.id ?? null), note: note === undefined ? rule.note : note, admitsOwnDomain: input.admitsOwnDomain ?? rule.admits_own_domain };
    await trx.updateTable('domain_rules').set({ agency_id: to.agencyId, note: to.note, admits_own_domain: to.admitsOwnDomain, updated_at: sql`now()` }).where('id', '=', rule.id).execute();
    await insertAuditEvent(trx, {
      ...actor,
      action: 'domain_rule.changed',
      targetType: 'domain_rule',
      targetId: rule.id,
      details: { domain, effect: input.effect, from: { agencyId: rule.agency_id, note: rule.note, admitsOwnDomain: rule.admits_own_domain }, to },
    });
    const agencyName = to.agencyId === null ? null : ((await trx.selectFrom('agencies').select('name').where('id', '=', to.agencyId).executeTakeFirst())?.name ?? null);
    return { id: rule.id, domain, effect: input.effect, agencyId: to.agencyId, agencyName, note: to.note, admitsOwnDomain: to.admitsOwnDomain };
  });
}

/** Removes a rule. Members who joined under it keep their accounts; see deactivate for that. */
export async function removeDomainRule(deps: Pick<Deps, 'db'>, input: { domain: string; effect: Effect }, actor: Actor): Promise<{ id: number; domain: string; effect: Effect; allowRulesLeft: number }> {
  const { domain } = ruleEntry(input.domain);
  return inTransaction(deps.db, async (trx) => {
    const removed = await trx.deleteFrom('domain_rules').where('domain', '=', domain).where('effect', '=', input.effect).returning(['id', 'agency_id', 'note']).executeTakeFirst();
    if (!removed) throw new Refused(M.unknownRule(domain, input.effect));
    await insertAuditEvent(trx, { ...actor, action: 'domain_rule.removed', targetType: 'domain_rule', targetId: removed.id, details: { domain, effect: input.effect, agencyId: removed.agency_id, note: removed.note } });
    const left = await trx.selectFrom('domain_rules').select((eb) => eb.fn.countAll<number>().as('count')).where('effect', '=', 'allow').executeTakeFirstOrThrow();
    return { id: removed.id, domain, effect: input.effect, allowRulesLeft: Number(left.count) };
  });
}

/** A rule named as written: `*.gov.au` is the rule for gov.au that admits only addresses under it. */
function ruleEntry(input: string): { domain: string; admitsOwnDomain: boolean } {
  const result = parseRuleEntry(input);
  if (!result.ok) throw new Refused(M.invalidDomain(input, result.reason));
  return result;
}

/** An empty note is no note. */
function checkNote(input: string): string | null {
  const note = input.trim();
  if ([...note].length > NOTE_MAX) throw new Refused(M.noteTooLong(NOTE_MAX));
  // The rules list prints one rule a line.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(note)) throw new Refused(M.noteControls);
  return note === '' ? null : note;
}
