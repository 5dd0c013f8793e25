import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES, AUDIT_ACTION_NAMES } from '../../../src/features/admin/messages.js';
import { COORDINATOR_MESSAGES as M } from '../../../src/features/coordinators/messages.js';
import { ELIGIBILITY_MESSAGES } from '../../../src/features/eligibility/messages.js';
import { MEMBERS_PER_PAGE } from '../../../src/features/coordinators/schemas.js';
import { APPROVAL_MESSAGES } from '../../../src/features/moderation/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { latestAudit } from '../../support/admin.js';
import { appointInDatabase, refusedWritingNothing } from '../../support/coordinators.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createAgency, createMember, signIn, type TestAgency } from '../../support/members.js';
import { escapeLikeHandlebars as escape } from '../../support/resources.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { MEMBER_APPROVAL_REQUIRED: 'true' } });
});
afterAll(async () => t.close());

const DAY = 86_400_000;

/** An agency with a coordinator signed in (with a second factor), appointed `appointedDaysAgo` days ago. */
async function coordinatedAgency(appointedDaysAgo = 0) {
  const agency = await createAgency(t.db);
  const { member, browser } = await memberWithBrowser(t.app, t.db, { agency, secondFactor: true });
  await appointInDatabase(t.db, member.id, agency.id, new Date(Date.now() - appointedDaysAgo * DAY));
  return { agency, coordinator: member, browser };
}

async function waitingMember(agency: TestAgency) {
  const member = await createMember(t.db, { agency });
  await t.db.updateTable('members').set({ awaiting_approval_since: new Date() }).where('id', '=', member.id).execute();
  return member;
}

async function post(browser: Browser, url: string, fields: Record<string, string>) {
  const { _csrf } = await browser.openForm('/coordinator');
  return browser.post(url, { _csrf: _csrf!, ...fields });
}

describe('GET /coordinator', () => {
  it('lists the agency’s current members with address, job title, joined, last sign-in and status, and nobody else’s', async () => {
    const { agency, coordinator, browser } = await coordinatedAgency();
    const colleague = await createMember(t.db, { agency });
    await t.db.updateTable('members').set({ job_title: 'Records <b>manager</b>' }).where('id', '=', colleague.id).execute();
    const left = await createMember(t.db, { agency, deactivated: true });
    const waiting = await waitingMember(agency);
    const elsewhere = await createMember(t.db, { agency: await createAgency(t.db) });
    const page = await browser.get('/coordinator');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(escape(agency.name));
    for (const listed of [coordinator, colleague]) expect(page.body).toContain(listed.canonicalEmail);
    expect(page.body).toContain('Records &lt;b&gt;manager&lt;/b&gt;');
    for (const unlisted of [left, waiting, elsewhere]) expect(page.body).not.toContain(unlisted.canonicalEmail);
    expect(page.body).toContain('I confirm this list of 2 members is right as of');
    expect(page.body).toContain('name="member_count" value="2"');
    expect(page.body).toContain('href="/coordinator/sign-ups">1 sign-up from your agency');
    expect(page.body).toContain('<a href="/coordinator" aria-current="page">My agency</a>');
    const plain = await memberWithBrowser(t.app, t.db, { agency });
    const settings = await plain.browser.get('/settings');
    expect(settings.statusCode).toBe(200);
    expect(settings.body).not.toContain('href="/coordinator"');
  });

  it('pages the list by name, and a page past the end is 404', async () => {
    const { agency, browser } = await coordinatedAgency();
    for (let i = 0; i < MEMBERS_PER_PAGE; i += 1) await createMember(t.db, { agency });
    const first = await browser.get('/coordinator');
    expect(first.body).toContain(`href="${escape('/coordinator?page=2')}"`);
    const second = await browser.get('/coordinator?page=2');
    expect(second.statusCode).toBe(200);
    expect([...second.body.matchAll(/Left the agency<span/g)]).toHaveLength(1);
    expect((await browser.get('/coordinator?page=3')).statusCode).toBe(404);
    expect((await browser.get('/coordinator?page=x')).statusCode).toBe(400);
  });

  it('counts every waiting sign-up of the agency, past the number the sign-ups page lists at once', async () => {
    const { agency, browser } = await coordinatedAgency();
    for (let i = 0; i < 51; i += 1) await waitingMember(agency);
    expect((await browser.get('/coordinator')).body).toContain('51 sign-ups from your agency waiting for approval');
  });

  it('refuses what its pages do not take in the address (400), saying so', async () => {
    const { agency, browser } = await coordinatedAgency();
    const member = await createMember(t.db, { agency });
    for (const path of ['/coordinator?x=%00', '/coordinator?page=1&admin=1', '/coordinator/sign-ups?x=1', `/coordinator/members/${member.id}/deactivate?reason=%3Cscript%3E`]) {
      const response = await browser.get(path);
      expect(response.statusCode, path).toBe(400);
      expect(response.body).toContain(escape(PAGE_MESSAGES.unexpectedFilter));
    }
  });

  it('refuses a coordinator who has moved to another agency (403): the appointment counts only while they are of it', async () => {
    const { coordinator, browser } = await coordinatedAgency();
    await t.db.updateTable('members').set({ agency_id: (await createAgency(t.db)).id }).where('id', '=', coordinator.id).execute();
    const page = await browser.get('/coordinator');
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain(escape(PAGE_MESSAGES.coordinatorsOnly));
  });
});

