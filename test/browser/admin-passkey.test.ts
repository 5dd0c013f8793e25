import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SECOND_FACTOR_MESSAGES } from '../../src/features/auth/second-factor/messages.js';
import { expectNoAxeViolations, pageCheck, scrollWidth, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createCategory } from '../support/forum-rows.js';
import { createAgency, createMember } from '../support/members.js';

// Issue 11's acceptance: an administrator with no second factor is led to set one up, adds a
// passkey through Chromium's virtual authenticator (CDP), signs in with it, adds a domain rule and
// an agency, changes a setting and reads the usage charts; then every /admin page is opened at a
// desktop and a phone width and checked by axe. WebAuthn takes no IP address as its relying
// party, so this site is on localhost.
const session = useBrowserSession({}, { hostname: 'localhost' });
const check = pageCheck('admin-passkey');

async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

/** The page checked at both widths, with a screenshot of each, and left at the desktop width. */
async function checkBothWidths(page: Page, name: string): Promise<void> {
  for (const width of [1280, 320]) {
    await page.setViewportSize({ width, height: 800 });
    await check(page, name, width);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

describe('an administrator with a passkey', () => {
  it('sets one up when first sent to /admin, signs in with it, adds a domain rule and an agency, changes a setting and reads the usage charts', { timeout: 240_000 }, async () => {
    const { db } = session.site.t;
    const agency = await createAgency(db, { name: 'Bureau of <script>Usage</script> Charts' });
    const administrator = await createMember(db, { role: 'administrator', secondFactor: false, agency });
    const page = await session.openPage(1280, 800);
    await addVirtualAuthenticator(page);
    await signInOnPage(page, session.site, administrator);

    // No factor yet: /admin leads to setting one up.
    await page.goto(session.site.url('/admin'));
    await expect.poll(() => page.url()).toBe(session.site.url('/settings/security?next=%2Fadmin'));
    expect(await page.getByText(SECOND_FACTOR_MESSAGES.factorRequired).count()).toBe(1);
    await checkBothWidths(page, 'factor-required');
    await page.goto(session.site.url('/settings/security/passkeys/new'));
    await page.getByLabel('Passkey name').fill('Office laptop');
    await Promise.all([page.waitForURL(/\/settings\/security/), page.getByRole('button', { name: 'Add the passkey' }).click()]);
    await expect(page.locator('.notice[role="status"]').textContent()).resolves.toContain(SECOND_FACTOR_MESSAGES.passkeyAdded('Office laptop'));

    // Signing in again takes the passkey as the second step.
    await Promise.all([page.waitForURL(session.site.url('/')), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto(session.site.url('/login?next=%2Fadmin'));
    await page.getByLabel('Work email address').fill(administrator.email);
    await page.getByLabel('Password', { exact: true }).fill(administrator.password);
    await Promise.all([page.waitForURL(/\/login\/second-factor/), page.getByRole('button', { name: 'Sign in' }).click()]);
    await Promise.all([page.waitForURL(session.site.url('/admin')), page.getByRole('button', { name: 'Use a passkey' }).click()]);
    const passed = await db.selectFrom('audit_events').select('details').where('actor_member_id', '=', administrator.id).where('action', '=', 'signin.second_factor_passed').execute();
    expect(passed).toEqual([{ details: { via: 'passkey' } }]);
    await checkBothWidths(page, 'admin');

    await Promise.all([page.waitForURL(session.site.url('/admin/domain-rules')), page.getByRole('link', { name: 'Domain rules' }).click()]);
    await page.getByLabel('Domain', { exact: true }).fill('passkey-test.example');
    await page.getByRole('button', { name: 'Add domain rule' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Added the rule: allow passkey-test.example.');
    await checkBothWidths(page, 'domain-rule-added');

    await page.goto(session.site.url('/admin/agencies'));
    await page.getByLabel('Name').fill('Office of Passkey Trials');
    await Promise.all([page.waitForURL(/\/admin\/agencies\/\d+$/), page.getByRole('button', { name: 'Add agency' }).click()]);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Office of Passkey Trials');
    await checkBothWidths(page, 'agency-added');

    await page.goto(session.site.url('/admin/settings'));
    await page.getByLabel('Flags that hide a post or resource').fill('4');
    await page.getByRole('button', { name: 'Save these settings (moderation)' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Saved: Flags that hide a post or resource.');
    await checkBothWidths(page, 'setting-changed');

    await page.goto(session.site.url('/admin'));
    await Promise.all([page.waitForURL(session.site.url('/admin/usage')), page.getByRole('link', { name: 'Usage' }).click()]);
    for (const chart of ['Active members by agency', 'Active members by type of agency', 'New members per week', 'Posts per week', 'Active members per week', 'Resources shared per week']) {
      expect(await page.getByRole('img', { name: chart }).count(), chart).toBe(1);
    }
    await page.getByText('Members by agency as a table').click();
    // A name with markup is text in the table and the drawing alike.
    expect(await page.getByRole('table', { name: 'Active members by agency' }).textContent()).toContain(agency.name);
    expect(await page.locator('svg script').count()).toBe(0);
    await checkBothWidths(page, 'usage');
  });

  it('meets no accessibility fault on any /admin page, at 1280 and 320 px', { timeout: 240_000 }, async () => {
    const { db, app } = session.site.t;
    const administrator = await createMember(db, { role: 'administrator' });
    const agency = await createAgency(db, { name: 'Agency for the page walk' });
    const member = await createMember(db, { agency });
    const category = await createCategory(db);
    const rule = await db.insertInto('domain_rules').values({ domain: 'page-walk.example', effect: 'allow', agency_id: agency.id, admits_own_domain: true }).returning('id').executeTakeFirstOrThrow();
    const initiativeType = await db.selectFrom('initiative_types').select('id').executeTakeFirstOrThrow();
    const ids: Record<string, number> = { agencies: agency.id, members: member.id, categories: category.id, 'domain-rules': rule.id, 'initiative-types': initiativeType.id };
    const pages = app.routeInventory
      .filter((route) => route.method === 'GET' && (route.url === '/admin' || route.url.startsWith('/admin/')) && !route.url.endsWith('.csv'))
      .map((route) => route.url.replace(/^\/admin\/([a-z-]+)\/:id/, (_match, list: string) => `/admin/${list}/${ids[list]}`));
    // Every page with an :id has an object to show.
    expect(pages.filter((url) => url.includes(':') || url.includes('undefined'))).toEqual([]);
    expect(pages.length).toBeGreaterThan(10);

    const page = await session.openPage(1280, 800);
    await signInOnPage(page, session.site, administrator);
    for (const url of pages) {
      const response = await page.goto(session.site.url(url));
      expect(response?.status(), url).toBe(200);
      for (const width of [1280, 320]) {
        await page.setViewportSize({ width, height: 800 });
        await expectNoAxeViolations(page);
        expect(await scrollWidth(page), `${url} at ${width} px scrolls sideways`).toBeLessThanOrEqual(width);
      }
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
