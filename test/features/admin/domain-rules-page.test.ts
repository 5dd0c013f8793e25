import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { latestAudit, refusedWritingNothing, useAdministratorSite } from '../../support/admin.js';
import { Browser } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createAgency, createMember, isSignedIn } from '../../support/members.js';

const site = useAdministratorSite();

/** A domain no other test uses, so each test's members and rules are its own. */
function freshDomain(): string {
  return `rules-${randomBytes(4).toString('hex')}.example`;
}

function addRule(fields: Record<string, string | string[]>, browser = site.admin.browser, token = site.csrf) {
  return browser.post('/admin/domain-rules', { _csrf: token, effect: 'allow', agency_id: '', note: '', ...fields });
}

async function ruleOf(domain: string, effect = 'allow') {
  return site.t.db.selectFrom('domain_rules').select(['id', 'domain', 'effect', 'agency_id', 'note', 'admits_own_domain']).where('domain', '=', domain).where('effect', '=', effect).executeTakeFirst();
}

/** The row of the rules table that links to the rule. */
function rowOf(page: string, id: number): string {
  const row = new RegExp(`<tr>(?:(?!</tr>)[\\s\\S])*href="/admin/domain-rules/${id}"[\\s\\S]*?</tr>`).exec(page)?.[0];
  if (!row) throw new Error(`no row for rule ${id}`);
  return row;
}

async function followed(response: { headers: Record<string, unknown> }) {
  return site.admin.browser.get(String(response.headers.location));
}

describe('GET /admin/domain-rules', () => {
  it('lists each rule with its effect, what it covers, its agency, its note and the active members it decides for', async () => {
    const domain = freshDomain();
    const agency = await createAgency(site.t.db, { name: `Agency for ${domain}` });
    expect((await addRule({ domain: `*.${domain}`, agency_id: String(agency.id), note: '<script>alert(1)</script>' })).statusCode).toBe(303);
    await createMember(site.t.db, { email: `a@team.${domain}` });
    await createMember(site.t.db, { email: `b@team.${domain}` });
    await createMember(site.t.db, { email: `c@team.${domain}`, deactivated: true });
    const rule = (await ruleOf(domain))!;
    const page = await site.admin.browser.get('/admin/domain-rules');
    expect(page.statusCode).toBe(200);
    const row = rowOf(page.body, rule.id);
    expect(row).toContain(`<td data-label="Covers">Only addresses under ${domain}</td>`);
    expect(row).toContain(`<td data-label="Agency"><bdi>Agency for ${domain}</bdi></td>`);
    expect(row).toContain('<td data-label="Members">2</td>');
    expect(row).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('<label for="field-domain">Domain</label>');
  });

  it('is linked from the administration home page', async () => {
    const home = await site.admin.browser.get('/admin');
    expect(home.body).toContain('href="/admin/domain-rules"');
    expect(home.body).toContain('href="/admin/agencies"');
  });
});

