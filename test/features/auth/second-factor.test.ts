import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { SECOND_FACTOR_MESSAGES } from '../../../src/features/auth/second-factor/messages.js';
import { totpCode } from '../../../src/features/auth/second-factor/totp.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, hiddenFields, type TestApp } from '../../support/app.js';
import { MINUTE, TestClock } from '../../support/clock.js';
import { askForReset, emailedPath } from '../../support/membership.js';
import { createMember, isSignedIn, signedInBrowser, type TestMember } from '../../support/members.js';
import { secondFactorRows, secretOnPage, setUpTotp } from '../../support/second-factor.js';

const clock = new TestClock();
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ now: clock.now });
});
afterAll(async () => t.close());

// A TOTP code is good for one 30-second step: move past it before the next code is used.
const NEXT_STEP = 31 * 1000;

async function memberWithTotp(): Promise<{ member: TestMember; secret: string; codes: string[] }> {
  const member = await createMember(t.db, { email: `factor.${randomBytes(4).toString('hex')}@finance.gov.au` });
  const browser = await signedInBrowser(t.app, member, member.password);
  const { secret, codes } = await setUpTotp(browser);
  clock.advance(NEXT_STEP);
  return { member, secret, codes };
}

/** The password step alone, through the real form: the browser is left at the second step. */
async function passwordStep(browser: Browser, member: TestMember, next?: string) {
  const hidden = await browser.openForm('/login');
  const response = await browser.post('/login', { ...hidden, email: member.email, password: member.password, ...(next ? { next } : {}) });
  expect(response.statusCode).toBe(303);
  expect(response.headers.location).toBe('/login/second-factor');
  return response;
}

async function secondStep(browser: Browser, code: string) {
  const hidden = await browser.openForm('/login/second-factor');
  return browser.post('/login/second-factor', { ...hidden, code });
}

