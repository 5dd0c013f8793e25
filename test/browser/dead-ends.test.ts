import { describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../src/features/auth/messages.js';
import { expectNoAxeViolations, scrollWidth, useBrowserSession } from '../support/browser.js';

// Issue 7 items 4 and 5: a dead link and a refused address each say what happened and where to
// go next, readably at 1280 px and 320 px.
const session = useBrowserSession();
const SCREENSHOTS = process.env.SCREENSHOT_DIR;

describe('pages that used to be dead ends', () => {
  for (const width of [1280, 320]) {
    it(`explains a used or expired sign-up link and links onwards, at ${width} px`, async () => {
      const page = await session.openPage(width);
      const response = await page.goto(session.site.url(`/verify/${'C'.repeat(43)}`));
      expect(response?.status()).toBe(400);
      expect((await page.getByRole('heading', { level: 1 }).textContent())?.trim()).toBe(AUTH_MESSAGES.invalidLinkTitle);
      await page.getByRole('link', { name: 'Start joining again' }).click();
      expect(new URL(page.url()).pathname).toBe('/signup');
      await page.goBack();
      await expectNoAxeViolations(page);
      expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
      if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/invalid-link-${width}.png`, fullPage: true });
    });

    it(`tells a refused address who can join and how to ask for an agency, at ${width} px`, async () => {
      const page = await session.openPage(width);
      await page.goto(session.site.url('/signup'));
      await page.getByLabel('Work email address').fill('someone@gmail.com');
      await page.getByLabel(/I have read and accept/).check();
      await page.getByRole('button', { name: 'Email me a link' }).click();
      expect(await page.getByRole('heading', { name: 'Who can join' }).count()).toBe(1);
      expect(await page.getByRole('link', { name: 'tell the operators' }).getAttribute('href')).toBe('/contact');
      await expectNoAxeViolations(page);
      expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
      if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/refused-signup-${width}.png`, fullPage: true });
    });
  }
});
