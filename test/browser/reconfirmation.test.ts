import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/lib/paths.js';
import { expectNoAxeViolations, scrollWidth, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createMember } from '../support/members.js';
import { emailedPath } from '../support/membership.js';

const session = useBrowserSession();
const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-results');

describe('re-confirming a work address (issue 11, item 4)', () => {
  it.each([1280, 320])('holds a member past their date to the page that explains it, and the emailed link lets them back in, at %i px', async (width) => {
    const { db } = session.site.t;
    const member = await createMember(db, { email: `reconfirming.${width}@finance.gov.au` });
    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, member);
    await db.updateTable('members').set({ verified_at: sql<Date>`now() - interval '13 months'`, reconfirmation_reminded_at: sql<Date>`now() - interval '13 months' + interval '1 second'` }).where('id', '=', member.id).execute();

    await page.goto(session.site.url('/resources'));
    await page.waitForURL(session.site.url('/reconfirm'));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Confirm your work email address');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `reconfirm-${width}.png`), fullPage: true });

    await page.getByRole('button', { name: 'Email me a link' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain(`We have sent a link to ${member.email}`);
    await expectNoAxeViolations(page);

    await page.goto(session.site.url(await emailedPath(db, member.email, '/reconfirm/')));
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
    await Promise.all([page.waitForURL(session.site.url('/')), page.getByRole('button', { name: 'Confirm my address' }).click()]);
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('your work email address is confirmed');
    await page.goto(session.site.url('/resources'));
    expect(page.url()).toBe(session.site.url('/resources'));
  });
});
