import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { Refused } from '../../lib/errors.js';
import { decideDomain, type DomainRule } from '../auth/email-domain.js';
import type { Actor } from './actor.js';
import { ADMIN_MESSAGES as M } from './messages.js';
import { countActiveMembersByDomain, countAllowRules, listActiveMembersAtDomains, listDomainRuleRows, lockDomainRule, type DomainRuleRow, type MemberUnderReview } from './queries.js';
import type { RuleEffect } from './schemas.js';

/**
 * Domain rules as administrators list and change them, on /admin and with `npm run admin`. How
 * rules decide who may join is auth/email-domain.ts. A rule is named here by its id; the command
 * line finds the id from the domain and effect, which are unique together.
 */

export interface DomainRuleListing extends DomainRuleRow {
  /** Active members whose address this rule decides: admitted by an allow, refused by a block. */
  members: number;
}

function asDecidingRule(row: DomainRuleRow): DomainRule {
  return { domain: row.domain, effect: row.effect, agencyId: row.agencyId, admitsOwnDomain: row.admitsOwnDomain };
}

/** Every rule, each with the number of active members it decides for. */
export async function listDomainRuleDetails(db: Db): Promise<DomainRuleListing[]> {
  const rows = await listDomainRuleRows(db);
  const rules = rows.map(asDecidingRule);
  const members = new Map<DomainRule, number>();
  for (const { domain, members: count } of await countActiveMembersByDomain(db)) {
    const decision = decideDomain(domain, rules);
    if (decision.rule) members.set(decision.rule, (members.get(decision.rule) ?? 0) + count);
  }
  return rows.map((row, index) => ({ ...row, members: members.get(rules[index]!) ?? 0 }));
}

/**
 * Active members whose address the rules no longer admit: after a rule is removed or turned into
 * a block, the members it admitted, for an administrator to review (and deactivate in one go).
 * `ids` narrows it to members a page listed.
 */
export async function listMembersNoLongerAdmitted(db: Db, ids?: readonly number[]): Promise<MemberUnderReview[]> {
  const rules = (await listDomainRuleRows(db)).map(asDecidingRule);
  const refused = (await countActiveMembersByDomain(db)).map((row) => row.domain).filter((domain) => !decideDomain(domain, rules).allowed);
  return listActiveMembersAtDomains(db, refused, ids);
}

export interface NewDomainRule {
  /** As RuleDomain parsed it: `*.gov.au` is gov.au, not admitting its own domain. */
  domain: string;
  admitsOwnDomain: boolean;
  effect: RuleEffect;
  /** Members who join under the rule belong to it. */
  agencyId: number | null;
  note: string | null;
}

