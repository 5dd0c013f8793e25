import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { EMAIL_BOUNCE_BANNER as BANNER, ELIGIBILITY_MESSAGES as M } from '../../src/features/eligibility/messages.js';
import { PROJECT_ROOT } from '../../src/lib/paths.js';
import { expectNoAxeViolations, scrollWidth, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createMember } from '../support/members.js';

const session = useBrowserSession();
const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-results');

describe('the banner of an address that refused email (issue 12, item 5)', () => {
  it.each([1280, 320])('says what happened with the server’s reply, and the member asks to try again, at %i px', async (width) => {
    const { db } = session.site.t;
    const member = await createMember(db, { email: `bouncing.${width}@finance.gov.au` });
    const reply = `550 5.1.1 <${member.email}>: Recipient address rejected: User unknown in virtual mailbox table`;
    await db.updateTable('members').set({ email_bounced_at: sql`now()`, email_bounce_response: reply }).where('id', '=', member.id).execute();
    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, member);

    await page.goto(session.site.url('/resources'));
    const banner = page.getByRole('alert').filter({ hasText: BANNER.title });
    expect(await banner.getByRole('heading', { level: 2 }).textContent()).toBe(BANNER.title);
    expect(await banner.locator('code').textContent()).toBe(reply);
    expect(await banner.getByRole('link', { name: BANNER.changeAddress }).getAttribute('href')).toBe('/settings/email');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `email-bounce-${width}.png`), fullPage: true });

    await Promise.all([page.waitForURL(session.site.url('/')), banner.getByRole('button', { name: BANNER.retry }).click()]);
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain(M.bounceRetried);
    expect(await page.getByRole('alert').filter({ hasText: BANNER.title }).count()).toBe(0);
  });
});
