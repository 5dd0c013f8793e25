import type { Browser as Chromium, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../src/features/auth/messages.js';
import { PASSWORD_MESSAGES } from '../../src/features/auth/password-messages.js';
import { collectCspViolations, expectNoAxeViolations, launchChromium, startSite, type LiveSite } from '../support/browser.js';

// The whole membership journey, keyboard only, in one browser: after each page.goto the
// person only presses Tab, Shift+Tab, Enter and Space, and types. Mail comes from the on-disk
// mailbox at /dev/mail. The steps share the page, so they run in order and build on each other.

const EMAIL = 'jane.citizen@finance.gov.au';
const DISPLAY_NAME = 'Jane Citizen';
const PASSWORD = 'marmalade tugboat quietly violin';
const NEW_PASSWORD = 'seventeen lanterns under a cedar roof';
const SITE = 'Commons';

let site: LiveSite;
let chromium: Chromium;
let context: BrowserContext;
let page: Page;
let cspViolations: string[];

interface Focus {
  /** `tag#id` or `tag:text`, so a link and a button with one name differ. */
  name: string;
  area: number;
  focusVisible: boolean;
  outline: string;
  outlineWidth: number;
}

/** What has focus and how it is drawn, in one round trip. */
async function focus(): Promise<Focus> {
  return page.evaluate<Focus>(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { name: '(nothing focused)', area: 0, focusVisible: false, outline: 'none', outlineWidth: 0 };
    const tag = el.tagName.toLowerCase();
    const name = el.id ? tag + '#' + el.id : tag + ':' + (el.textContent || '').trim().replace(/\\s+/g, ' ');
    const box = el.getBoundingClientRect();
    const css = getComputedStyle(el);
    return { name, area: box.width * box.height, focusVisible: el.matches(':focus-visible'), outline: css.outlineStyle, outlineWidth: parseFloat(css.outlineWidth) };
  })()`);
}

/** The focused control is drawn, matches :focus-visible and shows a real outline. */
function expectFocusVisible(now: Focus): void {
  expect(now.area, `${now.name} has a size`).toBeGreaterThan(0);
  expect(now.focusVisible, `${now.name} matches :focus-visible`).toBe(true);
  expect(now.outline, `${now.name} has an outline`).not.toBe('none');
  expect(now.outlineWidth, `${now.name} outline width`).toBeGreaterThanOrEqual(2);
}

/** Presses Tab (or Shift+Tab) until `target` has focus, checking every stop on the way is visible. */
async function tabTo(target: string | RegExp, { backwards = false, max = 40 } = {}): Promise<void> {
  const stops: string[] = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    const now = await focus();
    stops.push(now.name);
    // Tabbing past either end of the page leaves it for the browser's own controls.
    if (now.name !== '(nothing focused)') expectFocusVisible(now);
    if (typeof target === 'string' ? now.name === target : target.test(now.name)) return;
  }
  expect.fail(`never reached ${target}; stops: ${stops.join(' → ')}`);
}

/** Tabs to a text field and types into it, replacing what it held. */
async function typeInto(field: string, text: string): Promise<void> {
  await tabTo(`input#${field}`);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(text);
}

/** Presses a key that navigates (a link, a submit button) and waits for the new page. */
async function pressAndLoad(key = 'Enter'): Promise<void> {
  const loaded = page.waitForEvent('load');
  await page.keyboard.press(key);
  await loaded;
}

/**
 * A fresh page: the first Tab reaches the skip link; then the heading, axe and CSP. `axe: false`
 * only where the very same page (same template and state) was already checked in this journey.
 */
async function expectPage(heading: string | RegExp, { axe = true } = {}): Promise<void> {
  await tabTo('a:Skip to main content', { max: 1 });
  const h1 = (await page.locator('h1').textContent())?.trim();
  if (typeof heading === 'string') expect(h1, page.url()).toBe(heading);
  else expect(h1, page.url()).toMatch(heading);
  if (axe) await expectNoAxeViolations(page);
  expect(cspViolations, `Content Security Policy violations on ${page.url()}`).toEqual([]);
}