describe('POST /admin/domain-rules', () => {
  it('adds a rule with its agency and note, records it against the administrator, and says so', async () => {
    const domain = freshDomain();
    const agency = await createAgency(site.t.db, { name: `Added for ${domain}` });
    const response = await addRule({ domain: ` ${domain.toUpperCase()} `, agency_id: String(agency.id), note: 'Checked with their IT team' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin/domain-rules');
    const rule = await ruleOf(domain);
    expect(rule).toMatchObject({ agency_id: agency.id, note: 'Checked with their IT team', admits_own_domain: true });
    expect(await latestAudit(site.t.db, 'domain_rule.added')).toMatchObject({
      actor_member_id: site.admin.member.id,
      ip_address: '127.0.0.1',
      target_id: String(rule!.id),
      details: { before: null, after: { domain, effect: 'allow', agencyId: agency.id } },
    });
    expect((await followed(response)).body).toContain(M.ruleAdded('allow', domain));
  });

  it.each([
    ['a lone *', '*', AUTH_MESSAGES.domainCharacter],
    ['a top-level domain alone', 'au', AUTH_MESSAGES.domainSingleLabel],
    ['a leading dot', '.gov.au', AUTH_MESSAGES.domainEmptyLabel],
    ['two dots in a row', 'gov..au', AUTH_MESSAGES.domainEmptyLabel],
    ['an IP address', '10.0.0.1', AUTH_MESSAGES.domainNumericEnd],
    ['an IP literal', '[10.0.0.1]', AUTH_MESSAGES.domainIpLiteral],
    ['300 characters', `${'a'.repeat(60)}.`.repeat(4) + 'a'.repeat(51) + '.gov.au', AUTH_MESSAGES.domainTooLong],
    ['non-ASCII letters', 'finançe.gov.au', AUTH_MESSAGES.domainNotAscii],
    ['a Cyrillic look-alike', 'fіnance.gov.au', AUTH_MESSAGES.domainNotAscii],
    ['a script tag', '<script>alert(1)</script>.gov.au', AUTH_MESSAGES.domainCharacter],
    ['nothing', '', AUTH_MESSAGES.domainEmpty],
  ])('refuses %s with 422 and the reason beside the field, writing nothing', async (_name, domain, message) => {
    const response = await refusedWritingNothing(site.t.db, () => addRule({ domain }), 422, message);
    expect(response.body).toContain('id="error-domain"');
    expect(response.body).not.toContain('<script>alert(1)');
  });

  it('accepts an internationalised domain in its xn-- form, as the address parser does, and a form without a note as no note', async () => {
    const domain = `xn--fnance-${randomBytes(3).toString('hex')}.gov.au`;
    expect((await site.admin.browser.post('/admin/domain-rules', { _csrf: site.csrf, domain, effect: 'allow', agency_id: '' })).statusCode).toBe(303);
    expect(await ruleOf(domain)).toMatchObject({ note: null });
  });

  it.each([
    ['no domain field', { domain: undefined }, M.ruleDomainRequired],
    ['no effect', { effect: undefined }, M.ruleEffectMissing],
    ['an effect that is neither', { effect: 'maybe' }, M.ruleEffectMissing],
    ['a note over 500 characters', { note: 'n'.repeat(501) }, M.noteTooLong(500)],
    ['a note on two lines', { note: 'one\r\ntwo' }, M.noteControls],
    ['an agency id that is not one', { agency_id: 'Finance' }, M.unknownAgencyChoice],
    ['an agency that does not exist', { agency_id: '999999999' }, M.agencyGone(999_999_999)],
    ['two domains', { domain: ['a.example', 'b.example'] }, M.ruleDomainRequired],
    ['a field the form does not have', { role: 'administrator' }, PAGE_MESSAGES.unexpectedField],
  ])('refuses %s with 422, writing nothing', async (_name, fields, message) => {
    const sent: Record<string, string | string[]> = { _csrf: site.csrf, domain: freshDomain(), effect: 'allow', agency_id: '', note: '' };
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) delete sent[key];
      else sent[key] = value;
    }
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/domain-rules', sent), 422, message);
  });

  it('adds a rule sent twice once, saying the second time that it exists', async () => {
    const domain = freshDomain();
    expect((await addRule({ domain })).statusCode).toBe(303);
    await refusedWritingNothing(site.t.db, () => addRule({ domain }), 422, M.duplicateRule(domain, 'allow'));
    const [first, second] = await Promise.all([addRule({ domain, effect: 'block' }), addRule({ domain, effect: 'block' })]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([303, 422]);
    expect(await site.t.db.selectFrom('domain_rules').select('id').where('domain', '=', domain).execute()).toHaveLength(2);
  });

  it('refuses a form without its token, a member, a moderator and a signed-out visitor, writing nothing', async () => {
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/domain-rules', { domain: freshDomain(), effect: 'allow' }), 403);
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(site.t.app, site.t.db, { role });
      const token = (await browser.openForm('/settings'))._csrf!;
      await refusedWritingNothing(site.t.db, () => addRule({ domain: freshDomain() }, browser, token), 403, PAGE_MESSAGES.administratorsOnly);
    }
    const visitor = new Browser(site.t.app);
    await visitor.get('/contact');
    await refusedWritingNothing(site.t.db, () => addRule({ domain: freshDomain() }, visitor, ''), 403);
    expect((await visitor.get('/admin/domain-rules')).headers.location).toBe('/login?next=%2Fadmin%2Fdomain-rules');
  });
});

