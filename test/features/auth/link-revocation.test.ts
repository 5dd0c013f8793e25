import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createMember, signedInBrowser, signIn, type TestMember } from '../../support/members.js';
import { choosePassword, lockOut, resetPathFor } from '../../support/membership.js';

// Issue 15, item 5: a member who reacts to trouble (a new password, a reset, "sign out
// everywhere") must not leave a working way in sitting in their mailbox.
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

const NEW_PASSWORD = 'lantern-orchard-copper-83-meadow';
const OTHER_PASSWORD = 'saddle-quarry-moonlit-29-thistle';

async function newMember(): Promise<TestMember> {
  return createMember(t.db, { email: `links.${randomBytes(4).toString('hex')}@finance.gov.au` });
}

/** An outstanding reset link and an outstanding unlock link (the address locked, then the lock waited out by no one). */
async function linksInMailbox(member: TestMember): Promise<{ reset: string; unlock: string }> {
  const unlock = await lockOut(t.app, t.db, member);
  const reset = await resetPathFor(t.app, t.db, member);
  return { reset, unlock };
}

async function expectSpent(path: string): Promise<void> {
  const page = await new Browser(t.app).get(path);
  expect(page.statusCode, path).toBe(400);
  expect(page.body).toContain(AUTH_MESSAGES.invalidLinkTitle);
}

/** Posting the link's form anyway, with a form token from another page, does nothing either. */
async function expectPostRefused(path: string, fields: Record<string, string> = {}): Promise<void> {
  const browser = new Browser(t.app);
  const hidden = await browser.openForm('/password/forgot');
  const response = await browser.post(path, { _csrf: hidden._csrf!, ...fields });
  expect(response.statusCode, path).toBe(400);
}

async function postFromSettings(browser: Browser, url: string, fields: Record<string, string> = {}) {
  const hidden = await browser.openForm('/settings');
  return browser.post(url, { _csrf: hidden._csrf!, ...fields });
}

describe('reset and unlock links after the member reacts', () => {
  it('are spent by a password change', async () => {
    const member = await newMember();
    const browser = await signedInBrowser(t.app, member, member.password);
    const links = await linksInMailbox(member);
    expect((await postFromSettings(browser, '/settings/password', { current_password: member.password, new_password: NEW_PASSWORD })).statusCode).toBe(303);

    await expectSpent(links.reset);
    await expectSpent(links.unlock);
    await expectPostRefused(links.reset, { password: OTHER_PASSWORD });
    expect((await signIn(new Browser(t.app), member.email, OTHER_PASSWORD)).statusCode).toBe(422);
  });

  it('are spent by "sign out everywhere else"', async () => {
    const member = await newMember();
    const browser = await signedInBrowser(t.app, member, member.password);
    const links = await linksInMailbox(member);
    expect((await postFromSettings(browser, '/settings/sessions/end-others')).statusCode).toBe(303);

    await expectSpent(links.reset);
    await expectSpent(links.unlock);
    await expectPostRefused(links.reset, { password: OTHER_PASSWORD });
    await expectPostRefused(links.unlock);
  });

  it('leave no unlock link working once a reset is done', async () => {
    const member = await newMember();
    const links = await linksInMailbox(member);
    expect((await choosePassword(t.app, links.reset, NEW_PASSWORD)).statusCode).toBe(303);

    await expectSpent(links.reset);
    await expectSpent(links.unlock);
    await expectPostRefused(links.unlock);
  });

  it("leave another member's links working", async () => {
    const member = await newMember();
    const bystander = await newMember();
    const theirs = await linksInMailbox(bystander);
    const browser = await signedInBrowser(t.app, member, member.password);
    expect((await postFromSettings(browser, '/settings/sessions/end-others')).statusCode).toBe(303);

    expect((await new Browser(t.app).get(theirs.reset)).statusCode).toBe(200);
    expect((await new Browser(t.app).get(theirs.unlock)).statusCode).toBe(200);
  });
});
