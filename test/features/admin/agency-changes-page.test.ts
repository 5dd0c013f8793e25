import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES as M } from '../../../src/features/admin/messages.js';
import { findOrCreateProvisionalAgency } from '../../../src/features/auth/queries.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { latestAudit, refusedWritingNothing, useAdministratorSite } from '../../support/admin.js';
import { Browser } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createAgency, createMember } from '../../support/members.js';
import { escapeLikeHandlebars } from '../../support/resources.js';

const site = useAdministratorSite();

function uniqueName(base: string): string {
  return `${base} ${randomBytes(3).toString('hex')}`;
}

function addAgency(fields: Record<string, string>, browser = site.admin.browser, token = site.csrf) {
  return browser.post('/admin/agencies', { _csrf: token, jurisdiction: '', agency_type: '', ...fields });
}

async function agencyNamed(name: string) {
  return site.t.db.selectFrom('agencies').select(['id', 'name', 'jurisdiction', 'agency_type', 'provisional_at']).where('name', '=', name).executeTakeFirst();
}

async function followed(response: { headers: Record<string, unknown> }) {
  return site.admin.browser.get(String(response.headers.location));
}

describe('POST /admin/agencies', () => {
  it('adds an agency with its jurisdiction and type, records it against the administrator, and opens its page', async () => {
    const name = uniqueName('Office of the Added');
    const response = await addAgency({ name: `  ${name.replace(' ', '  ')} `, jurisdiction: 'state', agency_type: 'regulator' });
    expect(response.statusCode).toBe(303);
    const agency = (await agencyNamed(name))!;
    expect(agency).toMatchObject({ jurisdiction: 'state', agency_type: 'regulator', provisional_at: null });
    expect(response.headers.location).toBe(`/admin/agencies/${agency.id}`);
    expect(await latestAudit(site.t.db, 'agency.added')).toMatchObject({ actor_member_id: site.admin.member.id, ip_address: '127.0.0.1', target_id: String(agency.id), details: { before: null, after: { name, jurisdiction: 'state', agencyType: 'regulator' } } });
    const page = await followed(response);
    expect(page.body).toContain(M.agencyAdded(name));
    expect(page.body).toContain('<h2 id="merge">Merge into another agency</h2>');
  });

  it('keeps a hostile name as text: stored as typed, shown escaped', async () => {
    const name = uniqueName('<script>alert(1)</script>');
    const response = await addAgency({ name });
    expect(response.statusCode).toBe(303);
    const page = await site.admin.browser.get('/admin/agencies?page=1');
    expect(page.body).not.toContain('<script>alert(1)');
    expect((await followed(response)).body).toContain(escapeLikeHandlebars(name));
  });

  it.each([
    ['no name', { name: '' }, 'name', M.agencyNameRequired],
    ['a name of 201 characters', { name: 'A'.repeat(201) }, 'name', 'Name must be at most 200 characters (it is 201)'],
    ['a name on two lines', { name: 'Two\r\nLines' }, 'name', 'Name must be on one line'],
    ['a name with a right-to-left override', { name: 'Agency \u202Eevil' }, 'name', M.agencyNameControls],
    ['a name with a NUL', { name: 'Agency\u0000' }, 'name', 'Name must not contain NUL characters'],
    ['an unknown jurisdiction', { name: uniqueName('Agency'), jurisdiction: 'federal' }, 'jurisdiction', M.unknownJurisdiction],
    ['a field the form does not have', { name: uniqueName('Agency'), parent_agency_id: '1' }, '_form', PAGE_MESSAGES.unexpectedField],
  ])('refuses %s with 422 on the page, writing nothing', async (_label, fields, field, message) => {
    const response = await refusedWritingNothing(site.t.db, () => addAgency(fields), 422, message);
    if (field !== '_form') expect(response.body).toContain(`id="error-${field}"`);
  });

  it('refuses a form missing a list, a name taken in any case, and a second press, writing nothing', async () => {
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/agencies', { _csrf: site.csrf, name: uniqueName('Agency'), agency_type: '' }), 422, M.jurisdictionMissing);
    const name = uniqueName('Twice Added Agency');
    expect((await addAgency({ name })).statusCode).toBe(303);
    await refusedWritingNothing(site.t.db, () => addAgency({ name: name.toUpperCase() }), 422, M.agencyNameTaken(name.toUpperCase()));
    const other = uniqueName('Raced Agency');
    const [first, second] = await Promise.all([addAgency({ name: other }), addAgency({ name: other })]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([303, 422]);
  });

  it('refuses a form without its token, a member, a moderator and a signed-out visitor, writing nothing', async () => {
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/agencies', { name: uniqueName('Agency'), jurisdiction: '', agency_type: '' }), 403);
    for (const role of ['member', 'moderator'] as const) {
      const { browser } = await memberWithBrowser(site.t.app, site.t.db, { role });
      const token = (await browser.openForm('/settings'))._csrf!;
      await refusedWritingNothing(site.t.db, () => addAgency({ name: uniqueName('Agency') }, browser, token), 403, PAGE_MESSAGES.administratorsOnly);
    }
    const visitor = new Browser(site.t.app);
    await visitor.get('/contact');
    await refusedWritingNothing(site.t.db, () => addAgency({ name: uniqueName('Agency') }, visitor, ''), 403);
  });
});

describe('POST /admin/agencies/:id/name', () => {
  it('maps a provisional agency by renaming it, with before and after, and says how to send later members there', async () => {
    const domain = `renamed-${randomBytes(3).toString('hex')}.gov.au`;
    const id = await findOrCreateProvisionalAgency(site.t.db, domain);
    const name = uniqueName('Department of Renaming');
    const response = await site.admin.browser.post(`/admin/agencies/${id}/name`, { _csrf: site.csrf, name });
    expect(response.statusCode).toBe(303);
    expect(await agencyNamed(name)).toMatchObject({ id, provisional_at: null });
    expect(await latestAudit(site.t.db, 'agency.renamed')).toMatchObject({ actor_member_id: site.admin.member.id, target_id: String(id), details: { before: { name: domain, provisional: true }, after: { name, provisional: false } } });
    const page = await followed(response);
    expect(page.body).toContain(M.agencyRenamed(domain, name));
    expect(page.body).toContain(M.unmappedDomain(domain));
  });

  it('writes nothing for the same name again, and refuses a taken, empty or unknown one', async () => {
    const agency = await createAgency(site.t.db, { name: uniqueName('Steady Agency') });
    const taken = await createAgency(site.t.db, { name: uniqueName('Taken Agency') });
    const url = `/admin/agencies/${agency.id}/name`;
    const same = await refusedWritingNothing(site.t.db, () => site.admin.browser.post(url, { _csrf: site.csrf, name: agency.name }), 303);
    expect((await followed(same)).body).toContain(M.agencyNameUnchanged(agency.name));
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(url, { _csrf: site.csrf, name: taken.name.toLowerCase() }), 422, M.agencyNameTaken(taken.name.toLowerCase()));
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(url, { _csrf: site.csrf, name: ' ' }), 422, M.agencyNameRequired);
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(url, { name: 'No token' }), 403);
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post('/admin/agencies/999999999/name', { _csrf: site.csrf, name: 'Anything' }), 404);
  });
});