describe('setting up an authenticator app', () => {
  it('shows a QR code and the secret as text, turns the app on with a code, and shows ten recovery codes once', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const page = await browser.get('/settings/security/totp');
    expect(page.body).toMatch(/<img class="qr-code" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/]+(?:&#x3D;)*" alt="QR code to set up your authenticator app"/);
    const secret = secretOnPage(page.body);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const response = await browser.post('/settings/security/totp', { ...hiddenFields(page.body), code: totpCode(secret, clock.now()) });
    expect(response.statusCode).toBe(200);
    const codes = [...response.body.matchAll(/<li><code>([A-Z2-7-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(response.body).toContain(SECOND_FACTOR_MESSAGES.totpAdded);

    const stored = await t.db.selectFrom('recovery_codes').select('code_hash').where('member_id', '=', member.id).execute();
    expect(stored).toHaveLength(10);
    for (const code of codes) expect(stored.map((row) => row.code_hash)).not.toContain(code);
    const audit = await t.db.selectFrom('audit_events').select(['action', 'details']).where('actor_member_id', '=', member.id).where('action', 'like', 'second_factor.%').execute();
    expect(audit).toEqual([{ action: 'second_factor.added', details: { after: 'totp' } }]);
    // Never shown again: the set-up page now says it is done, and the security page shows no secret.
    const again = await browser.get('/settings/security/totp');
    expect(again.statusCode).toBe(303);
    expect((await browser.get('/settings/security')).body).not.toContain(secret.slice(0, 4) + ' ');
  });

  it('refuses a wrong code, writing nothing, and keeps the same secret for another try', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const page = await browser.get('/settings/security/totp');
    const secret = secretOnPage(page.body);
    const before = await secondFactorRows(t.db);
    const wrong = String((Number(totpCode(secret, clock.now())) + 1) % 1_000_000).padStart(6, '0');
    const response = await browser.post('/settings/security/totp', { ...hiddenFields(page.body), code: wrong });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(SECOND_FACTOR_MESSAGES.setupCodeWrong);
    expect(secretOnPage(response.body)).toBe(secret);
    expect(await secondFactorRows(t.db)).toEqual(before);
  });

  it.each([
    ['missing', {}, SECOND_FACTOR_MESSAGES.setupCodeShape],
    ['empty', { code: '' }, SECOND_FACTOR_MESSAGES.setupCodeShape],
    ['overlong', { code: '1'.repeat(65) }, SECOND_FACTOR_MESSAGES.setupCodeShape],
    ['seven digits', { code: '1234567' }, SECOND_FACTOR_MESSAGES.setupCodeShape],
    ['non-digits', { code: 'abcdef' }, SECOND_FACTOR_MESSAGES.setupCodeShape],
    ['hostile', { code: '<script>alert(1)</script>' }, SECOND_FACTOR_MESSAGES.setupCodeShape],
    ['a NUL', { code: '123\u0000456' }, SECOND_FACTOR_MESSAGES.setupCodeShape],
    ['two values', { code: ['123456', '654321'] }, SECOND_FACTOR_MESSAGES.setupCodeShape],
    ['an extra field', { code: '123456', role: 'administrator' }, PAGE_MESSAGES.unexpectedField],
  ])('refuses a set-up code that is %s with 422, writing nothing', async (_case, fields, message) => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const hidden = await browser.openForm('/settings/security/totp');
    const before = await secondFactorRows(t.db);
    const response = await browser.post('/settings/security/totp', { ...hidden, ...fields });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(message);
    expect(response.body).not.toContain('<script>alert');
    expect(await secondFactorRows(t.db)).toEqual(before);
  });

  it('refuses set-up without a form token, signed out, and counts a double submit once', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const page = await browser.get('/settings/security/totp');
    const code = totpCode(secretOnPage(page.body), clock.now());
    const before = await secondFactorRows(t.db);
    const noToken = await browser.post('/settings/security/totp', { code });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).toContain(PAGE_MESSAGES.formExpired);
    const visitor = new Browser(t.app);
    const signedOut = await visitor.post('/settings/security/totp', { ...(await visitor.openForm('/login')), code });
    expect(signedOut.statusCode).toBe(403);
    expect((await visitor.get('/settings/security')).headers.location).toBe('/login?next=%2Fsettings%2Fsecurity');
    expect(await secondFactorRows(t.db)).toEqual(before);

    const [first, second] = await Promise.all([browser.post('/settings/security/totp', { ...hiddenFields(page.body), code }), browser.post('/settings/security/totp', { ...hiddenFields(page.body), code })]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([200, 303]);
    expect(await t.db.selectFrom('totp_factors').select('member_id').where('member_id', '=', member.id).execute()).toHaveLength(1);
    expect(await t.db.selectFrom('audit_events').select('id').where('actor_member_id', '=', member.id).where('action', '=', 'second_factor.added').execute()).toHaveLength(1);
  });
});

describe('signing in with a second factor', () => {
  it('signs in only after the code, and goes where the member was going', async () => {
    const { member, secret } = await memberWithTotp();
    const browser = new Browser(t.app);
    await passwordStep(browser, member, '/members');
    expect(await isSignedIn(browser)).toBe(false);
    const response = await secondStep(browser, totpCode(secret, clock.now()));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/members');
    expect(await isSignedIn(browser)).toBe(true);
    const audit = await t.db.selectFrom('audit_events').select(['action', 'details']).where('actor_member_id', '=', member.id).where('action', 'like', 'signin.%').orderBy('id').execute();
    expect(audit.slice(-2)).toEqual([
      { action: 'signin.succeeded', details: {} },
      { action: 'signin.second_factor_passed', details: { via: 'totp' } },
    ]);
  });

  it('refuses a code replayed within its window', async () => {
    const { member, secret } = await memberWithTotp();
    const code = totpCode(secret, clock.now());
    const first = new Browser(t.app);
    await passwordStep(first, member);
    expect((await secondStep(first, code)).statusCode).toBe(303);
    const second = new Browser(t.app);
    await passwordStep(second, member);
    const replayed = await secondStep(second, code);
    expect(replayed.statusCode).toBe(422);
    expect(replayed.body).toContain(SECOND_FACTOR_MESSAGES.codeWrong);
    expect(await isSignedIn(second)).toBe(false);
  });

  it('throttles wrong codes like passwords: after five, sign-in for the address is paused, right code or not', async () => {
    const { member, secret } = await memberWithTotp();
    const browser = new Browser(t.app);
    await passwordStep(browser, member);
    const right = totpCode(secret, clock.now());
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await secondStep(browser, wrong);
      expect(response.statusCode).toBe(422);
    }
    const locked = await secondStep(browser, right);
    expect(locked.statusCode).toBe(422);
    expect(locked.body).toContain(AUTH_MESSAGES.signInLocked);
    expect(await isSignedIn(browser)).toBe(false);
    expect(await t.db.selectFrom('audit_events').select('id').where('action', '=', 'signin.locked').where('target_id', '=', String(member.id)).execute()).toHaveLength(1);
  });

  it('takes a recovery code once', async () => {
    const { member, codes } = await memberWithTotp();
    const browser = new Browser(t.app);
    await passwordStep(browser, member);
    const used = await secondStep(browser, codes[0]!.toLowerCase());
    expect(used.statusCode).toBe(303);
    expect((await browser.get('/')).body).toContain(SECOND_FACTOR_MESSAGES.recoveryCodeUsed(9));
    const again = new Browser(t.app);
    await passwordStep(again, member);
    const refused = await secondStep(again, codes[0]!);
    expect(refused.statusCode).toBe(422);
    expect(await isSignedIn(again)).toBe(false);
    const audit = await t.db.selectFrom('audit_events').select('action').where('actor_member_id', '=', member.id).where('action', '=', 'second_factor.recovery_code_used').execute();
    expect(audit).toHaveLength(1);
    const passed = await t.db.selectFrom('audit_events').select('details').where('actor_member_id', '=', member.id).where('action', '=', 'signin.second_factor_passed').execute();
    expect(passed).toEqual([{ details: { via: 'recovery-code' } }]);
  });

  it('never lets a password reset link skip the second step', async () => {
    const { member, secret } = await memberWithTotp();
    await askForReset(t.app, member.email);
    const browser = new Browser(t.app);
    const path = await emailedPath(t.db, member.email, '/password/reset/');
    const hidden = await browser.openForm(path);
    const reset = await browser.post(path, { ...hidden, password: 'lantern-orchard-copper-83-meadow' });
    expect(reset.statusCode).toBe(303);
    expect(reset.headers.location).toBe('/login/second-factor');
    expect(await isSignedIn(browser)).toBe(false);
    expect((await secondStep(browser, totpCode(secret, clock.now()))).headers.location).toBe('/');
    expect(await isSignedIn(browser)).toBe(true);
  });

  it('sends a second step left for over 10 minutes back to sign in', async () => {
    const { member, secret } = await memberWithTotp();
    const browser = new Browser(t.app);
    await passwordStep(browser, member);
    const hidden = await browser.openForm('/login/second-factor');
    clock.advance(11 * MINUTE);
    const late = await browser.post('/login/second-factor', { ...hidden, code: totpCode(secret, clock.now()) });
    expect(late.statusCode).toBe(303);
    expect(late.headers.location).toBe('/login');
    expect(await isSignedIn(browser)).toBe(false);
  });

  it.each([
    ['missing', {}, SECOND_FACTOR_MESSAGES.codeRequired],
    ['overlong', { code: '1'.repeat(65) }, SECOND_FACTOR_MESSAGES.codeShape],
    ['non-digits', { code: '12345x' }, SECOND_FACTOR_MESSAGES.codeShape],
    ['hostile', { code: "' OR 1=1 --<script>" }, SECOND_FACTOR_MESSAGES.codeShape],
    ['a NUL', { code: '\u0000' }, SECOND_FACTOR_MESSAGES.codeShape],
    ['an extra field', { code: '123456', memberId: '1' }, PAGE_MESSAGES.unexpectedField],
  ])('refuses a second-step code that is %s with 422, writing nothing', async (_case, fields, message) => {
    const { member } = await memberWithTotp();
    const browser = new Browser(t.app);
    await passwordStep(browser, member);
    const hidden = await browser.openForm('/login/second-factor');
    const before = await secondFactorRows(t.db);
    const response = await browser.post('/login/second-factor', { ...hidden, ...fields });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(message);
    expect(await secondFactorRows(t.db)).toEqual(before);
  });

  it('refuses the second step without a form token, or with no sign-in begun, writing nothing', async () => {
    const { member, secret } = await memberWithTotp();
    const browser = new Browser(t.app);
    await passwordStep(browser, member);
    const before = await secondFactorRows(t.db);
    const noToken = await browser.post('/login/second-factor', { code: totpCode(secret, clock.now()) });
    expect(noToken.statusCode).toBe(403);
    const stranger = new Browser(t.app);
    const notBegun = await stranger.post('/login/second-factor', { ...(await stranger.openForm('/login')), code: totpCode(secret, clock.now()) });
    expect(notBegun.statusCode).toBe(303);
    expect(notBegun.headers.location).toBe('/login');
    expect(await secondFactorRows(t.db)).toEqual(before);
  });
});