describe('GET and POST /admin/domain-rules/:id', () => {
  it('changes the agency, the note and who may join, with before and after; the same form again writes nothing', async () => {
    const domain = freshDomain();
    await addRule({ domain, note: 'first' });
    const rule = (await ruleOf(domain))!;
    const agency = await createAgency(site.t.db, { name: `Edited for ${domain}` });
    const form = await site.admin.browser.get(`/admin/domain-rules/${rule.id}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<legend>Who may join</legend>');
    const fields = { _csrf: site.csrf, agency_id: String(agency.id), note: 'second', own_domain: 'no' };
    const saved = await site.admin.browser.post(`/admin/domain-rules/${rule.id}`, fields);
    expect(saved.statusCode).toBe(303);
    expect(await ruleOf(domain)).toMatchObject({ agency_id: agency.id, note: 'second', admits_own_domain: false });
    expect(await latestAudit(site.t.db, 'domain_rule.changed')).toMatchObject({
      actor_member_id: site.admin.member.id,
      details: { before: { agencyId: null, note: 'first', admitsOwnDomain: true }, after: { agencyId: agency.id, note: 'second', admitsOwnDomain: false } },
    });
    const again = await refusedWritingNothing(site.t.db, () => site.admin.browser.post(`/admin/domain-rules/${rule.id}`, fields), 303);
    expect((await followed(again)).body).toContain(M.ruleUnchanged(domain));
  });

  it('refuses bad values on the edit form with 422 beside the field, and a rule that does not exist with 404, writing nothing', async () => {
    const domain = freshDomain();
    await addRule({ domain });
    const rule = (await ruleOf(domain))!;
    const url = `/admin/domain-rules/${rule.id}`;
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(url, { _csrf: site.csrf, agency_id: '', note: '', own_domain: 'maybe' }), 422, M.ownDomainMissing);
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(url, { _csrf: site.csrf, agency_id: '', note: 'x'.repeat(501), own_domain: 'yes' }), 422, M.noteTooLong(500));
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(url, { _csrf: site.csrf, agency_id: '999999999', note: '', own_domain: 'yes' }), 422, M.agencyGone(999_999_999));
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(url, { agency_id: '', note: '', own_domain: 'yes' }), 403);
    for (const bad of ['999999999', 'abc', '99999999999999999999']) {
      expect((await site.admin.browser.get(`/admin/domain-rules/${bad}`)).statusCode, bad).toBe(404);
      await refusedWritingNothing(site.t.db, () => site.admin.browser.post(`/admin/domain-rules/${bad}/remove`, { _csrf: site.csrf }), 404);
    }
  });
});

describe('blocking and removing a rule, and reviewing the members it admitted', () => {
  it('turns an allow rule into a block, lists the members it admitted, and deactivates them in one action', async () => {
    const domain = freshDomain();
    await addRule({ domain });
    const rule = (await ruleOf(domain))!;
    const admitted = [await createMember(site.t.db, { email: `a@${domain}` }), await createMember(site.t.db, { email: `b@team.${domain}` })];
    const alreadyGone = await createMember(site.t.db, { email: `c@${domain}`, deactivated: true });
    const elsewhere = await createMember(site.t.db);
    const signedIn = await memberWithBrowser(site.t.app, site.t.db, { email: `d@${domain}` });
    admitted.push(signedIn.member);

    const blocked = await site.admin.browser.post(`/admin/domain-rules/${rule.id}/block`, { _csrf: site.csrf });
    expect(blocked.statusCode).toBe(303);
    expect(blocked.headers.location).toBe('/admin/domain-rules/review');
    expect(await ruleOf(domain, 'block')).toMatchObject({ id: rule.id });
    expect(await latestAudit(site.t.db, 'domain_rule.blocked')).toMatchObject({ actor_member_id: site.admin.member.id, target_id: String(rule.id), details: { before: { effect: 'allow' }, after: { effect: 'block' } } });
    const review = await followed(blocked);
    expect(review.body).toContain(M.ruleBlocked(domain));
    for (const member of admitted) expect(review.body).toContain(`<td data-label="Address">${member.canonicalEmail}</td>`);
    for (const member of [alreadyGone, elsewhere]) expect(review.body).not.toContain(member.canonicalEmail);

    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(`/admin/domain-rules/${rule.id}/block`, { _csrf: site.csrf }), 409, M.alreadyBlocks(domain));

    const ids = admitted.map((member) => String(member.id));
    const done = await site.admin.browser.post('/admin/domain-rules/review', { _csrf: site.csrf, member: [...ids, String(elsewhere.id)] });
    expect(done.statusCode).toBe(303);
    expect((await followed(done)).body).toContain(M.membersDeactivated(admitted.length));
    const rows = await site.t.db.selectFrom('members').select(['id', 'deactivated_at']).where('id', 'in', [...admitted, elsewhere].map((m) => m.id)).execute();
    for (const row of rows) expect(row.deactivated_at === null, String(row.id)).toBe(row.id === elsewhere.id);
    expect(await isSignedIn(signedIn.browser)).toBe(false);
    expect(await latestAudit(site.t.db, 'member.deactivated')).toMatchObject({ actor_member_id: site.admin.member.id, details: { reason: 'domain_not_admitted', before: { deactivated: false }, after: { deactivated: true } } });

    const again = await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/domain-rules/review', { _csrf: site.csrf, member: ids }), 303);
    expect((await followed(again)).body).toContain(M.noMembersDeactivated);
  });

  it('removes a rule, sends the administrator to review the members it admitted, and says a second press found nothing', async () => {
    const domain = freshDomain();
    await addRule({ domain, effect: 'allow' });
    const rule = (await ruleOf(domain))!;
    const member = await createMember(site.t.db, { email: `a@${domain}` });
    const removed = await site.admin.browser.post(`/admin/domain-rules/${rule.id}/remove`, { _csrf: site.csrf });
    expect(removed.statusCode).toBe(303);
    expect(removed.headers.location).toBe('/admin/domain-rules/review');
    expect(await ruleOf(domain)).toBeUndefined();
    expect(await latestAudit(site.t.db, 'domain_rule.removed')).toMatchObject({ target_id: String(rule.id), details: { before: { domain, effect: 'allow' }, after: null } });
    expect((await followed(removed)).body).toContain(member.canonicalEmail);
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(`/admin/domain-rules/${rule.id}/remove`, { _csrf: site.csrf }), 404, M.ruleGone);
  });

  it('leaves a member a rule admits again, and refuses a review form with no members or made-up ones, writing nothing', async () => {
    const domain = freshDomain();
    await addRule({ domain });
    const rule = (await ruleOf(domain))!;
    const member = await createMember(site.t.db, { email: `a@${domain}` });
    await site.admin.browser.post(`/admin/domain-rules/${rule.id}/remove`, { _csrf: site.csrf });
    // Another administrator allows the domain again before the review form is sent.
    await addRule({ domain });
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/domain-rules/review', { _csrf: site.csrf, member: String(member.id) }), 303);
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/domain-rules/review', { _csrf: site.csrf }), 422, M.noMembersChosen);
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/domain-rules/review', { _csrf: site.csrf, member: ['1', 'abc'] }), 422, M.noMembersChosen);
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/domain-rules/review', { member: String(member.id) }), 403);
  });

  it('never lists or deactivates the administrator reviewing, though the rules no longer admit them', async () => {
    const domain = freshDomain();
    await addRule({ domain });
    const rule = (await ruleOf(domain))!;
    const reviewer = await memberWithBrowser(site.t.app, site.t.db, { role: 'administrator', email: `reviewer@${domain}` });
    const token = (await reviewer.browser.openForm('/admin'))._csrf!;
    expect((await reviewer.browser.post(`/admin/domain-rules/${rule.id}/remove`, { _csrf: token })).statusCode).toBe(303);
    const review = await reviewer.browser.get('/admin/domain-rules/review');
    expect(review.statusCode).toBe(200);
    expect(review.body).not.toContain(reviewer.member.canonicalEmail);
    await refusedWritingNothing(site.t.db, () => reviewer.browser.post('/admin/domain-rules/review', { _csrf: token, member: String(reviewer.member.id) }), 303);
    expect(await isSignedIn(reviewer.browser)).toBe(true);
    expect((await site.admin.browser.get('/admin/domain-rules/review')).body).toContain(reviewer.member.canonicalEmail);
  });
});
