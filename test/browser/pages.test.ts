import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CONTACT_MESSAGES } from '../../src/features/contact/messages.js';
import { expectNoAxeViolations, fillContactForm, focusedElement, scrollWidth, useBrowserSession } from '../support/browser.js';

// One app for the file: the contact form allows 5 messages an hour from one address, and
// these tests post 4 (an empty one and three real ones).
const session = useBrowserSession();
const openPage = session.openPage;

async function visit(page: Page, path: string, status = 200): Promise<void> {
  const response = await page.goto(session.site.url(path));
  expect(response?.status(), `GET ${path}`).toBe(status);
}

/** After the POST-redirect-GET: the form again, with the notice that only a sent message gets. */
async function expectThankYou(page: Page): Promise<void> {
  const notice = page.getByRole('status');
  await notice.waitFor();
  await page.waitForLoadState('load');
  expect(page.url()).toBe(session.site.url('/contact'));
  expect(await notice.textContent()).toContain(CONTACT_MESSAGES.sent);
}

describe('pages in a browser', () => {
  const pages = ['/', '/guidelines', '/privacy', '/accessibility', '/contact'];

  it.each(pages)('shows %s at 1280 px wide with no accessibility problems', async (path) => {
    const page = await openPage(1280);
    await visit(page, path);
    await expectNoAxeViolations(page);
  });

  it.each(pages)('shows %s at 320 px wide without sideways scrolling or accessibility problems', async (path) => {
    const page = await openPage(320, 640);
    await visit(page, path);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(320);
    await expectNoAxeViolations(page);
  });

  it.each([
    { path: '/no-such-page', status: 404, reason: 'a page that does not exist' },
    { path: '/?q=%FF', status: 400, reason: 'a query string that is not UTF-8' },
  ])('answers $reason with an accessible $status page', async ({ path, status }) => {
    const page = await openPage();
    await visit(page, path, status);
    await expect(page.getByRole('heading', { level: 1 }).count()).resolves.toBe(1);
    await expectNoAxeViolations(page);
  });

  it('shows the contact form errors accessibly, then thanks the sender', async () => {
    const page = await openPage();
    await visit(page, '/contact');
    await page.getByRole('button', { name: 'Send message' }).click();

    const summary = page.getByRole('alert');
    await summary.waitFor();
    await page.waitForLoadState('load');
    expect(await summary.getByRole('heading', { name: 'There is a problem' }).count()).toBe(1);
    for (const label of ['Your name', 'Your email address', 'Subject', 'Message']) {
      const field = page.getByLabel(label, { exact: true });
      expect(await field.getAttribute('aria-invalid'), label).toBe('true');
      const errorId = (await field.getAttribute('aria-describedby'))?.split(' ').find((id) => id.startsWith('error-'));
      expect(errorId, `${label} names its error`).toBeDefined();
      expect(await page.locator(`#${errorId}`).isVisible(), `${label} shows its error`).toBe(true);
    }
    // Each item in the summary leads to its field.
    expect(await summary.getByRole('link').count()).toBe(4);
    await expectNoAxeViolations(page);

    await fillContactForm(page, 'Joining from a council', 'Can people from local government join?');
    await page.getByRole('button', { name: 'Send message' }).click();
    await expectThankYou(page);
    expect(await page.getByRole('alert').count()).toBe(0);
    await expectNoAxeViolations(page);
  });

  it('lets a keyboard user skip to the content and send the contact form', async () => {
    const page = await openPage();
    await visit(page, '/contact');

    await page.keyboard.press('Tab');
    const skipLink = page.getByRole('link', { name: 'Skip to main content' });
    expect(await focusedElement(page)).toBe('Skip to main content');
    const box = await skipLink.boundingBox();
    const viewport = page.viewportSize()!;
    expect(box, 'the focused skip link is rendered').not.toBeNull();
    expect(box!.width).toBeGreaterThan(0);
    expect(box!.height).toBeGreaterThan(0);
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);
    expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height);

    await page.keyboard.press('Enter');
    expect(await focusedElement(page)).toBe('#main');

    const entries = [
      { field: '#field-name', text: 'Sam Keyboard' },
      { field: '#field-email', text: 'sam@agency.gov.au' },
      { field: '#field-subject', text: 'Using the site without a mouse' },
      { field: '#field-message', text: 'Every field was reachable with Tab.' },
    ];
    for (const { field, text } of entries) {
      await page.keyboard.press('Tab');
      expect(await focusedElement(page)).toBe(field);
      await page.keyboard.type(text);
    }
    await page.keyboard.press('Tab');
    expect(await focusedElement(page)).toBe('Send message');
    await page.keyboard.press('Enter');
    await expectThankYou(page);
  });

  it('shows a sent contact message in the development mailbox', async () => {
    const subject = 'Mailbox check';
    const message = 'This message should reach the development mailbox.';
    const page = await openPage();
    await visit(page, '/contact');
    await fillContactForm(page, subject, message);
    await page.getByRole('button', { name: 'Send message' }).click();
    await expectThankYou(page);
    expect(await session.site.t.app.mailWorker.runOnce()).toBeGreaterThanOrEqual(1);

    await visit(page, '/dev/mail');
    const link = page.getByRole('link', { name: subject });
    expect(await link.count()).toBe(1);
    await expectNoAxeViolations(page);

    await Promise.all([page.waitForURL(/\/dev\/mail\/[A-Za-z0-9-]+$/), link.click()]);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain(subject);
    expect(await page.locator('pre.mail-body').textContent()).toContain(message);
    await expectNoAxeViolations(page);
  });
});
