import { describe, expect, it } from 'vitest';
import { mergeAgencies } from '../../../src/features/admin/agencies.js';
import { appointCoordinator, removeCoordinator } from '../../../src/features/coordinators/appointments.js';
import { COORDINATOR_MESSAGES as M } from '../../../src/features/coordinators/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser } from '../../support/app.js';
import { latestAudit, useAdministratorSite } from '../../support/admin.js';
import { appointInDatabase, refusedWritingNothing } from '../../support/coordinators.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createAgency, createMember } from '../../support/members.js';
import { escapeLikeHandlebars } from '../../support/resources.js';

const site = useAdministratorSite();
const OPERATOR = { actorLabel: 'operator (npm run admin)' };

async function appoint(agencyId: number, email: unknown, browser = site.admin.browser) {
  const { _csrf } = await browser.openForm('/admin');
  return browser.post(`/admin/agencies/${agencyId}/coordinators`, { _csrf: _csrf!, ...(email === undefined ? {} : { email: email as string }) });
}

async function remove(agencyId: number, memberId: number | string, browser = site.admin.browser) {
  const { _csrf } = await browser.openForm('/admin');
  return browser.post(`/admin/agencies/${agencyId}/coordinators/${memberId}/remove`, { _csrf: _csrf! });
}

async function appointmentOf(memberId: number) {
  return site.t.db.selectFrom('agency_coordinators').select(['agency_id', 'appointed_by']).where('member_id', '=', memberId).executeTakeFirst();
}

describe('POST /admin/agencies/:id/coordinators', () => {
  it('appoints an active member of the agency, by their address in any form, audited; the agency page lists them', async () => {
    const agency = await createAgency(site.t.db);
    const member = await createMember(site.t.db, { agency, role: 'moderator' });
    const response = await appoint(agency.id, `  ${member.email.toUpperCase()} `);
    expect(response.statusCode, response.body).toBe(303);
    expect(response.headers.location).toBe(`/admin/agencies/${agency.id}#coordinators`);
    expect(await appointmentOf(member.id)).toEqual({ agency_id: agency.id, appointed_by: site.admin.member.id });
    const audit = await latestAudit(site.t.db, 'agency.coordinator_appointed');
    expect(audit).toMatchObject({ actor_member_id: site.admin.member.id, target_id: String(agency.id), subject_member_id: member.id, details: { before: { coordinator: false }, after: { coordinator: true } } });
    const page = await site.admin.browser.get(`/admin/agencies/${agency.id}`);
    expect(page.body).toContain(escapeLikeHandlebars(M.appointed(member.displayName, agency.name)));
    expect(page.body).toContain(member.canonicalEmail);
    expect(page.body).toContain(`/admin/agencies/${agency.id}/coordinators/${member.id}/remove`);
  });

  it('refuses someone outside the agency, a deactivated or waiting member, an unknown address and a bad one, writing nothing', async () => {
    const agency = await createAgency(site.t.db);
    const other = await createAgency(site.t.db);
    const outsider = await createMember(site.t.db, { agency: other });
    const deactivated = await createMember(site.t.db, { agency, deactivated: true });
    const waiting = await createMember(site.t.db, { agency });
    await site.t.db.updateTable('members').set({ awaiting_approval_since: new Date() }).where('id', '=', waiting.id).execute();
    await refusedWritingNothing(site.t.db, () => appoint(agency.id, outsider.email), 422, M.notInAgency(outsider.displayName, agency.name));
    await refusedWritingNothing(site.t.db, () => appoint(agency.id, deactivated.email), 422, M.notActive(deactivated.displayName));
    await refusedWritingNothing(site.t.db, () => appoint(agency.id, waiting.email), 422, M.notActive(waiting.displayName));
    await refusedWritingNothing(site.t.db, () => appoint(agency.id, 'nobody.here@finance.gov.au'), 422, M.unknownMember('nobody.here@finance.gov.au'));
    for (const bad of [undefined, '', 'not an address', '<script>alert(1)</script>@x.gov.au', "x'; drop table members;--@finance.gov.au", 'a\0b@finance.gov.au', `${'a'.repeat(300)}@finance.gov.au`]) {
      const response = await refusedWritingNothing(site.t.db, () => appoint(agency.id, bad), 422);
      expect(response.body).toContain('id="error-email"');
      expect(response.body).not.toContain('<script>alert(1)</script>');
    }
  });

  it('refuses an unknown agency (404), a second appointment (409) and a member who coordinates another agency (409)', async () => {
    const agency = await createAgency(site.t.db);
    const member = await createMember(site.t.db, { agency });
    await refusedWritingNothing(site.t.db, () => appoint(999_999_999, member.email), 404);
    await refusedWritingNothing(site.t.db, () => appoint(Number.MAX_SAFE_INTEGER + 1, member.email), 404);
    expect((await appoint(agency.id, member.email)).statusCode).toBe(303);
    await refusedWritingNothing(site.t.db, () => appoint(agency.id, member.email), 409, M.alreadyCoordinates(member.displayName, agency.name));
    // They move agency (an address change): they may not coordinate two at once.
    const next = await createAgency(site.t.db);
    await site.t.db.updateTable('members').set({ agency_id: next.id }).where('id', '=', member.id).execute();
    await refusedWritingNothing(site.t.db, () => appoint(next.id, member.email), 409, M.coordinatesAnother(member.displayName, agency.name));
  });

  it('is for administrators only: signed out, a member, a moderator and the agency’s own coordinator are refused, writing nothing', async () => {
    const agency = await createAgency(site.t.db);
    const member = await createMember(site.t.db, { agency });
    const visitor = new Browser(site.t.app);
    await visitor.get('/contact');
    await refusedWritingNothing(site.t.db, () => visitor.post(`/admin/agencies/${agency.id}/coordinators`, { email: member.email }), 403);
    for (const role of ['member', 'moderator', 'coordinator'] as const) {
      const someone = await memberWithBrowser(site.t.app, site.t.db, { role: role === 'coordinator' ? 'member' : role, agency, secondFactor: true });
      if (role === 'coordinator') await appointInDatabase(site.t.db, someone.member.id, agency.id);
      const { _csrf } = await someone.browser.openForm('/settings');
      await refusedWritingNothing(site.t.db, () => someone.browser.post(`/admin/agencies/${agency.id}/coordinators`, { _csrf: _csrf!, email: someone.member.email }), 403, PAGE_MESSAGES.administratorsOnly);
    }
  });
});

