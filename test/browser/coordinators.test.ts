import { describe, expect, it } from 'vitest';
import { COORDINATOR_MESSAGES as M } from '../../src/features/coordinators/messages.js';
import { pageCheck, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createAgency, createMember } from '../support/members.js';

// Issue 11, item 5: an administrator appoints an agency's coordinator and sees the overdue list on
// /admin; the coordinator, with a second factor, checks the list, approves a sign-up, deactivates
// a leaver and confirms the list. By label as a person would, with axe, at a desktop and a phone width.
const session = useBrowserSession({ MEMBER_APPROVAL_REQUIRED: 'true' });
const check = pageCheck('coordinators');
const DAY = 86_400_000;

describe('agency coordinators', () => {
  it.each([1280, 320])('are appointed on the agency page, and look after their agency’s list at %i px', async (width) => {
    const { db } = session.site.t;
    const agency = await createAgency(db, { name: `Office of Coordination ${width}` });
    const administrator = await createMember(db, { role: 'administrator' });
    const coordinator = await createMember(db, { agency, secondFactor: true });
    const leaver = await createMember(db, { agency });
    const applicant = await createMember(db, { agency });
    await db.updateTable('members').set({ awaiting_approval_since: new Date(), job_title: 'Policy <b>officer</b>' }).where('id', '=', applicant.id).execute();

    const admin = await session.openPage(width, 800);
    await signInOnPage(admin, session.site, administrator);
    await admin.goto(session.site.url(`/admin/agencies/${agency.id}`));
    await admin.getByLabel('Appoint a coordinator: their work email address').fill('nobody.at.all@finance.gov.au');
    await admin.getByRole('button', { name: 'Appoint coordinator' }).click();
    await expect.poll(() => admin.getByRole('alert').textContent()).toContain(M.unknownMember('nobody.at.all@finance.gov.au'));
    await check(admin, 'appoint-refused', width);
    await admin.getByLabel('Appoint a coordinator: their work email address').fill(coordinator.email);
    await admin.getByRole('button', { name: 'Appoint coordinator' }).click();
    await expect.poll(() => admin.getByRole('status').textContent()).toContain(M.appointed(coordinator.displayName, agency.name));
    await check(admin, 'agency-with-coordinator', width);
    await db.updateTable('agency_coordinators').set({ appointed_at: new Date(Date.now() - 120 * DAY) }).where('member_id', '=', coordinator.id).execute();
    await admin.goto(session.site.url('/admin'));
    await expect.poll(() => admin.getByRole('link', { name: agency.name }).count()).toBe(1);
    await check(admin, 'admin-overdue', width);

    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, coordinator);
    await Promise.all([page.waitForURL(session.site.url('/coordinator')), page.getByRole('link', { name: 'My agency' }).click()]);
    expect(await page.getByText('Nobody has confirmed this list yet').count()).toBe(1);
    await check(page, 'members', width);

    await Promise.all([page.waitForURL(session.site.url('/coordinator/sign-ups')), page.getByRole('link', { name: /sign-up from your agency/ }).click()]);
    await check(page, 'sign-ups', width);
    await page.getByRole('button', { name: `Approve ${applicant.displayName}` }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(M.memberApproved(applicant.displayName));

    await page.goto(session.site.url('/coordinator'));
    await Promise.all([page.waitForURL(session.site.url(`/coordinator/members/${leaver.id}/deactivate`)), page.getByRole('row', { name: new RegExp(leaver.displayName) }).getByRole('link', { name: /Left the agency/ }).click()]);
    await page.getByRole('button', { name: `Deactivate ${leaver.displayName}` }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain(M.reasonRequired);
    await check(page, 'deactivate-refused', width);
    await page.getByLabel('Why (kept in the audit log)').fill('Moved to another department');
    await Promise.all([page.waitForURL(session.site.url('/coordinator')), page.getByRole('button', { name: `Deactivate ${leaver.displayName}` }).click()]);
    await expect.poll(() => page.getByRole('status').textContent()).toContain(M.leaverDeactivated(leaver.displayName));

    await page.getByLabel('Note (optional)').fill('Checked against the payroll list.');
    await page.getByRole('button', { name: /I confirm this list of 2 members is right as of/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(M.attested(2));
    await check(page, 'members-confirmed', width);
    await admin.goto(session.site.url('/admin'));
    expect(await admin.getByRole('link', { name: agency.name }).count()).toBe(0);
  });
});
