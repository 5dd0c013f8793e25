import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/lib/paths.js';
import { expectNoAxeViolations, injectAt, scrollWidth, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createMember, type TestMember } from '../support/members.js';
import { emailedPath } from '../support/membership.js';

// Issue 6, item 7: at 320 px the sessions table squeezed its buttons to one letter a line.
const session = useBrowserSession({ TRUST_PROXY: '1' });
const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-results');

/** Signs the member in through the form in this page, as a person would. */

/** Another session of the member, from another browser and network. */
async function signInElsewhere(member: TestMember, address: string, userAgent: string): Promise<void> {
  const browser = injectAt(session.site);
  const hidden = await browser.openForm('/login');
  const response = await browser.post('/login', { ...hidden, email: member.email, password: member.password }, { 'x-forwarded-for': address, 'user-agent': userAgent });
  expect(response.statusCode).toBe(303);
}

interface ButtonBox {
  name: string;
  height: number;
  /** Three lines of the button's text, with its padding and border. */
  threeLines: number;
}

async function buttonBoxes(page: Page): Promise<ButtonBox[]> {
  return page.evaluate<ButtonBox[]>(`[...document.querySelectorAll('button')].map((button) => {
    const css = getComputedStyle(button);
    const box = parseFloat(css.paddingTop) + parseFloat(css.paddingBottom) + parseFloat(css.borderTopWidth) + parseFloat(css.borderBottomWidth);
    return { name: button.textContent.trim().replace(/\\s+/g, ' '), height: button.getBoundingClientRect().height, threeLines: 3 * parseFloat(css.lineHeight) + box };
  })`);
}

describe('the settings page on a narrow screen', () => {
  it('keeps every button to three lines at most and the page from scrolling sideways at 320 px', async () => {
    const member = await createMember(session.site.t.db);
    await signInElsewhere(member, '203.0.113.57', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0');
    await signInElsewhere(member, '2001:db8:1234:5678::99', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1');
    const page = await session.openPage(320, 800);
    await signInOnPage(page, session.site, member);
    await page.goto(session.site.url('/settings'));
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'settings-320.png'), fullPage: true });

    const sessions = page.getByRole('table', { name: 'Your sessions' });
    expect(await sessions.locator('tbody tr').count()).toBe(3);
    expect(await sessions.getByRole('button', { name: /^End this session/ }).count()).toBe(2);
    const boxes = await buttonBoxes(page);
    expect(boxes.length).toBeGreaterThanOrEqual(6);
    for (const button of boxes) expect(button.height, `"${button.name}" is ${button.height} px tall`).toBeLessThanOrEqual(button.threeLines);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(320);
    // Each stacked cell is labelled with its column's heading.
    const networkLabel = await page.evaluate<string>(`getComputedStyle(document.querySelector('td[data-label="Network"]'), '::before').content`);
    expect(networkLabel).toContain('"Network"');
    await expectNoAxeViolations(page);
  });

  it('shows the sessions as a table at 1280 px with no accessibility problems', async () => {
    const member = await createMember(session.site.t.db);
    await signInElsewhere(member, '198.51.100.4', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0');
    const page = await session.openPage(1280, 800);
    await signInOnPage(page, session.site, member);
    await page.goto(session.site.url('/settings'));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'settings-1280.png'), fullPage: true });
    const headers = await page.getByRole('table', { name: 'Your sessions' }).getByRole('columnheader').allTextContents();
    expect(headers.map((text) => text.trim())).toEqual(['Browser', 'Network', 'Signed in', 'Last seen', 'Action']);
    await expectNoAxeViolations(page);
  });

  it.each([1280, 320])('changes the address by a link to the new one, telling what is wrong first, at %i px', async (width) => {
    const { db } = session.site.t;
    const member = await createMember(db, { email: `moving.${width}@finance.gov.au` });
    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, member);
    await page.goto(session.site.url('/settings'));
    await Promise.all([page.waitForURL(session.site.url('/settings/email')), page.getByRole('link', { name: /email address/i }).first().click()]);
    await page.getByLabel('New work email address').fill(member.email);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That is already your email address');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, `email-change-refused-${width}.png`), fullPage: true });

    const moved = `moved.${width}@health.gov.au`;
    await page.getByLabel('New work email address').fill(moved);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await expect.poll(() => page.locator('main .lead').textContent()).toContain(`If ${moved} can be used, we have sent it an email`);
    await expectNoAxeViolations(page);
    await page.goto(session.site.url(await emailedPath(db, moved, '/email-change/')));
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: path.join(SCREENSHOTS, `email-change-confirm-${width}.png`), fullPage: true });
    await page.getByRole('button', { name: 'Use this address' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain(`Your email address is now ${moved}`);
    expect((await db.selectFrom('members').select('email').where('id', '=', member.id).executeTakeFirstOrThrow()).email).toBe(moved);
    await expectNoAxeViolations(page);
  });
});
