import { describe, expect, it } from 'vitest';
import { expectNoAxeViolations, pageCheck, scrollWidth, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createCategory, createThreads } from '../support/forum-rows.js';
import { enqueueEmail } from '../../src/mail/outbox.js';
import { createAgency, createMember } from '../support/members.js';

// Issue 9, item 2: the administrator's form for an agency's jurisdiction and type, and the
// initiative types list; issue 11: domain rules, the review of the members a removed rule
// admitted, merging agencies, categories, members, the mail queue, the audit log and the settings. Used by label as a person would, at a desktop and a phone width.
const session = useBrowserSession();
const check = pageCheck('admin');

describe('the administration pages', () => {
  it.each([1280, 320])('lets an administrator set an agency jurisdiction and type and add an initiative type at %i px', async (width) => {
    const { db } = session.site.t;
    const agency = await createAgency(db, { name: `Bureau of Browser Tests ${width}`, provisional: true });
    const administrator = await createMember(db, { role: 'administrator', agency });
    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, administrator);

    await Promise.all([page.waitForURL(session.site.url('/admin')), page.getByRole('link', { name: 'Admin', exact: true }).click()]);
    await expectNoAxeViolations(page);
    await Promise.all([page.waitForURL(session.site.url('/admin/agencies')), page.getByRole('link', { name: 'Agencies' }).click()]);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);

    await Promise.all([page.waitForURL(session.site.url(`/admin/agencies/${agency.id}`)), page.getByRole('link', { name: agency.name }).click()]);
    await page.getByLabel('Jurisdiction').selectOption({ label: 'Territory' });
    await page.getByLabel('Agency type').selectOption({ label: 'Statutory body' });
    await page.getByRole('button', { name: 'Save jurisdiction and type' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Saved the jurisdiction and type of ${agency.name}.`);
    expect(await page.getByLabel('Agency type').inputValue()).toBe('statutory_body');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);

    await page.goto(session.site.url('/admin/initiative-types'));
    await page.getByLabel('Name').fill(`Regional partnerships ${width}`);
    await page.getByRole('button', { name: 'Add initiative type' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Added the initiative type “Regional partnerships ${width}”.`);
    await page.getByRole('button', { name: `Move up “Regional partnerships ${width}”` }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Moved');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
  });

  it.each([1280, 320])('lets an administrator add a domain rule, remove it, review the members it admitted and merge an agency at %i px', async (width) => {
    const { db } = session.site.t;
    const administrator = await createMember(db, { role: 'administrator' });
    const domain = `browser-${width}.example`;
    const admitted = await createMember(db, { email: `kim@${domain}` });
    const from = await createAgency(db, { name: `Browser Merged Away ${width}` });
    const into = await createAgency(db, { name: `Browser Merged Into ${width}` });
    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, administrator);

    await page.goto(session.site.url('/admin'));
    await Promise.all([page.waitForURL(session.site.url('/admin/domain-rules')), page.getByRole('link', { name: 'Domain rules' }).click()]);
    await page.getByLabel('Domain', { exact: true }).fill(domain);
    await page.getByLabel('Agency its members belong to').selectOption({ label: into.name });
    await page.getByLabel('Note').fill('Added in the browser test');
    await page.getByRole('button', { name: 'Add domain rule' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Added the rule: allow ${domain}.`);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Add domain rule' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Enter a domain, such as agency.gov.au');
    await expectNoAxeViolations(page);

    await Promise.all([page.waitForURL(/\/admin\/domain-rules\/\d+$/), page.getByRole('link', { name: domain }).click()]);
    await expectNoAxeViolations(page);
    await Promise.all([page.waitForURL(session.site.url('/admin/domain-rules/review')), page.getByRole('button', { name: 'Remove domain rule' }).click()]);
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Removed the rule: allow ${domain}.`);
    expect(await page.getByRole('table').textContent()).toContain(admitted.canonicalEmail);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);

    await page.goto(session.site.url(`/admin/agencies/${from.id}`));
    await page.getByLabel('Merge into').selectOption({ label: into.name });
    await Promise.all([page.waitForURL(session.site.url(`/admin/agencies/${into.id}`)), page.getByRole('button', { name: `Merge ${from.name} into it` }).click()]);
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Merged ${from.name} into ${into.name}`);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
  });

  it.each([1280, 320])('lets an administrator add a category, close it to members, move it, and remove one that holds threads at %i px', async (width) => {
    const { db } = session.site.t;
    const administrator = await createMember(db, { role: 'administrator' });
    const emptied = await createCategory(db);
    await createThreads(db, emptied.id, administrator.id, 2);
    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, administrator);

    await page.goto(session.site.url('/admin'));
    await Promise.all([page.waitForURL(session.site.url('/admin/categories')), page.getByRole('link', { name: 'Categories' }).click()]);
    await check(page, 'categories', width);
    const name = `Records keeping ${width}`;
    await page.getByLabel('Name').fill(name);
    await page.getByRole('button', { name: 'Add category' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Enter the category’s address');
    await check(page, 'category-add-refused', width);
    await page.getByLabel('Address').fill(`records-keeping-${width}`);
    await page.getByRole('button', { name: 'Add category' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Added the category “${name}”.`);
    await page.getByRole('button', { name: `Move up “${name}”` }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Moved “${name}”`);

    await Promise.all([page.waitForURL(/\/admin\/categories\/\d+$/), page.getByRole('link', { name }).click()]);
    await page.getByRole('radio', { name: 'Only moderators and administrators' }).first().check();
    await page.getByRole('button', { name: 'Save category' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('only they can start threads in it');
    await check(page, 'category-refused', width);
    await page.getByRole('radio', { name: 'Only moderators and administrators' }).last().check();
    await Promise.all([page.waitForURL(session.site.url('/admin/categories')), page.getByRole('button', { name: 'Save category' }).click()]);
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Saved the category “${name}”.`);

    await page.goto(session.site.url(`/admin/categories/${emptied.id}`));
    await check(page, 'category', width);
    await page.getByLabel('Move its threads to').selectOption({ label: name });
    await Promise.all([page.waitForURL(session.site.url('/admin/categories')), page.getByRole('button', { name: `Move the threads and remove ${emptied.name}` }).click()]);
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`its 2 threads moved to “${name}”`);
    await check(page, 'categories-after', width);
  });

  it.each([1280, 320])('lets an administrator find a member, change their role, and read the mail queue and the audit log at %i px', async (width) => {
    const { db } = session.site.t;
    const administrator = await createMember(db, { role: 'administrator' });
    const member = await createMember(db, { handle: `browser_found_${width}` });
    await enqueueEmail(db, { to: `kim@browser-${width}.example`, subject: 'Subject', text: 'Body', kind: 'auth.verify' }).then((id) =>
      db.updateTable('outbound_emails').set({ status: 'failed', attempts: 32, failed_at: new Date(), last_error: '550 mailbox unavailable' }).where('id', '=', id).execute(),
    );
    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, administrator);

    await page.goto(session.site.url('/admin'));
    await Promise.all([page.waitForURL(session.site.url('/admin/members')), page.getByRole('main').getByRole('link', { name: 'Members', exact: true }).click()]);
    await page.getByLabel('Name, address or handle').fill(member.handle);
    await Promise.all([page.waitForURL(/\/admin\/members\?/), page.getByRole('button', { name: 'Find' }).click()]);
    await check(page, 'members-search', width);
    await Promise.all([page.waitForURL(session.site.url(`/admin/members/${member.id}`)), page.getByRole('link', { name: member.displayName }).click()]);
    await page.getByLabel('Role').selectOption({ label: 'Moderator' });
    await page.getByRole('button', { name: 'Change role' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`${member.displayName} is now a moderator.`);
    await check(page, 'member-role-changed', width);

    await page.goto(session.site.url('/admin/mail?state=failed'));
    await page.getByRole('button', { name: `Retry the email to …@browser-${width}.example` }).first().click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`The email to …@browser-${width}.example is queued again`);
    await check(page, 'mail-retried', width);

    await page.goto(session.site.url('/admin/audit?action=mail.retried'));
    expect(await page.getByRole('table').textContent()).toContain('Failed email retried');
    await check(page, 'audit-filtered', width);
    await page.goto(session.site.url('/admin/members?status=unverified'));
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The status must be Active, Suspended, Awaiting approval or Deactivated');
    await check(page, 'members-filter-refused', width);
  });

  it.each([1280, 320])('lets an administrator change a setting, be told what is wrong, and reset it at %i px', async (width) => {
    const administrator = await createMember(session.site.t.db, { role: 'administrator' });
    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, administrator);

    await page.goto(session.site.url('/admin'));
    await Promise.all([page.waitForURL(session.site.url('/admin/settings')), page.getByRole('main').getByRole('link', { name: 'Settings', exact: true }).click()]);
    await check(page, 'settings', width);

    const threshold = page.getByLabel('Flags that hide a post or resource');
    await threshold.fill('1001');
    await page.getByRole('button', { name: 'Save these settings (moderation)' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Flags that hide a post or resource: must be at most 1000');
    await check(page, 'settings-errors', width);

    await threshold.fill(String(width === 320 ? 4 : 5));
    await page.getByRole('button', { name: 'Save these settings (moderation)' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Saved: Flags that hide a post or resource.');
    expect(await threshold.inputValue()).toBe(String(width === 320 ? 4 : 5));
    await check(page, 'settings-saved', width);

    await page.getByRole('button', { name: 'Reset to the default (Flags that hide a post or resource)' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Flags that hide a post or resource is back to the default.');
    expect(await threshold.inputValue()).toBe('3');
    await check(page, 'settings-reset', width);
  });
});