/** The error summary (role=alert) lists exactly these messages, and as many fields are marked invalid. */
async function expectErrors(messages: unknown[]): Promise<void> {
  const summary = page.getByRole('alert');
  expect(await summary.getByRole('heading', { name: 'There is a problem' }).count()).toBe(1);
  const items = (await summary.locator('li, p').allTextContents()).map((text) => text.trim());
  expect(items).toEqual(messages);
  expect(await page.locator('[aria-invalid="true"]').count()).toBeGreaterThanOrEqual(messages.length);
}

/** Opens the newest email with this subject in the development mailbox, then its link. */
async function followEmailLink(subject: string, linkPath: string, { axe = true } = {}): Promise<void> {
  expect(await site.t.app.mailWorker.runOnce()).toBeGreaterThanOrEqual(1);
  await page.goto(site.url('/dev/mail'));
  await expectPage('Development mailbox', { axe });
  await tabTo(`a:${subject}`);
  await pressAndLoad();
  await expectPage(subject, { axe });
  await tabTo(new RegExp(`^a:${(site.origin + linkPath).replace(/[.?]/g, '\\$&')}[A-Za-z0-9_-]+$`));
  await pressAndLoad();
}

async function signOutWithKeyboard({ backwards = false, axe = true } = {}): Promise<void> {
  await tabTo('button:Sign out', { backwards });
  await pressAndLoad('Space');
  await expectPage(`${SITE}: a community for public servants`, { axe });
  expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
}

beforeAll(async () => {
  chromium = await launchChromium();
  site = await startSite();
  context = await chromium.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  cspViolations = await collectCspViolations(page);
});

// Each step starts where the last one left off, so after a failure the rest are skipped.
let broken = false;
beforeEach(({ skip, onTestFailed }) => {
  if (broken) skip();
  onTestFailed(() => {
    broken = true;
  });
});

afterAll(async () => {
  await context?.close();
  await chromium?.close();
  await site?.close();
});

