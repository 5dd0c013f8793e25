import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { addAgency as addAgencyParsed, classifyAgency, mergeAgencies, renameAgency as renameAgencyParsed } from '../../../src/features/admin/agencies.js';
import { addDomainRule as addParsedRule, changeDomainRule, listDomainRuleDetails, removeDomainRule, type NewDomainRule } from '../../../src/features/admin/domain-rules.js';
import { deactivateMember, reactivateMember, setRole } from '../../../src/features/admin/members.js';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { findDomainRuleId, listAgencies } from '../../../src/features/admin/queries.js';
import { AgencyClassification, AgencyName, RuleDomain, RuleNote, type RuleEffect } from '../../../src/features/admin/schemas.js';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { findOrCreateProvisionalAgency } from '../../../src/features/auth/queries.js';
import { Refused } from '../../../src/lib/errors.js';
import { createTestDatabase } from '../../support/database.js';
import { createMember } from '../../support/members.js';

const OPERATOR = 'operator (npm run admin)';
const operator = { actorLabel: OPERATOR };

let database: Database;
let db: Database['db'];
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => database.close());

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Refused);
  return (error as Refused).message;
}

/** A rule as the command and the form give it: the domain and note through their schemas. */
function addDomainRule(deps: { db: Database['db'] }, input: { domain: string; effect: RuleEffect; agencyId?: number; note?: string }, actor: typeof operator) {
  const rule: NewDomainRule = { ...RuleDomain.parse(input.domain), effect: input.effect, agencyId: input.agencyId ?? null, note: RuleNote.parse(input.note ?? '') };
  return addParsedRule(deps, rule, actor);
}

function addAgency(deps: { db: Database['db'] }, input: Parameters<typeof addAgencyParsed>[1], actor: typeof operator) {
  return addAgencyParsed(deps, { ...input, name: AgencyName.parse(input.name) }, actor);
}

function renameAgency(deps: { db: Database['db'] }, id: number, input: Parameters<typeof renameAgencyParsed>[2], actor: typeof operator) {
  return renameAgencyParsed(deps, id, { ...input, name: AgencyName.parse(input.name) }, actor);
}

async function ruleId(domain: string, effect: RuleEffect): Promise<number> {
  return (await findDomainRuleId(db, domain, effect))!;
}

async function latestAudit(action: string) {
  return db.selectFrom('audit_events').select(['actor_label', 'actor_member_id', 'target_type', 'target_id', 'details']).where('action', '=', action).orderBy('id', 'desc').executeTakeFirst();
}

