import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectNoAxeViolations, injectAt, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createMember, linksInLatestEmail, pathOf, type TestMember } from '../support/members.js';
import { answerRequests } from '../support/membership.js';

// Issue 7, item 6: "Show password" on every password field, as an enhancement (the fields work
// without JavaScript), and a username (hidden where the page does not ask for it) in every
// password form, so password managers save the right address with the new password.
const session = useBrowserSession();

async function resetPath(member: TestMember): Promise<string> {
  const browser = injectAt(session.site);
  const hidden = await browser.openForm('/password/forgot');
  expect((await browser.post('/password/forgot', { ...hidden, email: member.email })).statusCode).toBe(200);
  await answerRequests(session.site.t.app);
  return pathOf((await linksInLatestEmail(session.site.t.db, member.email)).find((link) => link.includes('/password/reset/'))!);
}

async function verifyPath(email: string): Promise<string> {
  const browser = injectAt(session.site);
  const hidden = await browser.openForm('/signup');
  expect((await browser.post('/signup', { ...hidden, email, accept_guidelines: 'yes' })).statusCode).toBe(200);
  await answerRequests(session.site.t.app);
  return pathOf((await linksInLatestEmail(session.site.t.db, email)).find((link) => link.includes('/verify/'))!);
}


/** Each password field's form holds a username field with this address, and Chromium says nothing about it. */
async function expectUsernameFor(page: Page, address: string, consoleMessages: string[]): Promise<void> {
  const usernames = await page.evaluate<string[][]>(`[...document.querySelectorAll('input[type="password"]')].map((field) =>
    [...field.form.querySelectorAll('input[autocomplete="username"]')].map((input) => input.value))`);
  expect(usernames.length).toBeGreaterThan(0);
  for (const inForm of usernames) expect(inForm).toEqual([address]);
  expect(consoleMessages.filter((text) => /username/i.test(text))).toEqual([]);
}

/** Ticks each "Show password" box: its field shows the text, and hides it again when unticked. */
async function expectShowPassword(page: Page): Promise<void> {
  const fields = page.locator('input[type="password"]');
  const count = await fields.count();
  const boxes = page.getByRole('checkbox', { name: /^Show password/ });
  expect(await boxes.count()).toBe(count);
  for (let i = 0; i < count; i += 1) {
    const box = boxes.nth(i);
    const field = page.locator(`#${await box.getAttribute('aria-controls')}`);
    await field.fill('seventeen lanterns');
    await box.check();
    expect(await field.getAttribute('type')).toBe('text');
    expect(await field.inputValue()).toBe('seventeen lanterns');
    await box.uncheck();
    expect(await field.getAttribute('type')).toBe('password');
  }
}

describe('password forms', () => {
  async function openWithConsole(width = 1280): Promise<{ page: Page; messages: string[] }> {
    const page = await session.openPage(width);
    const messages: string[] = [];
    page.on('console', (message) => messages.push(message.text()));
    return { page, messages };
  }

  it('gives the settings page a username for the password change and "Show password" on both fields', async () => {
    const member = await createMember(session.site.t.db);
    const { page, messages } = await openWithConsole();
    await signInOnPage(page, session.site, member);
    await page.goto(session.site.url('/settings'));
    await expectUsernameFor(page, member.email, messages);
    await expectShowPassword(page);
    // Each box says which field it shows.
    expect(await page.getByRole('checkbox', { name: 'Show password (Current password)' }).count()).toBe(1);
    expect(await page.getByRole('checkbox', { name: 'Show password (New password)' }).count()).toBe(1);
    await expectNoAxeViolations(page);
  });

  it('gives the reset page the username and "Show password"', async () => {
    const member = await createMember(session.site.t.db);
    const { page, messages } = await openWithConsole();
    await page.goto(session.site.url(await resetPath(member)));
    await expectUsernameFor(page, member.email, messages);
    await expectShowPassword(page);
    await expectNoAxeViolations(page);
  });

  it('gives step 2 of joining the address being joined as the username, not the handle', async () => {
    const email = 'new.joiner@finance.gov.au';
    const { page, messages } = await openWithConsole(320);
    await page.goto(session.site.url(await verifyPath(email)));
    await expectUsernameFor(page, email, messages);
    expect(await page.getByLabel('Handle').getAttribute('autocomplete')).not.toBe('username');
    await expectShowPassword(page);
    await expectNoAxeViolations(page);
  });

  it('shows the password on the sign-in page, and hides it again when the form is sent', async () => {
    const member = await createMember(session.site.t.db);
    const { page, messages } = await openWithConsole();
    await page.goto(session.site.url('/login'));
    expect(await page.getByLabel('Work email address').getAttribute('autocomplete')).toBe('username');
    expect(messages.filter((text) => /username/i.test(text))).toEqual([]);
    await page.getByLabel('Work email address').fill(member.email);
    const password = page.getByLabel('Password', { exact: true });
    await password.fill(member.password);
    await page.getByRole('checkbox', { name: /^Show password/ }).check();
    expect(await password.getAttribute('type')).toBe('text');
    const typeWhenSent = page.waitForRequest((request) => request.method() === 'POST').then(() => page.evaluate<string>(`document.querySelector('#field-password')?.type ?? 'gone'`).catch(() => 'gone'));
    await Promise.all([page.waitForURL(session.site.url('/')), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(['password', 'gone']).toContain(await typeWhenSent);
  });

  it('works without JavaScript: no toggle, the field a plain password field', async () => {
    const member = await createMember(session.site.t.db);
    const page = await session.openPage(1280, 800, { javaScriptEnabled: false });
    await page.goto(session.site.url('/login'));
    expect(await page.getByRole('checkbox', { name: /Show password/ }).count()).toBe(0);
    expect(await page.getByLabel('Password', { exact: true }).getAttribute('type')).toBe('password');
    await signInOnPage(page, session.site, member);
  });
});
