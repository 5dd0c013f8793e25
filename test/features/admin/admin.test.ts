import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { addAgency, classifyAgency, listAgencies, mergeAgencies, renameAgency } from '../../../src/features/admin/agencies.js';
import { addDomainRule, changeDomainRule, listDomainRuleDetails, removeDomainRule } from '../../../src/features/admin/domain-rules.js';
import { deactivateMember, reactivateMember, setRole } from '../../../src/features/admin/members.js';
import { ADMIN_MESSAGES as M, Refused } from '../../../src/features/admin/messages.js';
import { AgencyClassification } from '../../../src/features/admin/schemas.js';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { findOrCreateProvisionalAgency } from '../../../src/features/auth/queries.js';
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
  it('grants a role to the member named by any form of their address and records role.granted with from and to', async () => {
    const member = await createMember(db, { email: 'grace.hopper@finance.gov.au' });
    const change = await setRole({ db }, '  Grace.Hopper+commons@FINANCE.gov.au ', 'moderator', operator);
    expect(change).toMatchObject({ memberId: member.id, canonicalEmail: 'grace.hopper@finance.gov.au', from: 'member', to: 'moderator' });
    expect((await memberRow(member.id)).role).toBe('moderator');
    expect(await latestAudit('role.granted')).toMatchObject({ actor_label: OPERATOR, actor_member_id: null, target_type: 'member', target_id: String(member.id), details: { from: 'member', to: 'moderator' } });
  });

  it('revokes back to member, records role.revoked and leaves the sessions to pick up the new limits', async () => {
    const member = await createMember(db, { role: 'administrator' });
    await addSession(member.id);
    await setRole({ db }, member.email, 'member', operator);
    expect((await memberRow(member.id)).role).toBe('member');
    expect(await sessionCount(member.id)).toBe(1);
    expect(await latestAudit('role.revoked')).toMatchObject({ actor_label: OPERATOR, target_id: String(member.id), details: { from: 'administrator', to: 'member' } });
  });

  it('refuses an unknown address, an invalid one and a role the member already has, writing nothing', async () => {
    const member = await createMember(db, { role: 'moderator' });
    const before = await auditCount();
    expect(await refusal(setRole({ db }, 'nobody@finance.gov.au', 'moderator', operator))).toBe(M.unknownMember('nobody@finance.gov.au'));
    expect(await refusal(setRole({ db }, 'x@finance..gov.au', 'moderator', operator))).toBe(M.invalidEmail('x@finance..gov.au', AUTH_MESSAGES.domainEmptyLabel));
    expect(await refusal(setRole({ db }, member.email, 'moderator', operator))).toBe(M.alreadyHasRole(member.email, 'moderator'));
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
    expect(await deactivateMember({ db }, member.email, operator)).toMatchObject({ memberId: member.id, sessionsEnded: 2 });
    expect((await memberRow(member.id)).deactivated_at).toBeInstanceOf(Date);
    expect(await sessionCount(member.id)).toBe(0);
    expect(await sessionCount(bystander.id)).toBe(1);
    expect(await latestAudit('member.deactivated')).toMatchObject({ actor_label: OPERATOR, target_type: 'member', target_id: String(member.id), details: { sessionsEnded: 2 } });
  });

  it('reactivates a deactivated member and records member.reactivated', async () => {
    const member = await createMember(db, { deactivated: true });
    await reactivateMember({ db }, member.email.toUpperCase(), operator);
    expect((await memberRow(member.id)).deactivated_at).toBeNull();
    expect(await latestAudit('member.reactivated')).toMatchObject({ actor_label: OPERATOR, target_id: String(member.id) });
  });

  it('refuses to deactivate twice, to reactivate an active member, and an unknown address', async () => {
    const active = await createMember(db);
    const inactive = await createMember(db, { deactivated: true });
    const before = await auditCount();
    expect(await refusal(deactivateMember({ db }, inactive.email, operator))).toBe(M.alreadyDeactivated(inactive.email));
    expect(await refusal(reactivateMember({ db }, active.email, operator))).toBe(M.notDeactivated(active.email));
    expect(await refusal(deactivateMember({ db }, 'ghost@finance.gov.au', operator))).toBe(M.unknownMember('ghost@finance.gov.au'));
    expect(await auditCount()).toBe(before);
  });
});

