import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoAxeViolations, scrollWidth, signInOnPage, useBrowserSession } from '../support/browser.js';
import { CSV_TEXT, pdfBytes } from '../support/file-fixtures.js';
import { createAgency, createMember } from '../support/members.js';
import { useTempDirs } from '../support/temp-dirs.js';

// Issue 9: a member shares a case study with two files through the form, finds it by filtering
// on agency type and initiative type, downloads a file and replies in its discussion, by label as
// a person would, with axe on every page, at a desktop and a phone width.
const session = useBrowserSession({ RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '100' });
const tempDir = useTempDirs('browser-files');

describe('the resource library', () => {
  it.each([1280, 320])('shares a case study with two files, finds it by agency type and initiative type, downloads a file and discusses it at %i px', async (width) => {
    const { db } = session.site.t;
    const agency = await createAgency(db, { name: `Shire of Browsers ${width}`, jurisdiction: 'local' });
    await db.updateTable('agencies').set({ agency_type: 'council' }).where('id', '=', agency.id).execute();
    const member = await createMember(db, { agency });
    const page = await session.openPage(width, 800);
    await signInOnPage(page, session.site, member);

    await Promise.all([page.waitForURL(session.site.url('/resources')), page.getByRole('link', { name: 'Resources', exact: true }).click()]);
    await expectNoAxeViolations(page);
    await Promise.all([page.waitForURL(session.site.url('/resources/new')), page.getByRole('link', { name: 'Share a resource' }).click()]);
    await expectNoAxeViolations(page);
    // Sent empty first: the messages, by field, are part of the page axe checks.
    await page.getByRole('button', { name: 'Share the resource' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Choose what kind of resource it is');
    await expectNoAxeViolations(page);

    const title = `Rates call-back queue ${width}`;
    await page.getByLabel('Case study').check();
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Summary').fill('How a council cut waiting on its rates line with call-backs.');
    await page.getByLabel('Service delivery').check();
    expect(await page.getByLabel('Agency it comes from').inputValue()).toBe(String(agency.id));
    await page.getByLabel('Tags').fill('phones, queues');
    await page.getByLabel('Context', { exact: true }).fill('Callers waited 40 minutes.');
    await page.getByLabel('What was done').fill('A call-back queue.');
    await page.getByLabel('Outcome').fill('Waits fell to 6 minutes.');
    await page.getByLabel('Lessons learned').fill('Tell callers where they are in the queue.');
    const dir = tempDir();
    const report = path.join(dir, 'Call-back evaluation.pdf');
    fs.writeFileSync(report, pdfBytes('Call-back evaluation'));
    fs.writeFileSync(path.join(dir, 'waits.csv'), CSV_TEXT);
    await page.getByLabel('Files').setInputFiles([report, path.join(dir, 'waits.csv')]);
    await page.getByRole('button', { name: 'Share the resource' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Your resource has been shared.');
    expect(await page.getByRole('heading', { level: 2, name: 'Lessons learned' }).count()).toBe(1);
    const files = page.getByRole('region', { name: 'Files' });
    expect(await files.getByRole('link').allTextContents()).toEqual(['Call-back evaluation.pdf', 'waits.csv']);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);

    await page.getByRole('link', { name: 'Resources', exact: true }).click();
    await page.getByLabel('Type of agency').selectOption('council');
    await page.getByLabel('Initiative type').selectOption('service-delivery');
    await Promise.all([page.waitForURL(/\/resources\?.*agency_type=council/), page.getByRole('button', { name: 'Show resources' }).click()]);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
    await page.getByRole('link', { name: title }).click();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Call-back evaluation.pdf' }).click()]);
    expect(download.suggestedFilename()).toBe('Call-back evaluation.pdf');
    expect(fs.readFileSync(await download.path()).equals(fs.readFileSync(report))).toBe(true);

    await page.getByLabel('Reply').fill('We did the same, and it worked.');
    await page.getByRole('button', { name: 'Post reply' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Your reply has been posted.');
    await page.getByRole('link', { name: title }).first().click();
    await expect.poll(() => page.locator('.post__body').last().textContent()).toContain('We did the same, and it worked.');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(width);
    await expectNoAxeViolations(page);
  });
});