describe('sign-ups at /coordinator/sign-ups', () => {
  it('lists only the agency’s waiting sign-ups; approving one is audited against the coordinator and emails them; a second press is 409', async () => {
    const { agency, coordinator, browser } = await coordinatedAgency();
    const mine = await waitingMember(agency);
    const theirs = await waitingMember(await createAgency(t.db));
    const page = await browser.get('/coordinator/sign-ups');
    expect(page.body).toContain(`/coordinator/sign-ups/${mine.id}/approve`);
    expect(page.body).not.toContain(`/coordinator/sign-ups/${theirs.id}/`);
    const approved = await post(browser, `/coordinator/sign-ups/${mine.id}/approve`, { reason: 'Welcome aboard.' });
    expect(approved.statusCode).toBe(303);
    expect((await browser.get('/coordinator/sign-ups')).body).toContain(escape(M.memberApproved(mine.displayName)));
    const row = await t.db.selectFrom('members').select(['awaiting_approval_since', 'deactivated_at']).where('id', '=', mine.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ awaiting_approval_since: null, deactivated_at: null });
    expect(await latestAudit(t.db, 'member.approved')).toMatchObject({ actor_member_id: coordinator.id, subject_member_id: mine.id, details: { reason: 'Welcome aboard.' } });
    expect(await t.db.selectFrom('outbound_emails').select('kind').where('to_address', '=', mine.email).execute()).toEqual([{ kind: 'moderation.member-approved' }]);
    await refusedWritingNothing(t.db, () => post(browser, `/coordinator/sign-ups/${mine.id}/approve`, { reason: '' }), 409, M.memberAlreadyDecided);
  });

  it('rejects with a reason (required, at most 1000 characters, no NUL), deactivating them; another agency’s sign-up is 404 either way', async () => {
    const { agency, coordinator, browser } = await coordinatedAgency();
    const mine = await waitingMember(agency);
    const theirs = await waitingMember(await createAgency(t.db));
    await refusedWritingNothing(t.db, () => post(browser, `/coordinator/sign-ups/${mine.id}/reject`, { reason: '' }), 422, APPROVAL_MESSAGES.reasonRequired);
    await refusedWritingNothing(t.db, () => post(browser, `/coordinator/sign-ups/${mine.id}/reject`, { reason: 'x'.repeat(1001) }), 422, 'at most 1,000 characters');
    await refusedWritingNothing(t.db, () => post(browser, `/coordinator/sign-ups/${mine.id}/reject`, { reason: 'a\0b' }), 422, 'NUL');
    for (const action of ['approve', 'reject']) {
      await refusedWritingNothing(t.db, () => post(browser, `/coordinator/sign-ups/${theirs.id}/${action}`, { reason: 'Not one of ours.' }), 404, M.notYourAgency);
      await refusedWritingNothing(t.db, () => post(browser, `/coordinator/sign-ups/999999999/${action}`, { reason: 'Nobody.' }), 404);
    }
    const rejected = await post(browser, `/coordinator/sign-ups/${mine.id}/reject`, { reason: '<script>alert(1)</script> not at this agency' });
    expect(rejected.statusCode).toBe(303);
    const row = await t.db.selectFrom('members').select(['awaiting_approval_since', 'deactivated_at']).where('id', '=', mine.id).executeTakeFirstOrThrow();
    expect(row.awaiting_approval_since).toBeNull();
    expect(row.deactivated_at).not.toBeNull();
    expect(await latestAudit(t.db, 'member.rejected')).toMatchObject({ actor_member_id: coordinator.id, subject_member_id: mine.id, details: { reason: '<script>alert(1)</script> not at this agency' } });
  });
});