describe('POST /admin/agencies/:id/coordinators/:memberId/remove', () => {
  it('ends the appointment, audited; a second press is 409 and writes nothing; a made-up member id is 404', async () => {
    const agency = await createAgency(site.t.db);
    const member = await createMember(site.t.db, { agency });
    expect((await appoint(agency.id, member.email)).statusCode).toBe(303);
    const removed = await remove(agency.id, member.id);
    expect(removed.statusCode).toBe(303);
    expect(await appointmentOf(member.id)).toBeUndefined();
    expect(await latestAudit(site.t.db, 'agency.coordinator_removed')).toMatchObject({ actor_member_id: site.admin.member.id, subject_member_id: member.id, details: { before: { coordinator: true }, after: { coordinator: false } } });
    await refusedWritingNothing(site.t.db, () => remove(agency.id, member.id), 409, M.notCoordinator(agency.name));
    await refusedWritingNothing(site.t.db, () => remove(agency.id, 'x1'), 404);
    await refusedWritingNothing(site.t.db, () => remove(999_999_999, member.id), 404);
  });
});

describe('merging agencies', () => {
  it('moves the merged agency’s coordinators with its members, so they coordinate the agency they are now in', async () => {
    const from = await createAgency(site.t.db);
    const into = await createAgency(site.t.db);
    const member = await createMember(site.t.db, { agency: from });
    await appointCoordinator({ db: site.t.db }, from.id, member.id, OPERATOR);
    await mergeAgencies({ db: site.t.db }, from.id, into.id, OPERATOR);
    expect((await appointmentOf(member.id))?.agency_id).toBe(into.id);
  });
});

describe('the services npm run admin calls', () => {
  it('appoint and remove with the operator label, refusing what the page refuses', async () => {
    const agency = await createAgency(site.t.db);
    const member = await createMember(site.t.db, { agency });
    const appointed = await appointCoordinator({ db: site.t.db }, agency.id, member.id, OPERATOR);
    expect(appointed).toEqual({ memberId: member.id, displayName: member.displayName, agencyId: agency.id, agencyName: agency.name });
    expect(await appointmentOf(member.id)).toEqual({ agency_id: agency.id, appointed_by: null });
    expect(await latestAudit(site.t.db, 'agency.coordinator_appointed')).toMatchObject({ actor_member_id: null, actor_label: OPERATOR.actorLabel, subject_member_id: member.id });
    await expect(appointCoordinator({ db: site.t.db }, agency.id, member.id, OPERATOR)).rejects.toMatchObject({ statusCode: 409, message: M.alreadyCoordinates(member.displayName, agency.name) });
    await expect(appointCoordinator({ db: site.t.db }, agency.id, 999_999_999, OPERATOR)).rejects.toMatchObject({ statusCode: 404 });
    await removeCoordinator({ db: site.t.db }, agency.id, member.id, OPERATOR);
    await expect(removeCoordinator({ db: site.t.db }, agency.id, member.id, OPERATOR)).rejects.toMatchObject({ statusCode: 409 });
  });
});
