import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SECOND_FACTOR_MESSAGES } from '../../src/features/auth/second-factor/messages.js';
import { totpCode } from '../../src/features/auth/second-factor/totp.js';
import { injectAt, pageCheck, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createMember } from '../support/members.js';

// Issue 11, item 3: a member sets up an authenticator app and a passkey in Settings, Security,
// and signs in with the passkey as the second step, through Chromium's virtual authenticator
// (CDP). WebAuthn takes no IP address as its relying party, so this site is on localhost.
const session = useBrowserSession({}, { hostname: 'localhost' });
const check = pageCheck('second-factor');

/** axe, no sideways scrolling and a screenshot, at a desktop and a phone width, of the page as it is now. */
async function checkBothWidths(page: Page, name: string): Promise<void> {
  for (const width of [1280, 320]) {
    await page.setViewportSize({ width, height: 800 });
    await check(page, name, width);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

describe('a second factor in the browser', () => {
  it('sets up an authenticator app and a passkey, then signs in with the passkey', { timeout: 180_000 }, async () => {
    const { db } = session.site.t;
    const member = await createMember(db);
    const page = await session.openPage();
    await addVirtualAuthenticator(page);
    await signInOnPage(page, session.site, member);

    await page.goto(session.site.url('/settings/security'));
    await checkBothWidths(page, 'security-none');

    await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
    await expect.poll(() => page.url()).toBe(session.site.url('/settings/security/totp'));
    await expect.poll(() => page.getByRole('img', { name: 'QR code to set up your authenticator app' }).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    await checkBothWidths(page, 'totp-setup');
    const secret = (await page.locator('.secret code').textContent())!.replace(/\s/g, '');
    await page.getByLabel('The 6-digit code your app shows').fill(totpCode(secret, injectAt(session.site).now()));
    await page.getByRole('button', { name: 'Turn on the authenticator app' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Your recovery codes');
    expect(await page.locator('.recovery-codes li').count()).toBe(10);
    await checkBothWidths(page, 'recovery-codes');

    await page.goto(session.site.url('/settings/security/passkeys/new'));
    await checkBothWidths(page, 'passkey-new');
    await page.getByLabel('Passkey name').fill('Work laptop');
    await Promise.all([page.waitForURL(session.site.url('/settings/security')), page.getByRole('button', { name: 'Add the passkey' }).click()]);
    await expect(page.locator('.notice[role="status"]').textContent()).resolves.toContain(SECOND_FACTOR_MESSAGES.passkeyAdded('Work laptop'));
    await checkBothWidths(page, 'security-set-up');
    const stored = await db.selectFrom('passkeys').select(['name', 'last_used_at']).where('member_id', '=', member.id).execute();
    expect(stored).toEqual([{ name: 'Work laptop', last_used_at: null }]);

    await Promise.all([page.waitForURL(session.site.url('/')), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto(session.site.url('/login'));
    await page.getByLabel('Work email address').fill(member.email);
    await page.getByLabel('Password', { exact: true }).fill(member.password);
    await Promise.all([page.waitForURL(session.site.url('/login/second-factor')), page.getByRole('button', { name: 'Sign in' }).click()]);
    await checkBothWidths(page, 'second-step');
    await Promise.all([page.waitForURL(session.site.url('/')), page.getByRole('button', { name: 'Use a passkey' }).click()]);
    await expect(page.getByRole('button', { name: 'Sign out' }).isVisible()).resolves.toBe(true);
    const used = await db.selectFrom('passkeys').select('last_used_at').where('member_id', '=', member.id).executeTakeFirstOrThrow();
    expect(used.last_used_at).not.toBeNull();

    // Confirming it is the member, with a password, code or passkey on offer.
    await page.goto(session.site.url('/confirm-identity?next=%2Fsettings%2Fsecurity'));
    await checkBothWidths(page, 'confirm-identity');
    await Promise.all([page.waitForURL(session.site.url('/settings/security')), page.getByRole('button', { name: 'Use a passkey' }).click()]);
  });
});