describe('domain rules', () => {
  it('adds a rule with a normalised domain, an agency by name or id and a note, lists it and records domain_rule.added', async () => {
    const agency = await addAgency({ db }, { name: 'Department of Finance', jurisdiction: 'commonwealth' }, operator);
    const rule = await addDomainRule({ db }, { domain: ' FINANCE.gov.au ', effect: 'allow', agency: 'department of finance', note: 'mapped in March' }, operator);
    await addDomainRule({ db }, { domain: 'finance.gov.au', effect: 'block', agency: String(agency.id) }, operator);
    expect(rule).toMatchObject({ domain: 'finance.gov.au', effect: 'allow', agencyId: agency.id, agencyName: 'Department of Finance', note: 'mapped in March' });
    expect((await listDomainRuleDetails(db)).filter((r) => r.domain === 'finance.gov.au')).toEqual([
      { id: rule.id, domain: 'finance.gov.au', effect: 'allow', agencyId: agency.id, agencyName: 'Department of Finance', note: 'mapped in March', admitsOwnDomain: true },
      expect.objectContaining({ domain: 'finance.gov.au', effect: 'block', agencyId: agency.id, note: null }),
    ]);
    expect(await latestAudit('domain_rule.added')).toMatchObject({ actor_label: OPERATOR, target_type: 'domain_rule', details: { domain: 'finance.gov.au', effect: 'block', agencyId: agency.id } });
  });

  it('refuses a bad domain, a duplicate rule, an unknown agency and an over-long note, writing nothing', async () => {
    await addDomainRule({ db }, { domain: 'dss.gov.au', effect: 'allow' }, operator);
    const before = await auditCount();
    expect(await refusal(addDomainRule({ db }, { domain: 'gov.au.', effect: 'allow' }, operator))).toBe(M.invalidDomain('gov.au.', AUTH_MESSAGES.domainTrailingDot));
    expect(await refusal(addDomainRule({ db }, { domain: 'fіnance.gov.au', effect: 'allow' }, operator))).toBe(M.invalidDomain('fіnance.gov.au', AUTH_MESSAGES.domainNotAscii));
    expect(await refusal(addDomainRule({ db }, { domain: 'au', effect: 'allow' }, operator))).toBe(M.invalidDomain('au', AUTH_MESSAGES.domainSingleLabel));
    expect(await refusal(addDomainRule({ db }, { domain: 'DSS.gov.au', effect: 'allow' }, operator))).toBe(M.duplicateRule('dss.gov.au', 'allow'));
    expect(M.duplicateRule('dss.gov.au', 'allow')).toContain('already an allow rule for dss.gov.au');
    expect(await refusal(addDomainRule({ db }, { domain: 'ato.gov.au', effect: 'allow', agency: 'Ministry of Silly Walks' }, operator))).toBe(M.unknownAgency('Ministry of Silly Walks'));
    expect(await refusal(addDomainRule({ db }, { domain: 'ato.gov.au', effect: 'allow', agency: '999999' }, operator))).toBe(M.unknownAgency('999999'));
    expect(await refusal(addDomainRule({ db }, { domain: 'ato.gov.au', effect: 'allow', note: 'x'.repeat(501) }, operator))).toBe(M.noteTooLong(500));
    expect(await auditCount()).toBe(before);
    expect((await listDomainRuleDetails(db)).some((r) => r.domain === 'ato.gov.au')).toBe(false);
  });

  it('changes the agency and the note, clears them, and records domain_rule.changed with both sides', async () => {
    const agency = await addAgency({ db }, { name: 'Services Australia' }, operator);
    await addDomainRule({ db }, { domain: 'servicesaustralia.gov.au', effect: 'allow', note: 'old note' }, operator);
    const changed = await changeDomainRule({ db }, { domain: 'servicesaustralia.gov.au', effect: 'allow', agency: 'Services Australia' }, operator);
    expect(changed).toMatchObject({ agencyId: agency.id, agencyName: 'Services Australia', note: 'old note' });
    const audit = await latestAudit('domain_rule.changed');
    expect(audit).toMatchObject({ actor_label: OPERATOR, details: { from: { agencyId: null, note: 'old note' }, to: { agencyId: agency.id, note: 'old note' } } });
    const cleared = await changeDomainRule({ db }, { domain: 'servicesaustralia.gov.au', effect: 'allow', agency: '', note: '' }, operator);
    expect(cleared).toMatchObject({ agencyId: null, agencyName: null, note: null });
  });

  it('admits a rule\'s own domain unless it is written *.DOMAIN, and changes that when asked', async () => {
    expect(await addDomainRule({ db }, { domain: 'abs.gov.au', effect: 'allow' }, operator)).toMatchObject({ domain: 'abs.gov.au', admitsOwnDomain: true });
    expect(await addDomainRule({ db }, { domain: ' *.VIC.gov.au', effect: 'allow' }, operator)).toMatchObject({ domain: 'vic.gov.au', admitsOwnDomain: false });
    expect(await refusal(addDomainRule({ db }, { domain: '*.', effect: 'allow' }, operator))).toBe(M.invalidDomain('*.', AUTH_MESSAGES.domainEmpty));
    expect(await changeDomainRule({ db }, { domain: 'vic.gov.au', effect: 'allow', admitsOwnDomain: true }, operator)).toMatchObject({ admitsOwnDomain: true });
    expect(await latestAudit('domain_rule.changed')).toMatchObject({ details: { from: { admitsOwnDomain: false }, to: { admitsOwnDomain: true } } });
  });

  it('refuses to change or remove a rule that does not exist, and a change with nothing in it', async () => {
    expect(await refusal(changeDomainRule({ db }, { domain: 'nowhere.gov.au', effect: 'block', note: 'x' }, operator))).toBe(M.unknownRule('nowhere.gov.au', 'block'));
    expect(await refusal(changeDomainRule({ db }, { domain: 'dss.gov.au', effect: 'allow' }, operator))).toBe(M.nothingToChange);
    expect(await refusal(removeDomainRule({ db }, { domain: 'nowhere.gov.au', effect: 'allow' }, operator))).toBe(M.unknownRule('nowhere.gov.au', 'allow'));
  });

  it('removes a rule by domain and effect and records domain_rule.removed', async () => {
    const rule = await addDomainRule({ db }, { domain: 'nsw.gov.au', effect: 'block', note: 'state staff join through their own rules' }, operator);
    const removed = await removeDomainRule({ db }, { domain: 'NSW.gov.au', effect: 'block' }, operator);
    expect(removed).toMatchObject({ id: rule.id, domain: 'nsw.gov.au', effect: 'block' });
    expect(removed.allowRulesLeft).toBeGreaterThan(0);
    expect((await listDomainRuleDetails(db)).some((r) => r.id === rule.id)).toBe(false);
    expect(await latestAudit('domain_rule.removed')).toMatchObject({ actor_label: OPERATOR, target_id: String(rule.id), details: { domain: 'nsw.gov.au', effect: 'block', note: 'state staff join through their own rules' } });
  });
});

