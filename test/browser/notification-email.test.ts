import { describe, expect, it } from 'vitest';
import { expectNoAxeViolations, injectAt, pageCheck, signInOnPage, useBrowserSession } from '../support/browser.js';
import { postReply, startThread } from '../support/discussions.js';
import { createMember, signIn, type TestMember } from '../support/members.js';
import { minutesPass, queuedNotificationEmails } from '../support/notification-email.js';

const session = useBrowserSession();
const check = pageCheck('notification-email');

async function asMember(member: TestMember) {
  const browser = injectAt(session.site);
  expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
  return browser;
}

describe('the notification email and the email choices in a browser', () => {
  it('renders the HTML email in one column without sideways scrolling at 320 and 800 px, light and dark, a long unbroken word included', async () => {
    const { db } = session.site.t;
    const alex = await createMember(db);
    const blair = await createMember(db);
    const threadId = await startThread(await asMember(alex), 'questions', { title: 'Captioning short videos for every channel we run' });
    const body = `We caption everything in house. ${'Unbreakable'.repeat(20)} and then some more words about **captions**.`;
    expect((await postReply(await asMember(blair), threadId, { body })).statusCode).toBe(303);
    await minutesPass(db, 3);
    await session.site.t.app.mailWorker.composeAll();
    const [email] = await queuedNotificationEmails(db, alex.email);

    for (const colorScheme of ['light', 'dark'] as const) {
      for (const width of [320, 800]) {
        const page = await session.openPage(width, 800, { colorScheme });
        await page.setContent(email!.html);
        await expect.poll(() => page.getByRole('link', { name: 'Read it on Commons' }).count()).toBe(1);
        await check(page, `email-${colorScheme}`, width);
      }
    }
  });

  it('lets a member choose at /settings/notifications, accessibly at 320 and 1280 px', async () => {
    const member = await createMember(session.site.t.db);
    const page = await session.openPage(320);
    await signInOnPage(page, session.site, member);
    await page.goto(session.site.url('/settings/notifications'));
    await check(page, 'settings', 320);
    await page.getByRole('group', { name: 'Mentions of you' }).getByRole('radio', { name: 'Never email me' }).check();
    await page.getByLabel('Send the daily digest at').selectOption('17');
    await page.getByRole('button', { name: 'Save my email choices' }).click();
    await page.waitForURL(session.site.url('/settings/notifications'));
    await expect.poll(() => page.getByText('Your email choices are saved.').count()).toBe(1);
    expect(await page.getByRole('group', { name: 'Mentions of you' }).getByRole('radio', { name: 'Never email me' }).isChecked()).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
    await expectNoAxeViolations(page);
    await check(page, 'settings', 1280);
  });
});
