import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createMember, signedInBrowser, type TestMember } from '../../support/members.js';
import { answerRequests, choosePassword, emailedPath, pressUnlock, resetPathFor, WRONG_PASSWORD } from '../../support/membership.js';

// Issue 15, item 4: a member could be kept out by someone else. After following the emailed
// unlock link, the right password still got 429 (Retry-After: 3292); a password set through a
// reset got 429 from another browser; three forgotten-password requests by a stranger used up
// the member's own reset budget. Here, as in production, an address may have as many failed
// sign-ins an hour as it takes to lock it (5), so the stranger's five also use up that limit.
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { TRUST_PROXY: '1', RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: '5' } });
});
afterAll(async () => t.close());

// Each client its own address, so no test's failures count against another's client.
let clients = 0;
const clientAddress = () => `198.51.100.${(clients += 1)}`;
const NEW_PASSWORD = 'lantern-orchard-copper-83-meadow';

async function newMember(): Promise<TestMember> {
  return createMember(t.db, { email: `kept.out.${randomBytes(4).toString('hex')}@finance.gov.au` });
}

async function signInFrom(ip: string, email: string, password: string, browser = new Browser(t.app)) {
  const hidden = await browser.openForm('/login');
  return browser.post('/login', { ...hidden, email, password }, { 'x-forwarded-for': ip });
}

/** Someone else fails five times on the member's address: it is locked, and its hourly limit used up. */
async function strangerLocksOut(member: TestMember, ip = clientAddress()): Promise<void> {
  for (let i = 0; i < 5; i += 1) expect((await signInFrom(ip, member.email, WRONG_PASSWORD)).statusCode).toBe(422);
  const locked = await signInFrom(ip, member.email, member.password);
  expect([422, 429]).toContain(locked.statusCode);
}

/** A browser the member has signed in from, signed out again: it keeps its device cookie. */
async function knownBrowser(member: TestMember): Promise<Browser> {
  const browser = await signedInBrowser(t.app, member, member.password);
  const form = await browser.openForm('/settings');
  expect((await browser.post('/logout', { _csrf: form._csrf! })).statusCode).toBe(303);
  return browser;
}

async function askForResetFrom(browser: Browser, email: string) {
  const hidden = await browser.openForm('/password/forgot');
  expect((await browser.post('/password/forgot', { ...hidden, email })).statusCode).toBe(200);
  await answerRequests(t.app);
}

async function resetEmailsTo(member: TestMember): Promise<number> {
  return (await t.db.selectFrom('outbound_emails').select('id').where('to_address', '=', member.email).where('kind', '=', 'auth.reset').execute()).length;
}

describe('a member kept out by someone else', () => {
  it('signs in with the right password once they have followed the unlock link', async () => {
    const member = await newMember();
    await strangerLocksOut(member);
    expect((await pressUnlock(t.app, await emailedPath(t.db, member.email, '/unlock/'))).statusCode).toBe(303);
    const response = await signInFrom(clientAddress(), member.email, member.password);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.statusCode).toBe(303);
  });

  it('signs in from another browser with a password set through a reset', async () => {
    const member = await newMember();
    await strangerLocksOut(member);
    expect((await choosePassword(t.app, await resetPathFor(t.app, t.db, member), NEW_PASSWORD)).statusCode).toBe(303);
    expect((await signInFrom(clientAddress(), member.email, NEW_PASSWORD)).statusCode).toBe(303);
  });

  it('signs in from a browser they have used before, past a lock a stranger caused; a new browser stays locked out', async () => {
    const member = await newMember();
    const known = await knownBrowser(member);
    await strangerLocksOut(member);

    const elsewhere = await signInFrom(clientAddress(), member.email, member.password);
    expect([422, 429]).toContain(elsewhere.statusCode);
    expect((await signInFrom(clientAddress(), member.email, member.password, known)).statusCode).toBe(303);
  });

  it("locks a known browser by its own failures, and leaves the address to the member's other browsers", async () => {
    const member = await newMember();
    const known = await knownBrowser(member);
    for (let i = 0; i < 5; i += 1) expect((await signInFrom(clientAddress(), member.email, WRONG_PASSWORD, known)).statusCode).toBe(422);
    const refused = await signInFrom(clientAddress(), member.email, member.password, known);
    expect([422, 429]).toContain(refused.statusCode);
    expect(refused.statusCode === 429 || refused.body.includes(AUTH_MESSAGES.signInLocked)).toBe(true);

    const other = await knownBrowser(member);
    expect((await signInFrom(clientAddress(), member.email, member.password, other)).statusCode).toBe(303);
    // The member's unlock link lifts the browser's lock too.
    expect((await pressUnlock(t.app, await emailedPath(t.db, member.email, '/unlock/'))).statusCode).toBe(303);
    expect((await signInFrom(clientAddress(), member.email, member.password, known)).statusCode).toBe(303);
  });

  it("sends the member's own reset from a known browser after a stranger used up the hourly budget", async () => {
    const member = await newMember();
    const known = await knownBrowser(member);
    for (let i = 0; i < 3; i += 1) await askForResetFrom(new Browser(t.app), member.email);
    expect(await resetEmailsTo(member)).toBe(3);
    await askForResetFrom(new Browser(t.app), member.email);
    expect(await resetEmailsTo(member)).toBe(3);

    await askForResetFrom(known, member.email);
    expect(await resetEmailsTo(member)).toBe(4);
    const path = await emailedPath(t.db, member.email, '/password/reset/');
    expect((await choosePassword(t.app, path, NEW_PASSWORD, known)).statusCode).toBe(303);

    // A completed reset gives the member their budget back.
    await askForResetFrom(new Browser(t.app), member.email);
    expect(await resetEmailsTo(member)).toBe(5);
  });
});