describe('agencies', () => {
  it('adds an agency and lists it with its jurisdiction, type, status and member count', async () => {
    const agency = await addAgency({ db }, { name: '  Bureau of  Meteorology ', jurisdiction: 'commonwealth', agency_type: 'statutory_body' }, operator);
    expect(agency.name).toBe('Bureau of Meteorology');
    await createMember(db, { agency });
    expect((await listAgencies(db)).find((a) => a.id === agency.id)).toEqual({ id: agency.id, name: 'Bureau of Meteorology', jurisdiction: 'commonwealth', agencyType: 'statutory_body', provisional: false, members: 1 });
    expect(await latestAudit('agency.added')).toMatchObject({
      actor_label: OPERATOR,
      target_type: 'agency',
      target_id: String(agency.id),
      details: { name: 'Bureau of Meteorology', jurisdiction: 'commonwealth', agencyType: 'statutory_body' },
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
    expect(await refusal(addAgency({ db }, { name: 'australian taxation office' }, operator))).toBe(M.agencyNameTaken('australian taxation office', existing.id));
    expect(await refusal(addAgency({ db }, { name: '   ' }, operator))).toBe(M.agencyNameRequired);
  });

  it('maps a provisional agency by renaming it, and says how to send later members there too', async () => {
    const provisional = await findOrCreateProvisionalAgency(db, 'pmc.gov.au');
    await addDomainRule({ db }, { domain: 'gov.au', effect: 'allow' }, operator);
    const renamed = await renameAgency({ db }, provisional, { name: 'Department of the Prime Minister and Cabinet', jurisdiction: 'commonwealth', agency_type: 'department' }, operator);
    expect(renamed).toMatchObject({ from: 'pmc.gov.au', to: 'Department of the Prime Minister and Cabinet', wasProvisional: true });
    expect(renamed.hint).toBe(M.unmappedDomain('pmc.gov.au', 'rule-add', provisional));
    expect((await listAgencies(db)).find((a) => a.id === provisional)).toMatchObject({ provisional: false, jurisdiction: 'commonwealth', agencyType: 'department' });
    expect(await latestAudit('agency.renamed')).toMatchObject({ actor_label: OPERATOR, target_id: String(provisional), details: { from: 'pmc.gov.au', wasProvisional: true, jurisdiction: 'commonwealth', agencyType: 'department' } });
  });

  it('refuses to rename an unknown agency or to a name another agency has, but lets one change its own case', async () => {
    const first = await addAgency({ db }, { name: 'Department of Health' }, operator);
    const second = await addAgency({ db }, { name: 'Department of Ageing' }, operator);
    expect(await refusal(renameAgency({ db }, 999_999, { name: 'Anything' }, operator))).toBe(M.unknownAgency('999999'));
    expect(await refusal(renameAgency({ db }, second.id, { name: 'DEPARTMENT OF HEALTH' }, operator))).toBe(M.agencyNameTaken('DEPARTMENT OF HEALTH', first.id));
    expect(await renameAgency({ db }, first.id, { name: 'Department of health' }, operator)).toMatchObject({ from: 'Department of Health', to: 'Department of health' });
  });

  it('merges FROM into TO: members and rules move, FROM is deleted, agency.merged is recorded', async () => {
    const from = await findOrCreateProvisionalAgency(db, 'ndis.gov.au');
    const into = await addAgency({ db }, { name: 'National Disability Insurance Agency' }, operator);
    const members = [await createMember(db, { agency: { id: from } }), await createMember(db, { agency: { id: from } })];
    await addDomainRule({ db }, { domain: 'ndis.gov.au', effect: 'allow', agency: String(from) }, operator);
    const merged = await mergeAgencies({ db }, from, into.id, operator);
    expect(merged).toMatchObject({ from: { id: from, name: 'ndis.gov.au', provisional: true }, into: { id: into.id }, membersMoved: 2, rulesMoved: 1 });
    expect(merged.hint).toBeUndefined();
    for (const member of members) expect((await memberRow(member.id)).agency_id).toBe(into.id);
    expect((await listDomainRuleDetails(db)).find((r) => r.domain === 'ndis.gov.au')?.agencyId).toBe(into.id);
    expect(await db.selectFrom('agencies').select('id').where('id', '=', from).executeTakeFirst()).toBeUndefined();
    expect(await latestAudit('agency.merged')).toMatchObject({ actor_label: OPERATOR, target_type: 'agency', target_id: String(into.id), details: { from: { id: from }, membersMoved: 2, rulesMoved: 1 } });
  });

  it('refuses to merge an agency into itself or to or from an unknown one, writing nothing', async () => {
    const agency = await addAgency({ db }, { name: 'Geoscience Australia' }, operator);
    const before = await auditCount();
    expect(await refusal(mergeAgencies({ db }, agency.id, agency.id, operator))).toBe(M.mergeIntoItself);
    expect(await refusal(mergeAgencies({ db }, agency.id, 999_999, operator))).toBe(M.unknownAgency('999999'));
    expect(await refusal(mergeAgencies({ db }, 999_998, agency.id, operator))).toBe(M.unknownAgency('999998'));
    expect(await auditCount()).toBe(before);
    expect((await listAgencies(db)).some((a) => a.id === agency.id)).toBe(true);
  });
});

