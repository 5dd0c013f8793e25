import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser as Chromium, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { PROJECT_ROOT } from '../../src/lib/paths.js';
import { Browser, buildTestApp, type TestApp, type TestAppOptions } from './app.js';
import { testSecondFactorCode } from './members.js';
import { freePort } from './process.js';

// The machine has no network: without these flags chromium keeps trying to reach Google's
// update, sync and field-trial services, which slows every launch.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Debian's chromium (or CHROMIUM_PATH); playwright never downloads a browser of its own. */
export function launchChromium(): Promise<Chromium> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

export interface LiveSite {
  t: TestApp;
  /** `http://127.0.0.1:<port>`, the app's PUBLIC_URL. */
  origin: string;
  url(path: string): string;
  close(): Promise<void>;
}

/**
 * The real app listening on a real port. PUBLIC_URL must be known before the app is built:
 * POSTs are checked against its origin and the development mailbox against its host.
 * `options` passes the rest of buildTestApp's options (probe routes, a shared database).
 */
export interface SiteOptions extends Omit<TestAppOptions, 'env'> {
  /** The site's host name: `localhost` where an IP address will not do (WebAuthn's relying party id). */
  hostname?: '127.0.0.1' | 'localhost';
}

export async function startSite(env: Record<string, string> = {}, { hostname = '127.0.0.1', ...options }: SiteOptions = {}): Promise<LiveSite> {
  const port = await freePort();
  const origin = `http://${hostname}:${port}`;
  const t = await buildTestApp({ ...options, env: { PUBLIC_URL: origin, PORT: String(port), ...env } });
  try {
    await t.app.listen({ host: '127.0.0.1', port });
  } catch (error) {
    await t.close();
    throw error;
  }
  return { t, origin, url: (path) => new URL(path, origin).toString(), close: () => t.close() };
}

export interface BrowserSession {
  readonly site: LiveSite;
  /** A fresh browser context and page, its CSP violations checked after the test. */
  openPage(width?: number, height?: number, options?: BrowserContextOptions): Promise<Page>;
}

/**
 * One chromium and one live site for a test file: started before its tests, closed after, and
 * every test failed that made the page report a Content Security Policy violation.
 */
export function useBrowserSession(env: Record<string, string> = {}, options: SiteOptions = {}): BrowserSession {
  let site: LiveSite | undefined;
  let browser: Chromium | undefined;
  // Every context a test opened (a test may act as two members at once), closed after it.
  let contexts: BrowserContext[] = [];
  let cspViolations: string[][] = [];
  beforeAll(async () => {
    // One after the other, so afterAll can close whichever started if the other fails.
    browser = await launchChromium();
    site = await startSite(env, options);
  });
  afterEach(async () => {
    for (const context of contexts) await context.close();
    contexts = [];
    expect(cspViolations.flat(), 'Content Security Policy violations').toEqual([]);
    cspViolations = [];
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });
  return {
    get site() {
      if (!site) throw new Error('the site is not started yet');
      return site;
    },
    async openPage(width = 1280, height = 800, options = {}) {
      const context = await browser!.newContext({ ...options, viewport: { width, height } });
      contexts.push(context);
      const page = await context.newPage();
      cspViolations.push(await collectCspViolations(page));
      return page;
    },
  };
}

/** Requests straight to the live site's app (app.inject), as a browser on its origin makes them. */
export function injectAt(site: LiveSite): Browser {
  return new Browser(site.t.app, new URL(site.origin).host);
}

/** Signs the member in through the sign-in form in this page, as a person would. */
export async function signInOnPage(page: Page, site: LiveSite, member: { email: string; password: string }): Promise<void> {
  await page.goto(site.url('/login'));
  await page.getByLabel('Work email address').fill(member.email);
  await page.getByLabel('Password', { exact: true }).fill(member.password);
  const code = await testSecondFactorCode(member.email, injectAt(site).now());
  if (code === undefined) {
    await Promise.all([page.waitForURL(site.url('/')), page.getByRole('button', { name: 'Sign in' }).click()]);
    return;
  }
  // Staff have the test authenticator app: its code, as they would type it.
  await Promise.all([page.waitForURL(site.url('/login/second-factor')), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.getByLabel('Code from your authenticator app').fill(code);
  await Promise.all([page.waitForURL(site.url('/')), page.getByRole('button', { name: 'Continue' }).click()]);
}

/** The contact form filled in by label, as a person would, ready to send. */
export async function fillContactForm(page: Page, subject: string, message: string): Promise<void> {
  await page.getByLabel('Your name', { exact: true }).fill('Alex Citizen');
  await page.getByLabel('Your email address', { exact: true }).fill('alex@agency.gov.au');
  await page.getByLabel('Subject', { exact: true }).fill(subject);
  await page.getByLabel('Message', { exact: true }).fill(message);
}

const CSP_PATTERN = /Content Security Policy|Refused to/i;

/**
 * Everything the page reports about blocked content. Chromium logs each violation to the
 * console; the `securitypolicyviolation` event is listened for by an init script, which the
 * browser runs itself, so the page's own policy (no inline script) does not block it.
 */
export async function collectCspViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (CSP_PATTERN.test(message.text())) violations.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => {
    if (CSP_PATTERN.test(error.message)) violations.push(`page error: ${error.message}`);
  });
  await page.exposeBinding('__reportCspViolation', (_source, report: string) => {
    violations.push(`securitypolicyviolation: ${report}`);
  });
  await page.addInitScript(`
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' at ' + event.sourceFile + ':' + event.lineNumber);
    });
  `);
  return violations;
}

/** Fails with one readable line per violation: rule, impact, the elements concerned. */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const violations = results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(' ')),
  }));
  const summary = violations.map((v) => `${v.rule} (${v.impact}): ${v.targets.join(', ')}`).join('; ');
  expect(violations, `axe on ${page.url()}: ${summary}`).toEqual([]);
}

/** The page's scrollable width, to catch content that forces sideways scrolling. */
export async function scrollWidth(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth');
}

/**
 * A browser test's check of each page it reaches: axe reports nothing, the page does not scroll
 * sideways at `width`, and a full-page screenshot `<name>-<width>.png` is kept in
 * test-results/<folder> (or SCREENSHOT_DIR), for a person to look at.
 */
export function pageCheck(folder: string): (page: Page, name: string, width: number) => Promise<void> {
  const dir = process.env.SCREENSHOT_DIR ?? path.join(PROJECT_ROOT, 'test-results', folder);
  return async (page, name, width) => {
    await expectNoAxeViolations(page);
    expect(await scrollWidth(page), `${name} at ${width} px scrolls sideways`).toBeLessThanOrEqual(width);
    fs.mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${name}-${width}.png`), fullPage: true });
  };
}

/** The post (article) on a thread page whose own body says this (not one that only quotes or answers it). */
export function postWith(page: Page, text: string) {
  return page.locator('article.post').filter({ has: page.locator('.post__body > p', { hasText: text }) });
}

/** The focused element's id, or its text when it has none (a link, a button). */
export async function focusedElement(page: Page): Promise<string> {
  const focused = page.locator(':focus');
  if ((await focused.count()) !== 1) return '(nothing focused)';
  const id = await focused.getAttribute('id');
  return id ? `#${id}` : ((await focused.textContent()) ?? '').trim();
}