describe('membership journey, keyboard only', () => {
  it('1. asks for a work email on sign-up, refusing an empty form and a private address', async () => {
    await page.goto(site.url('/signup'));
    await expectPage('Join Commons');

    await tabTo('button:Email me a link');
    await pressAndLoad();
    await expectPage('Join Commons');
    await expectErrors([AUTH_MESSAGES.emailRequired, AUTH_MESSAGES.acceptGuidelines]);

    // The summary's first link takes the keyboard to the email field.
    await tabTo(`a:${AUTH_MESSAGES.emailRequired}`);
    await page.keyboard.press('Enter');
    await page.waitForURL(/#field-email$/);
    const now = await focus();
    expect(now.name).toBe('input#field-email');
    expectFocusVisible(now);

    await page.keyboard.type('x@gmail.com');
    await tabTo('input#field-accept_guidelines');
    await page.keyboard.press('Space');
    expect(await page.locator('#field-accept_guidelines').isChecked()).toBe(true);
    await tabTo('button:Email me a link');
    await pressAndLoad();
    await expectPage('Join Commons');
    await expectErrors([AUTH_MESSAGES.domainNotAllowed]);
    expect(await page.locator('#field-email').inputValue()).toBe('x@gmail.com');

    await typeInto('field-email', EMAIL);
    // A refused address keeps the box ticked.
    expect(await page.locator('#field-accept_guidelines').isChecked()).toBe(true);
    await tabTo('button:Email me a link');
    await pressAndLoad();
    await expectPage(AUTH_MESSAGES.checkEmail);
    expect(await page.locator('main').textContent()).toContain(EMAIL);
  });

  it('2. opens the verification email from the mailbox and reaches step 2', async () => {
    await followEmailLink(AUTH_MESSAGES.verifySubject(SITE), '/verify/');
    await expectPage('Finish joining');
    expect(await page.locator('main').textContent()).toContain(EMAIL);
  });

  it('3. refuses a bad handle and short password, then signs the new member in and shows settings', async () => {
    await typeInto('field-display_name', DISPLAY_NAME);
    await typeInto('field-handle', 'j!');
    await typeInto('field-password', 'too short');
    await tabTo('button:Join Commons');
    await pressAndLoad();
    await expectPage('Finish joining');
    await expectErrors([AUTH_MESSAGES.handleShape, PASSWORD_MESSAGES.tooShort(15)]);
    expect(await page.locator('#field-display_name').inputValue()).toBe(DISPLAY_NAME);
    expect(await page.locator('#field-password').inputValue(), 'a password is never sent back').toBe('');

    await typeInto('field-handle', 'jane_citizen');
    await typeInto('field-password', PASSWORD);
    await tabTo('button:Join Commons');
    await pressAndLoad();
    await expectPage(`Welcome, ${DISPLAY_NAME}`);
    expect(await page.getByRole('status').textContent()).toContain(AUTH_MESSAGES.welcome);

    await tabTo('a:Settings');
    await pressAndLoad();
    await expectPage('Settings');
    expect(await page.locator('a[aria-current="page"]').textContent()).toBe('Settings');
    const sessions = page.getByRole('table', { name: 'Your sessions' });
    expect(await sessions.locator('tbody tr').count()).toBe(1);
    expect(await sessions.textContent()).toContain('(this browser)');
    // Every control on the settings page, sessions table included, is reachable and visible
    // (the last is this session's button: with no other session there is no "everywhere else").
    await tabTo('button:Sign out here');
  });

  it('4. signs out, refuses a wrong password, then signs back in', async () => {
    // From the foot of the settings page, back up through the sessions table to the header.
    await signOutWithKeyboard({ backwards: true });

    await page.goto(site.url('/login'));
    await expectPage('Sign in');
    await typeInto('field-email', EMAIL);
    await typeInto('field-password', 'not my password at all, sorry');
    await tabTo('button:Sign in');
    await pressAndLoad();
    await expectPage('Sign in');
    expect((await page.getByRole('alert').textContent())?.replace(/\s+/g, ' ')).toContain(AUTH_MESSAGES.signInFailed);
    expect(await page.locator('#field-email').inputValue()).toBe(EMAIL);

    await typeInto('field-password', PASSWORD);
    await tabTo('button:Sign in');
    await pressAndLoad();
    await expectPage(`Welcome, ${DISPLAY_NAME}`, { axe: false });
    expect(await page.getByRole('status').count(), 'no notice after a plain sign-in').toBe(0);
  });

  it('5. resets a forgotten password from the emailed link, refusing a guessable one', async () => {
    await signOutWithKeyboard({ axe: false });

    await page.goto(site.url('/password/forgot'));
    await expectPage('Reset your password');
    await typeInto('field-email', EMAIL);
    await tabTo('button:Email me a link');
    await pressAndLoad();
    await expectPage(AUTH_MESSAGES.checkEmail);

    await followEmailLink(AUTH_MESSAGES.resetSubject(SITE), '/password/reset/', { axe: false });
    await expectPage('Choose a new password');

    await typeInto('field-password', 'passwordpassword');
    await tabTo('button:Set my new password');
    await pressAndLoad();
    await expectPage('Choose a new password');
    const summary = (await page.getByRole('alert').textContent()) ?? '';
    expect(summary).toContain('This password would be easy to guess.');

    await typeInto('field-password', NEW_PASSWORD);
    await tabTo('button:Set my new password');
    await pressAndLoad();
    await expectPage(`Welcome, ${DISPLAY_NAME}`);
    expect(await page.getByRole('status').textContent()).toContain(AUTH_MESSAGES.passwordReset);
  });
});