describe('POST /admin/agencies/:id/merge', () => {
  it('moves the members and rules, deletes the agency, records both names, and opens the agency merged into', async () => {
    const from = await createAgency(site.t.db, { name: uniqueName('Merged Away') });
    const into = await createAgency(site.t.db, { name: uniqueName('Merged Into') });
    const members = [await createMember(site.t.db, { agency: from }), await createMember(site.t.db, { agency: from })];
    const domain = `merge-${randomBytes(3).toString('hex')}.gov.au`;
    await site.t.db.insertInto('domain_rules').values({ domain, effect: 'allow', agency_id: from.id, admits_own_domain: true }).execute();
    const form = await site.admin.browser.get(`/admin/agencies/${from.id}`);
    expect(form.body).toContain(`<option value="${into.id}">${escapeLikeHandlebars(into.name)}</option>`);
    expect(form.body).not.toContain(`<option value="${from.id}">`);

    const response = await site.admin.browser.post(`/admin/agencies/${from.id}/merge`, { _csrf: site.csrf, into_id: String(into.id) });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/admin/agencies/${into.id}`);
    const moved = await site.t.db.selectFrom('members').select('agency_id').where('id', 'in', members.map((m) => m.id)).execute();
    expect(moved.map((row) => row.agency_id)).toEqual([into.id, into.id]);
    expect((await site.t.db.selectFrom('domain_rules').select('agency_id').where('domain', '=', domain).executeTakeFirstOrThrow()).agency_id).toBe(into.id);
    expect(await agencyNamed(from.name)).toBeUndefined();
    expect(await latestAudit(site.t.db, 'agency.merged')).toMatchObject({ actor_member_id: site.admin.member.id, target_id: String(into.id), details: { from: { id: from.id, name: from.name }, into: { id: into.id }, membersMoved: 2, rulesMoved: 1 } });
    expect((await followed(response)).body).toContain(escapeLikeHandlebars(M.agencyMerged(from.name, into.name, 2, 1)));

    // Pressed again: the agency is gone, and nothing more is written.
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(`/admin/agencies/${from.id}/merge`, { _csrf: site.csrf, into_id: String(into.id) }), 404);
  });

  it.each([
    ['itself', 'self', M.mergeIntoItself],
    ['an agency that does not exist', '999999999', M.agencyGone(999_999_999)],
    ['an id that is not one', 'Finance', M.mergeTargetMissing],
    ['nothing chosen', '', M.mergeTargetMissing],
  ])('refuses a merge into %s with 422 beside the list, writing nothing', async (_label, into, message) => {
    const agency = await createAgency(site.t.db, { name: uniqueName('Unmerged') });
    await createMember(site.t.db, { agency });
    const response = await refusedWritingNothing(site.t.db, () => site.admin.browser.post(`/admin/agencies/${agency.id}/merge`, { _csrf: site.csrf, into_id: into === 'self' ? String(agency.id) : into }), 422, message);
    expect(response.body).toContain('id="error-into_id"');
  });
});

describe('POST /admin/agencies/:id/parent', () => {
  const parentOf = async (id: number) => (await site.t.db.selectFrom('agencies').select('parent_agency_id').where('id', '=', id).executeTakeFirstOrThrow()).parent_agency_id;
  const setParent = (id: number, parentId: string) => site.admin.browser.post(`/admin/agencies/${id}/parent`, { _csrf: site.csrf, parent_id: parentId });

  it('puts an agency under another, shows it, records before and after, and takes it out again', async () => {
    const department = await createAgency(site.t.db, { name: uniqueName('Department of Parents') });
    const division = await createAgency(site.t.db, { name: uniqueName('Division of Children') });
    const response = await setParent(division.id, String(department.id));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/admin/agencies/${division.id}`);
    expect(await parentOf(division.id)).toBe(department.id);
    const page = await followed(response);
    expect(page.body).toContain(escapeLikeHandlebars(M.parentSet(division.name, department.name)));
    expect(page.body).toContain(`<option value="${department.id}" selected>`);
    expect(await latestAudit(site.t.db, 'agency.parent_set')).toMatchObject({ actor_member_id: site.admin.member.id, target_id: String(division.id), details: { before: { parent: null }, after: { parent: { id: department.id, name: department.name } } } });

    // The same again writes nothing.
    await refusedWritingNothing(site.t.db, () => setParent(division.id, String(department.id)), 303);
    const out = await setParent(division.id, '');
    expect(out.statusCode).toBe(303);
    expect(await parentOf(division.id)).toBeNull();
    expect(await latestAudit(site.t.db, 'agency.parent_set')).toMatchObject({ details: { before: { parent: { id: department.id, name: department.name } }, after: { parent: null } } });
  });

  it.each([
    ['itself', 'self', M.parentItself],
    ['its own sub-agency, two levels down', 'grandchild', 'cycle'],
    ['an agency that does not exist', '999999999', M.parentGone],
    ['an id that is not one', '1 OR 1=1', M.parentUnknown],
    ['a hostile value', '<script>alert(1)</script>', M.parentUnknown],
  ])('refuses %s with 422 beside the list, writing nothing', async (_label, parent, message) => {
    const top = await createAgency(site.t.db, { name: uniqueName('Top <b>Agency</b>') });
    const child = await createAgency(site.t.db, { name: uniqueName('Child Agency') });
    const grandchild = await createAgency(site.t.db, { name: uniqueName('Grandchild Agency') });
    await site.t.db.updateTable('agencies').set({ parent_agency_id: top.id }).where('id', '=', child.id).execute();
    await site.t.db.updateTable('agencies').set({ parent_agency_id: child.id }).where('id', '=', grandchild.id).execute();
    const value = parent === 'self' ? String(top.id) : parent === 'grandchild' ? String(grandchild.id) : parent;
    const response = await refusedWritingNothing(site.t.db, () => setParent(top.id, value), 422, message === 'cycle' ? M.parentCycle(grandchild.name, top.name) : message);
    expect(response.body).toContain('id="error-parent_id"');
  });

  it('answers a missing field with 422 and an unknown agency with 404, writing nothing', async () => {
    const agency = await createAgency(site.t.db, { name: uniqueName('Parentless') });
    await refusedWritingNothing(site.t.db, () => site.admin.browser.post(`/admin/agencies/${agency.id}/parent`, { _csrf: site.csrf }), 422, M.parentUnknown);
    await refusedWritingNothing(site.t.db, () => setParent(999_999_998, String(agency.id)), 404);
  });

  it('keeps the tree free of loops when an agency is merged into its own sub-agency', async () => {
    const above = await createAgency(site.t.db, { name: uniqueName('Portfolio') });
    const from = await createAgency(site.t.db, { name: uniqueName('Old Department') });
    const between = await createAgency(site.t.db, { name: uniqueName('Old Division') });
    const into = await createAgency(site.t.db, { name: uniqueName('Old Branch') });
    await site.t.db.updateTable('agencies').set({ parent_agency_id: above.id }).where('id', '=', from.id).execute();
    await site.t.db.updateTable('agencies').set({ parent_agency_id: from.id }).where('id', '=', between.id).execute();
    await site.t.db.updateTable('agencies').set({ parent_agency_id: between.id }).where('id', '=', into.id).execute();
    const response = await site.admin.browser.post(`/admin/agencies/${from.id}/merge`, { _csrf: site.csrf, into_id: String(into.id) });
    expect(response.statusCode).toBe(303);
    // INTO takes FROM's place under the portfolio; FROM's division moves under INTO.
    expect(await parentOf(into.id)).toBe(above.id);
    expect(await parentOf(between.id)).toBe(into.id);
  });
});
