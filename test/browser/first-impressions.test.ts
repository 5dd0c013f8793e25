import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectNoAxeViolations, scrollWidth, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createMember } from '../support/members.js';

// Issue 7, items 7 and 8: what a newcomer sees first (a short landing page, who runs the site,
// the accessibility statement) and the header once signed in.
const session = useBrowserSession({ OPERATOR_NAME: 'Department of Example Services' });


interface Box {
  top: number;
  height: number;
  /** Where the middle of the element's text is: its content box's middle. */
  textMiddle: number;
}

async function box(page: Page, selector: string): Promise<Box> {
  return page.evaluate<Box>(`(() => {
    const element = document.querySelector(${JSON.stringify(selector)});
    const rect = element.getBoundingClientRect();
    const css = getComputedStyle(element);
    const top = rect.top + parseFloat(css.borderTopWidth) + parseFloat(css.paddingTop);
    const bottom = rect.bottom - parseFloat(css.borderBottomWidth) - parseFloat(css.paddingBottom);
    return { top: rect.top, height: rect.height, textMiddle: (top + bottom) / 2 };
  })()`);
}

describe('the header', () => {
  it("keeps Settings and Sign out on one line with the member's name and role, no taller than when signed out", async () => {
    const page = await session.openPage(1280, 800);
    await page.goto(session.site.url('/'));
    const signedOut = await box(page, '.site-header__inner');

    const member = await createMember(session.site.t.db, { role: 'moderator' });
    await signInOnPage(page, session.site, member);
    const signedIn = await box(page, '.site-header__inner');
    expect(signedIn.height).toBe(signedOut.height);

    const settings = await box(page, '.site-nav a[href="/settings"]');
    const signOut = await box(page, '.site-nav__signout button');
    const who = await box(page, '.site-nav__member');
    expect(Math.abs(settings.textMiddle - signOut.textMiddle), 'Settings and Sign out text on one line').toBeLessThanOrEqual(1);
    expect(Math.abs(who.textMiddle - signOut.textMiddle), 'the name on the same line').toBeLessThanOrEqual(1);
    const banner = page.getByRole('banner');
    expect((await banner.getByRole('navigation').textContent())?.replace(/\s+/g, ' ')).toContain(`Signed in as ${member.displayName} Moderator`);
    await expectNoAxeViolations(page);
  });

  it('fits a 320 px screen signed in, with nothing scrolling sideways', async () => {
    const member = await createMember(session.site.t.db, { role: 'administrator' });
    const page = await session.openPage(320, 800);
    await signInOnPage(page, session.site, member);
    expect(await page.locator('.site-nav__role').textContent()).toBe('Administrator');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(320);
    await expectNoAxeViolations(page);
  });
});

describe('the landing page', () => {
  it.each([1280, 320])('is short and scannable at %i px: what it is, three things members do, who can join and how', async (width) => {
    const page = await session.openPage(width, 800);
    await page.goto(session.site.url('/'));
    const words = ((await page.locator('main').textContent()) ?? '').split(/\s+/).filter(Boolean).length;
    expect(words, 'words on the landing page').toBeLessThanOrEqual(200);
    const headings = (await page.locator('main h2').allTextContents()).map((text) => text.trim());
    expect(headings).toEqual(['What members do here', 'Who can join', 'How to join']);
    expect(await page.locator('main h2 + ul > li').count()).toBe(3);
    // The way in is on the first screen.
    const join = page.getByRole('link', { name: 'Join with your work email' });
    expect(await join.isVisible()).toBe(true);
    const joinBox = (await join.boundingBox())!;
    expect(joinBox.y + joinBox.height).toBeLessThanOrEqual(800);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
  });
});

describe('trust', () => {
  it.each([1280, 320])('shows the beta banner, the operator and the accessibility statement at %i px', async (width) => {
    const page = await session.openPage(width, 800);
    await page.goto(session.site.url('/'));
    const banner = page.locator('.phase-banner');
    expect((await banner.textContent())?.replace(/\s+/g, ' ').trim()).toBe('Beta This is a new service – your feedback will help us improve it.');
    expect(await banner.getByRole('link', { name: 'feedback' }).getAttribute('href')).toBe('/contact');
    expect(await page.getByRole('contentinfo').textContent()).toContain('Commons is run by Department of Example Services.');
    expect(await page.locator('.site-name__mark').isVisible()).toBe(true);

    await Promise.all([page.waitForURL(session.site.url('/accessibility')), page.getByRole('contentinfo').getByRole('link', { name: 'Accessibility' }).click()]);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Accessibility statement');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
  });
});