describe('deactivating a leaver at /coordinator/members/:id/deactivate', () => {
  it('deactivates a plain member of the agency with the reason in the audit row; a second press is 409', async () => {
    const { agency, coordinator, browser } = await coordinatedAgency();
    const leaver = await createMember(t.db, { agency });
    const confirm = await browser.get(`/coordinator/members/${leaver.id}/deactivate`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(`action="/coordinator/members/${leaver.id}/deactivate"`);
    await refusedWritingNothing(t.db, () => post(browser, `/coordinator/members/${leaver.id}/deactivate`, {}), 422, M.reasonRequired);
    await refusedWritingNothing(t.db, () => post(browser, `/coordinator/members/${leaver.id}/deactivate`, { reason: 'x'.repeat(1001) }), 422, 'at most 1,000 characters');
    const done = await post(browser, `/coordinator/members/${leaver.id}/deactivate`, { reason: 'Left in March' });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/coordinator');
    expect((await t.db.selectFrom('members').select('deactivated_at').where('id', '=', leaver.id).executeTakeFirstOrThrow()).deactivated_at).not.toBeNull();
    expect(await latestAudit(t.db, 'member.deactivated')).toMatchObject({ actor_member_id: coordinator.id, subject_member_id: leaver.id, details: { reason: 'left_agency', note: 'Left in March', before: { deactivated: false }, after: { deactivated: true } } });
    await refusedWritingNothing(t.db, () => post(browser, `/coordinator/members/${leaver.id}/deactivate`, { reason: 'Left in March' }), 409, ADMIN_MESSAGES.alreadyDeactivated(leaver.canonicalEmail));
    // Told why when they sign in with the right password.
    const signedIn = await signIn(new Browser(t.app), leaver.email, leaver.password);
    expect(signedIn.statusCode).toBe(403);
    expect(signedIn.body).toContain(escape(ELIGIBILITY_MESSAGES.deactivated.left_agency));
  });

  it('refuses a sign-up still waiting for approval (409), pointing to approving or rejecting it, writing nothing', async () => {
    const { agency, browser } = await coordinatedAgency();
    const waiting = await waitingMember(agency);
    const refused = await refusedWritingNothing(t.db, () => post(browser, `/coordinator/members/${waiting.id}/deactivate`, { reason: 'Never started here' }), 409, M.awaitingApproval);
    expect(refused.body).toContain('href="/coordinator/sign-ups"');
  });

  it('refuses another agency’s member (404, however the id is guessed), staff and other coordinators (403) and themselves (409), writing nothing', async () => {
    const { agency, coordinator, browser } = await coordinatedAgency();
    const elsewhere = await createMember(t.db, { agency: await createAgency(t.db) });
    const moderator = await createMember(t.db, { agency, role: 'moderator' });
    const administrator = await createMember(t.db, { agency, role: 'administrator' });
    const colleague = await createMember(t.db, { agency });
    await appointInDatabase(t.db, colleague.id, agency.id);
    for (const id of [elsewhere.id, 999_999_999]) {
      expect((await browser.get(`/coordinator/members/${id}/deactivate`)).statusCode).toBe(404);
      await refusedWritingNothing(t.db, () => post(browser, `/coordinator/members/${id}/deactivate`, { reason: 'Guessing ids' }), 404);
    }
    for (const bad of ['0', '-1', 'abc', '1e3', String(Number.MAX_SAFE_INTEGER + 1)]) {
      await refusedWritingNothing(t.db, () => post(browser, `/coordinator/members/${bad}/deactivate`, { reason: 'Guessing ids' }), 404);
    }
    for (const staff of [moderator, administrator, colleague]) {
      const page = await browser.get(`/coordinator/members/${staff.id}/deactivate`);
      expect(page.body).not.toContain(`action="/coordinator/members/${staff.id}/deactivate"`);
      await refusedWritingNothing(t.db, () => post(browser, `/coordinator/members/${staff.id}/deactivate`, { reason: 'Left' }), 403, M.onlyPlainMembers);
    }
    await refusedWritingNothing(t.db, () => post(browser, `/coordinator/members/${coordinator.id}/deactivate`, { reason: 'Leaving' }), 409, ADMIN_MESSAGES.notYourself);
  });
});

describe('the quarterly attestation', () => {
  it('is overdue on /admin for an agency whose coordinator was appointed before this quarter; attesting records it, audited, and clears it', async () => {
    const { agency, coordinator, browser } = await coordinatedAgency(120);
    await createMember(t.db, { agency });
    const admin = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
    const link = `href="/admin/agencies/${agency.id}#coordinators"`;
    const before = await admin.browser.get('/admin');
    expect(before.body).toContain(link);
    expect(before.body).toContain('never confirmed');
    expect((await browser.get('/coordinator')).body).toContain('Nobody has confirmed this list yet');
    const attested = await post(browser, '/coordinator/attestations', { member_count: '2', note: 'Jo is on long leave.' });
    expect(attested.statusCode).toBe(303);
    const rows = await t.db.selectFrom('agency_attestations').select(['member_id', 'member_count', 'note']).where('agency_id', '=', agency.id).execute();
    expect(rows).toEqual([{ member_id: coordinator.id, member_count: 2, note: 'Jo is on long leave.' }]);
    expect(await latestAudit(t.db, 'agency.attested')).toMatchObject({ actor_member_id: coordinator.id, target_id: String(agency.id), details: { reason: 'Jo is on long leave.', before: null, after: { memberCount: 2 } } });
    expect((await admin.browser.get('/admin')).body).not.toContain(link);
    const page = await browser.get('/coordinator');
    expect(page.body).toContain(escape(M.attested(2)));
    expect(page.body).toContain('Last confirmed by');
    expect((await admin.browser.get(`/admin/agencies/${agency.id}`)).body).toContain('Jo is on long leave.');
    const log = await admin.browser.get('/admin/audit?action=agency.attested');
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain(`<td data-label="Action">${AUDIT_ACTION_NAMES['agency.attested']}</td>`);
  });

  it('is not yet due for a coordinator appointed this quarter', async () => {
    const { agency } = await coordinatedAgency(0);
    const admin = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
    expect((await admin.browser.get('/admin')).body).not.toContain(`href="/admin/agencies/${agency.id}#coordinators"`);
  });

  it('refuses a list that changed since the page was shown, the same list again the same day (409), and bad notes and counts (422), writing nothing', async () => {
    const { agency, browser } = await coordinatedAgency();
    await refusedWritingNothing(t.db, () => post(browser, '/coordinator/attestations', { member_count: '5' }), 409, M.listChanged(1));
    for (const count of ['', '-1', 'abc', '1.5', '99999999999']) await refusedWritingNothing(t.db, () => post(browser, '/coordinator/attestations', { member_count: count }), 422, M.badCount);
    await refusedWritingNothing(t.db, () => post(browser, '/coordinator/attestations', {}), 422, M.badCount);
    await refusedWritingNothing(t.db, () => post(browser, '/coordinator/attestations', { member_count: '1', note: 'a\0b' }), 422, 'NUL');
    await refusedWritingNothing(t.db, () => post(browser, '/coordinator/attestations', { member_count: '1', note: 'x'.repeat(1001) }), 422, 'at most 1,000 characters');
    const hostile = '<script>alert(1)</script> javascript:alert(1) \'; drop table members;--';
    expect((await post(browser, '/coordinator/attestations', { member_count: '1', note: hostile })).statusCode).toBe(303);
    await refusedWritingNothing(t.db, () => post(browser, '/coordinator/attestations', { member_count: '1' }), 409, M.alreadyAttested);
    const admin = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
    const agencyPage = await admin.browser.get(`/admin/agencies/${agency.id}`);
    expect(agencyPage.body).not.toContain('<script>alert(1)</script>');
    expect(agencyPage.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Someone else's agency cannot be named: the form has no agency field, and an extra one is refused.
    await refusedWritingNothing(t.db, () => post(browser, '/coordinator/attestations', { member_count: '1', agency_id: '1' }), 422);
  });
});