async function auditCount(): Promise<number> {
  return Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

async function memberRow(id: number) {
  return db.selectFrom('members').select(['role', 'deactivated_at', 'agency_id']).where('id', '=', id).executeTakeFirstOrThrow();
}

async function addSession(memberId: number): Promise<void> {
  const later = new Date(Date.now() + 3_600_000);
  await db.insertInto('sessions').values({ id_hash: randomUUID(), data: '{}', expires_at: later, member_id: memberId, public_id: randomUUID() }).execute();
}

async function sessionCount(memberId: number): Promise<number> {
  return (await db.selectFrom('sessions').select('id_hash').where('member_id', '=', memberId).execute()).length;
}

describe('grant and revoke', () => {
  it('grants a role to the member by id and records role.granted with before and after', async () => {
    const member = await createMember(db, { email: 'grace.hopper@finance.gov.au' });
    const change = await setRole({ db }, member.id, 'moderator', operator);
    expect(change).toMatchObject({ memberId: member.id, canonicalEmail: 'grace.hopper@finance.gov.au', from: 'member', to: 'moderator' });
    expect((await memberRow(member.id)).role).toBe('moderator');
    expect(await latestAudit('role.granted')).toMatchObject({ actor_label: OPERATOR, actor_member_id: null, target_type: 'member', target_id: String(member.id), details: { before: { role: 'member' }, after: { role: 'moderator' } } });
  });

  it('revokes back to member, records role.revoked and leaves the sessions to pick up the new limits', async () => {
    const member = await createMember(db, { role: 'administrator' });
    // Another stays, as the last active administrator cannot be demoted.
    await createMember(db, { role: 'administrator' });
    await addSession(member.id);
    await setRole({ db }, member.id, 'member', operator);
    expect((await memberRow(member.id)).role).toBe('member');
    expect(await sessionCount(member.id)).toBe(1);
    expect(await latestAudit('role.revoked')).toMatchObject({ actor_label: OPERATOR, target_id: String(member.id), details: { before: { role: 'administrator' }, after: { role: 'member' } } });
  });

  it('refuses an unknown member and a role the member already has, writing nothing', async () => {
    const member = await createMember(db, { role: 'moderator' });
    const before = await auditCount();
    expect(await refusal(setRole({ db }, 999_999_999, 'moderator', operator))).toBe(M.memberGone);
    expect(await refusal(setRole({ db }, member.id, 'moderator', operator))).toBe(M.alreadyHasRole(member.email, 'moderator'));
    expect(M.alreadyHasRole(member.email, 'administrator')).toContain('already an administrator');
    expect(await auditCount()).toBe(before);
  });
});

describe('deactivate and reactivate', () => {
  it('deactivates a member, ends every session they have and records member.deactivated', async () => {
    const member = await createMember(db);
    const bystander = await createMember(db);
    await addSession(member.id);
    await addSession(member.id);
    await addSession(bystander.id);
    expect(await deactivateMember({ db }, member.id, operator)).toMatchObject({ memberId: member.id, sessionsEnded: 2 });
    expect((await memberRow(member.id)).deactivated_at).toBeInstanceOf(Date);
    expect(await sessionCount(member.id)).toBe(0);
    expect(await sessionCount(bystander.id)).toBe(1);
    expect(await latestAudit('member.deactivated')).toMatchObject({ actor_label: OPERATOR, target_type: 'member', target_id: String(member.id), details: { before: { deactivated: false }, after: { deactivated: true }, sessionsEnded: 2 } });
  });

  it('reactivates a deactivated member and records member.reactivated', async () => {
    const member = await createMember(db, { deactivated: true });
    await reactivateMember({ db }, member.id, operator);
    expect((await memberRow(member.id)).deactivated_at).toBeNull();
    expect(await latestAudit('member.reactivated')).toMatchObject({ actor_label: OPERATOR, target_id: String(member.id), details: { after: { deactivatedAt: null } } });
  });

  it('refuses to deactivate twice, to reactivate an active member, and an unknown member', async () => {
    const active = await createMember(db);
    const inactive = await createMember(db, { deactivated: true });
    const before = await auditCount();
    expect(await refusal(deactivateMember({ db }, inactive.id, operator))).toBe(M.alreadyDeactivated(inactive.email));
    expect(await refusal(reactivateMember({ db }, active.id, operator))).toBe(M.notDeactivated(active.email));
    expect(await refusal(deactivateMember({ db }, 999_999_999, operator))).toBe(M.memberGone);
    expect(await auditCount()).toBe(before);
  });
});

describe('domain rules', () => {
  it('adds a rule with a normalised domain, an agency and a note, lists it and records domain_rule.added', async () => {
    const agency = await addAgency({ db }, { name: 'Department of Finance', jurisdiction: 'commonwealth' }, operator);
    const rule = await addDomainRule({ db }, { domain: ' FINANCE.gov.au ', effect: 'allow', agencyId: agency.id, note: ' mapped in March ' }, operator);
    await addDomainRule({ db }, { domain: 'finance.gov.au', effect: 'block', agencyId: agency.id }, operator);
    expect(rule).toMatchObject({ domain: 'finance.gov.au', effect: 'allow', agencyId: agency.id, agencyName: 'Department of Finance', note: 'mapped in March' });
    expect((await listDomainRuleDetails(db)).filter((r) => r.domain === 'finance.gov.au')).toEqual([
      { id: rule.id, domain: 'finance.gov.au', effect: 'allow', agencyId: agency.id, agencyName: 'Department of Finance', note: 'mapped in March', admitsOwnDomain: true, members: 0 },
      expect.objectContaining({ domain: 'finance.gov.au', effect: 'block', agencyId: agency.id, note: null }),
    ]);
    expect(await latestAudit('domain_rule.added')).toMatchObject({ actor_label: OPERATOR, target_type: 'domain_rule', details: { before: null, after: { domain: 'finance.gov.au', effect: 'block', agencyId: agency.id } } });
  });

  it('counts the active members each rule decides for: the most specific rule, and not the deactivated', async () => {
    await addDomainRule({ db }, { domain: 'counted.gov.au', effect: 'allow' }, operator);
    await addDomainRule({ db }, { domain: 'inner.counted.gov.au', effect: 'allow' }, operator);
    await createMember(db, { email: 'a@counted.gov.au' });
    await createMember(db, { email: 'b@team.counted.gov.au' });
    await createMember(db, { email: 'c@counted.gov.au', deactivated: true });
    await createMember(db, { email: 'd@inner.counted.gov.au' });
    const rules = await listDomainRuleDetails(db);
    expect(rules.find((r) => r.domain === 'counted.gov.au')?.members).toBe(2);
    expect(rules.find((r) => r.domain === 'inner.counted.gov.au')?.members).toBe(1);
  });

  it('reads the domain and the note as the form and the command do, refusing what the address parser would', () => {
    expect(RuleDomain.safeParse('gov.au.').error?.issues[0]?.message).toBe(AUTH_MESSAGES.domainTrailingDot);
    expect(RuleDomain.safeParse('fіnance.gov.au').error?.issues[0]?.message).toBe(AUTH_MESSAGES.domainNotAscii);
    expect(RuleDomain.safeParse('au').error?.issues[0]?.message).toBe(AUTH_MESSAGES.domainSingleLabel);
    expect(RuleDomain.safeParse('*.').error?.issues[0]?.message).toBe(AUTH_MESSAGES.domainEmpty);
    expect(RuleNote.safeParse('x'.repeat(501)).error?.issues[0]?.message).toBe(M.noteTooLong(500));
    expect(RuleNote.safeParse('two\nlines').error?.issues[0]?.message).toBe(M.noteControls);
    expect(RuleNote.parse('  ')).toBeNull();
  });

  it('refuses a duplicate rule and an agency that does not exist, writing nothing', async () => {
    await addDomainRule({ db }, { domain: 'dss.gov.au', effect: 'allow' }, operator);
    const before = await auditCount();
    expect(await refusal(addDomainRule({ db }, { domain: 'DSS.gov.au', effect: 'allow' }, operator))).toBe(M.duplicateRule('dss.gov.au', 'allow'));
    expect(M.duplicateRule('dss.gov.au', 'allow')).toContain('already an allow rule for dss.gov.au');
    expect(await refusal(addDomainRule({ db }, { domain: 'ato.gov.au', effect: 'allow', agencyId: 999_999 }, operator))).toBe(M.agencyGone(999_999));
    expect(await auditCount()).toBe(before);
    expect((await listDomainRuleDetails(db)).some((r) => r.domain === 'ato.gov.au')).toBe(false);
  });

  it('changes the agency and the note, clears them, and records domain_rule.changed with before and after', async () => {
    const agency = await addAgency({ db }, { name: 'Services Australia' }, operator);
    const added = await addDomainRule({ db }, { domain: 'servicesaustralia.gov.au', effect: 'allow', note: 'old note' }, operator);
    const { rule: changed } = await changeDomainRule({ db }, added.id, { agencyId: agency.id }, operator);
    expect(changed).toMatchObject({ agencyId: agency.id, agencyName: 'Services Australia', note: 'old note' });
    const audit = await latestAudit('domain_rule.changed');
    expect(audit).toMatchObject({ actor_label: OPERATOR, details: { before: { agencyId: null, note: 'old note' }, after: { agencyId: agency.id, note: 'old note' } } });
    const before = await auditCount();
    expect(await changeDomainRule({ db }, added.id, { agencyId: agency.id, note: 'old note' }, operator)).toMatchObject({ changed: false });
    expect(await auditCount()).toBe(before);
    const { rule: cleared } = await changeDomainRule({ db }, added.id, { agencyId: null, note: null }, operator);
    expect(cleared).toMatchObject({ agencyId: null, agencyName: null, note: null });
  });

  it("admits a rule's own domain unless it is written *.DOMAIN, and changes that when asked", async () => {
    expect(await addDomainRule({ db }, { domain: 'abs.gov.au', effect: 'allow' }, operator)).toMatchObject({ domain: 'abs.gov.au', admitsOwnDomain: true });
    const vic = await addDomainRule({ db }, { domain: ' *.VIC.gov.au', effect: 'allow' }, operator);
    expect(vic).toMatchObject({ domain: 'vic.gov.au', admitsOwnDomain: false });
    expect((await changeDomainRule({ db }, vic.id, { admitsOwnDomain: true }, operator)).rule).toMatchObject({ admitsOwnDomain: true });
    expect(await latestAudit('domain_rule.changed')).toMatchObject({ details: { before: { admitsOwnDomain: false }, after: { admitsOwnDomain: true } } });
  });

  it('refuses to change or remove a rule that does not exist, and a change with nothing in it', async () => {
    expect(await refusal(changeDomainRule({ db }, 999_999, { note: 'x' }, operator))).toBe(M.ruleGone);
    expect(await refusal(changeDomainRule({ db }, await ruleId('dss.gov.au', 'allow'), {}, operator))).toBe(M.nothingToChange);
    expect(await refusal(removeDomainRule({ db }, 999_999, operator))).toBe(M.ruleGone);
  });

  it('removes a rule and records domain_rule.removed with what it was', async () => {
    const rule = await addDomainRule({ db }, { domain: 'nsw.gov.au', effect: 'block', note: 'state staff join through their own rules' }, operator);
    const removed = await removeDomainRule({ db }, rule.id, operator);
    expect(removed).toMatchObject({ domain: 'nsw.gov.au', effect: 'block' });
    expect(removed.allowRulesLeft).toBeGreaterThan(0);
    expect((await listDomainRuleDetails(db)).some((r) => r.id === rule.id)).toBe(false);
    expect(await latestAudit('domain_rule.removed')).toMatchObject({
      actor_label: OPERATOR,
      target_id: String(rule.id),
      details: { before: { domain: 'nsw.gov.au', effect: 'block', note: 'state staff join through their own rules' }, after: null },
    });
  });
});

describe('agencies', () => {
  it('adds an agency and lists it with its jurisdiction, type, status and member count', async () => {
    const agency = await addAgency({ db }, { name: '  Bureau of  Meteorology ', jurisdiction: 'commonwealth', agency_type: 'statutory_body' }, operator);
    expect(agency.name).toBe('Bureau of Meteorology');
    await createMember(db, { agency });
    expect((await listAgencies(db)).find((a) => a.id === agency.id)).toEqual({ id: agency.id, name: 'Bureau of Meteorology', jurisdiction: 'commonwealth', agencyType: 'statutory_body', parentId: null, parentName: null, provisional: false, members: 1 });
    expect(await latestAudit('agency.added')).toMatchObject({
      actor_label: OPERATOR,
      target_type: 'agency',
      target_id: String(agency.id),
      details: { before: null, after: { name: 'Bureau of Meteorology', jurisdiction: 'commonwealth', agencyType: 'statutory_body' } },
    });
  });

  it('sets the jurisdiction or the type alone (agency-set), keeping the other, and records before and after', async () => {
    const agency = await addAgency({ db }, { name: 'Australian Communications and Media Authority', jurisdiction: 'commonwealth' }, operator);
    expect(await classifyAgency({ db }, agency.id, { agency_type: 'regulator' }, operator)).toEqual({
      id: agency.id,
      name: 'Australian Communications and Media Authority',
      before: { jurisdiction: 'commonwealth', agencyType: null },
      after: { jurisdiction: 'commonwealth', agencyType: 'regulator' },
      changed: true,
    });
    expect(await latestAudit('agency.classified')).toMatchObject({ actor_label: OPERATOR, actor_member_id: null, target_id: String(agency.id), details: { after: { jurisdiction: 'commonwealth', agencyType: 'regulator' } } });
    const before = await auditCount();
    expect(await classifyAgency({ db }, agency.id, { jurisdiction: 'commonwealth' }, operator)).toMatchObject({ changed: false });
    expect(await classifyAgency({ db }, 999_999, { jurisdiction: 'state' }, operator)).toBeUndefined();
    expect(await auditCount()).toBe(before);
  });

  it('reads a jurisdiction and a type the same way for the /admin form and the command, forgiving case and spaces', () => {
    const read = (input: Record<string, string>) => AgencyClassification.partial().safeParse(input);
    expect(read({ jurisdiction: ' Commonwealth ', agency_type: 'Service delivery' }).data).toEqual({ jurisdiction: 'commonwealth', agency_type: 'service_delivery' });
    expect(read({ jurisdiction: '', agency_type: 'statutory-body' }).data).toEqual({ jurisdiction: null, agency_type: 'statutory_body' });
    expect(read({ jurisdiction: 'federal' }).error?.issues.map((issue) => issue.message)).toEqual([M.unknownJurisdiction]);
    expect(read({ agency_type: 'ministry' }).error?.issues.map((issue) => issue.message)).toEqual([M.unknownAgencyType]);
    expect(AgencyClassification.safeParse({}).error?.issues.map((issue) => issue.message)).toEqual([M.jurisdictionMissing, M.agencyTypeMissing]);
  });

  it('refuses a name already taken (in any case) and an empty name', async () => {
    const existing = await addAgency({ db }, { name: 'Australian Taxation Office' }, operator);
    expect(await refusal(addAgency({ db }, { name: 'australian taxation office' }, operator))).toBe(M.agencyNameTaken('australian taxation office'));
    expect(existing.id).toBeGreaterThan(0);
    expect(AgencyName.safeParse('   ').error?.issues[0]?.message).toBe(M.agencyNameRequired);
    expect(AgencyName.safeParse('Line\nbreak').error?.issues[0]?.message).toBeDefined();
    expect(AgencyName.parse('  Bureau of  Meteorology ')).toBe('Bureau of Meteorology');
  });

  it('maps a provisional agency by renaming it, and says how to send later members there too', async () => {
    const provisional = await findOrCreateProvisionalAgency(db, 'pmc.gov.au');
    await addDomainRule({ db }, { domain: 'gov.au', effect: 'allow' }, operator);
    const renamed = await renameAgency({ db }, provisional, { name: 'Department of the Prime Minister and Cabinet', jurisdiction: 'commonwealth', agency_type: 'department' }, operator);
    expect(renamed).toMatchObject({ from: 'pmc.gov.au', to: 'Department of the Prime Minister and Cabinet', wasProvisional: true });
    expect(renamed.unmappedDomain).toEqual({ domain: 'pmc.gov.au', ruleExists: false });
    expect((await listAgencies(db)).find((a) => a.id === provisional)).toMatchObject({ provisional: false, jurisdiction: 'commonwealth', agencyType: 'department' });
    expect(await latestAudit('agency.renamed')).toMatchObject({ actor_label: OPERATOR, target_id: String(provisional), details: { before: { name: 'pmc.gov.au', provisional: true, jurisdiction: null }, after: { name: 'Department of the Prime Minister and Cabinet', provisional: false, jurisdiction: 'commonwealth', agencyType: 'department' } } });
  });

  it('refuses to rename an unknown agency or to a name another agency has, but lets one change its own case', async () => {
    const first = await addAgency({ db }, { name: 'Department of Health' }, operator);
    const second = await addAgency({ db }, { name: 'Department of Ageing' }, operator);
    expect(await refusal(renameAgency({ db }, 999_999, { name: 'Anything' }, operator))).toBe(M.agencyGone(999_999));
    expect(await refusal(renameAgency({ db }, second.id, { name: 'DEPARTMENT OF HEALTH' }, operator))).toBe(M.agencyNameTaken('DEPARTMENT OF HEALTH'));
    expect(await renameAgency({ db }, first.id, { name: 'Department of health' }, operator)).toMatchObject({ from: 'Department of Health', to: 'Department of health' });
  });

  it('merges FROM into TO: members and rules move, FROM is deleted, agency.merged is recorded', async () => {
    const from = await findOrCreateProvisionalAgency(db, 'ndis.gov.au');
    const into = await addAgency({ db }, { name: 'National Disability Insurance Agency' }, operator);
    const members = [await createMember(db, { agency: { id: from } }), await createMember(db, { agency: { id: from } })];
    await addDomainRule({ db }, { domain: 'ndis.gov.au', effect: 'allow', agencyId: from }, operator);
    const merged = await mergeAgencies({ db }, from, into.id, operator);
    expect(merged).toMatchObject({ from: { id: from, name: 'ndis.gov.au', provisional: true }, into: { id: into.id }, membersMoved: 2, rulesMoved: 1 });
    expect(merged.unmappedDomain).toBeUndefined();
    for (const member of members) expect((await memberRow(member.id)).agency_id).toBe(into.id);
    expect((await listDomainRuleDetails(db)).find((r) => r.domain === 'ndis.gov.au')?.agencyId).toBe(into.id);
    expect(await db.selectFrom('agencies').select('id').where('id', '=', from).executeTakeFirst()).toBeUndefined();
    expect(await latestAudit('agency.merged')).toMatchObject({ actor_label: OPERATOR, target_type: 'agency', target_id: String(into.id), details: { from: { id: from }, membersMoved: 2, rulesMoved: 1 } });
  });

  it('refuses to merge an agency into itself or to or from an unknown one, writing nothing', async () => {
    const agency = await addAgency({ db }, { name: 'Geoscience Australia' }, operator);
    const before = await auditCount();
    expect(await refusal(mergeAgencies({ db }, agency.id, agency.id, operator))).toBe(M.mergeIntoItself);
    expect(await refusal(mergeAgencies({ db }, agency.id, 999_999, operator))).toBe(M.agencyGone(999_999));
    expect(await refusal(mergeAgencies({ db }, 999_998, agency.id, operator))).toBe(M.agencyGone(999_998));
    expect(await auditCount()).toBe(before);
    expect((await listAgencies(db)).some((a) => a.id === agency.id)).toBe(true);
  });
});

