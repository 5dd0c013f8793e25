import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../src/features/discussions/messages.js';
import { expectNoAxeViolations, injectAt, scrollWidth, signInOnPage, useBrowserSession } from '../support/browser.js';
import { postReply, startThread } from '../support/discussions.js';
import { createMember, signIn, type TestMember } from '../support/members.js';

const session = useBrowserSession();

/** Requests as the member, straight to the live site's app. */
async function asMember(member: TestMember) {
  const browser = injectAt(session.site);
  expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
  return browser;
}

/** A member with a reply to their thread waiting, and the thread's id. */
async function memberWithNotification(): Promise<{ member: TestMember; threadId: number }> {
  const member = await createMember(session.site.t.db);
  const other = await createMember(session.site.t.db);
  const threadId = await startThread(await asMember(member), 'questions', { title: 'Captioning short videos' });
  expect((await postReply(await asMember(other), threadId, { body: 'We caption everything in house.' })).statusCode).toBe(303);
  return { member, threadId };
}

async function expectAccessibleAt(page: Page, width: number): Promise<void> {
  await page.setViewportSize({ width, height: 800 });
  expect(await scrollWidth(page), `${page.url()} at ${width} px`).toBeLessThanOrEqual(width);
  await expectNoAxeViolations(page);
}

describe('notifications and watching in a browser', () => {
  it('shows the unread count, the list, and the post a notification leads to, accessibly at 1280 and 320 px', async () => {
    const { member } = await memberWithNotification();
    const page = await session.openPage();
    await signInOnPage(page, session.site, member);
    await expectAccessibleAt(page, 320);
    await expectAccessibleAt(page, 1280);

    const header = page.getByRole('navigation', { name: 'Main' });
    await header.getByRole('link', { name: 'Notifications 1 unread' }).click();
    await page.waitForURL(session.site.url('/notifications'));
    await expectAccessibleAt(page, 320);
    await expectAccessibleAt(page, 1280);

    await page.getByRole('link', { name: /replied to your thread “Captioning short videos”/ }).click();
    await page.waitForURL(/\/t\/\d+\/captioning-short-videos#post-\d+$/);
    expect(await header.getByRole('link', { name: 'Notifications', exact: true }).count()).toBe(1);
    await expectAccessibleAt(page, 320);
    await expectAccessibleAt(page, 1280);
  });

  it('mutes a thread and watches a category from their pages, accessibly', async () => {
    const { member, threadId } = await memberWithNotification();
    const page = await session.openPage();
    await signInOnPage(page, session.site, member);
    await page.goto(session.site.url(`/t/${threadId}`));
    await page.getByRole('button', { name: 'Mute' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toContain(DISCUSSION_MESSAGES.threadMuted);
    await expectAccessibleAt(page, 320);

    await page.goto(session.site.url('/c/questions'));
    await page.getByRole('button', { name: 'Watch Questions and answers' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toContain(DISCUSSION_MESSAGES.categoryWatched);
    await expectAccessibleAt(page, 320);
    await expectAccessibleAt(page, 1280);
  });

  it('shows an empty list and a new member’s home accessibly', async () => {
    const member = await createMember(session.site.t.db);
    const page = await session.openPage();
    await signInOnPage(page, session.site, member);
    await expectAccessibleAt(page, 320);
    await page.goto(session.site.url('/notifications'));
    expect(await page.getByText(DISCUSSION_MESSAGES.noNotifications).count()).toBe(1);
    await expectAccessibleAt(page, 320);
    await expectAccessibleAt(page, 1280);
  });
});