export async function addDomainRule(deps: Pick<Deps, 'db'>, input: NewDomainRule, actor: Actor): Promise<DomainRuleRow> {
  return inTransaction(deps.db, async (trx) => {
    const agencyName = input.agencyId === null ? null : await agencyNameOf(trx, input.agencyId);
    const created = await trx
      .insertInto('domain_rules')
      .values({ domain: input.domain, effect: input.effect, agency_id: input.agencyId, note: input.note, admits_own_domain: input.admitsOwnDomain })
      .onConflict((oc) => oc.columns(['domain', 'effect']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!created) throw new Refused(M.duplicateRule(input.domain, input.effect), 'domain');
    const after = { domain: input.domain, effect: input.effect, agencyId: input.agencyId, note: input.note, admitsOwnDomain: input.admitsOwnDomain };
    await insertAuditEvent(trx, { ...actor, action: 'domain_rule.added', targetType: 'domain_rule', targetId: created.id, details: { before: null, after } });
    return { id: created.id, ...after, agencyName };
  });
}

export interface DomainRuleChange {
  /** undefined leaves it; null clears it. */
  agencyId?: number | null | undefined;
  note?: string | null | undefined;
  admitsOwnDomain?: boolean | undefined;
}

/**
 * Points a rule at another agency (or none), rewrites its note and/or says whether it admits its
 * own domain. Members already joined stay where they are. Saving what is already there writes
 * nothing, so a form sent twice is recorded once.
 */
export async function changeDomainRule(deps: Pick<Deps, 'db'>, id: number, change: DomainRuleChange, actor: Actor): Promise<{ rule: DomainRuleRow; changed: boolean }> {
  if (change.agencyId === undefined && change.note === undefined && change.admitsOwnDomain === undefined) throw new Refused(M.nothingToChange);
  return inTransaction(deps.db, async (trx) => {
    const rule = await lockDomainRule(trx, id);
    if (!rule) throw new Refused(M.ruleGone, '_form', 404);
    const before = { agencyId: rule.agency_id, note: rule.note, admitsOwnDomain: rule.admits_own_domain };
    const after = { agencyId: change.agencyId === undefined ? before.agencyId : change.agencyId, note: change.note === undefined ? before.note : change.note, admitsOwnDomain: change.admitsOwnDomain ?? before.admitsOwnDomain };
    const agencyName = after.agencyId === null ? null : await agencyNameOf(trx, after.agencyId);
    const changed = after.agencyId !== before.agencyId || after.note !== before.note || after.admitsOwnDomain !== before.admitsOwnDomain;
    if (changed) {
      await trx.updateTable('domain_rules').set({ agency_id: after.agencyId, note: after.note, admits_own_domain: after.admitsOwnDomain, updated_at: sql`now()` }).where('id', '=', id).execute();
      await insertAuditEvent(trx, { ...actor, action: 'domain_rule.changed', targetType: 'domain_rule', targetId: id, details: { domain: rule.domain, effect: rule.effect, before, after } });
    }
    return { rule: { id, domain: rule.domain, effect: rule.effect as RuleEffect, agencyName, ...after }, changed };
  });
}

/**
 * Turns an allow rule into a block: nobody joins from its domain any more. The members it admitted
 * keep their accounts until an administrator reviews them (listMembersNoLongerAdmitted).
 */
export async function blockDomainRule(deps: Pick<Deps, 'db'>, id: number, actor: Actor): Promise<{ domain: string }> {
  return inTransaction(deps.db, async (trx) => {
    const rule = await lockDomainRule(trx, id);
    if (!rule) throw new Refused(M.ruleGone, '_form', 404);
    if (rule.effect === 'block') throw new Refused(M.alreadyBlocks(rule.domain), '_form', 409);
    const block = await trx.selectFrom('domain_rules').select('id').where('domain', '=', rule.domain).where('effect', '=', 'block').executeTakeFirst();
    if (block) throw new Refused(M.blockExists(rule.domain), '_form', 409);
    await trx.updateTable('domain_rules').set({ effect: 'block', updated_at: sql`now()` }).where('id', '=', id).execute();
    await insertAuditEvent(trx, { ...actor, action: 'domain_rule.blocked', targetType: 'domain_rule', targetId: id, details: { domain: rule.domain, before: { effect: 'allow' }, after: { effect: 'block' } } });
    return { domain: rule.domain };
  });
}

/** Removes a rule. Members who joined under it keep their accounts until an administrator reviews them. */
export async function removeDomainRule(deps: Pick<Deps, 'db'>, id: number, actor: Actor): Promise<{ domain: string; effect: RuleEffect; allowRulesLeft: number }> {
  return inTransaction(deps.db, async (trx) => {
    const removed = await trx.deleteFrom('domain_rules').where('id', '=', id).returning(['domain', 'effect', 'agency_id', 'note', 'admits_own_domain']).executeTakeFirst();
    if (!removed) throw new Refused(M.ruleGone, '_form', 404);
    const before = { domain: removed.domain, effect: removed.effect, agencyId: removed.agency_id, note: removed.note, admitsOwnDomain: removed.admits_own_domain };
    await insertAuditEvent(trx, { ...actor, action: 'domain_rule.removed', targetType: 'domain_rule', targetId: id, details: { before, after: null } });
    return { domain: removed.domain, effect: removed.effect as RuleEffect, allowRulesLeft: await countAllowRules(trx) };
  });
}

async function agencyNameOf(db: Db, agencyId: number): Promise<string> {
  // Held until the transaction ends, so a merge cannot delete the agency under the new rule.
  const agency = await db.selectFrom('agencies').select('name').where('id', '=', agencyId).forShare().executeTakeFirst();
  if (!agency) throw new Refused(M.agencyGone(agencyId), 'agency_id');
  return agency.name;
}
