import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECOND_FACTOR_MESSAGES } from '../../../src/features/auth/second-factor/messages.js';
import { totpCode } from '../../../src/features/auth/second-factor/totp.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { requireRecentAuthentication } from '../../../src/plugins/second-factor.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { MINUTE, TestClock } from '../../support/clock.js';
import { createMember, GOOD_PASSWORD, signedInBrowser, signIn, STAFF_TOTP_SECRET } from '../../support/members.js';
import { secondFactorRows, setUpTotp } from '../../support/second-factor.js';

const clock = new TestClock();
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ now: clock.now });
});
afterAll(async () => t.close());

const NEW_PASSWORD = 'lantern-orchard-copper-83-meadow';
const NEXT_STEP = 31 * 1000;

async function passwordHash(memberId: number): Promise<string> {
  return (await t.db.selectFrom('members').select('password_hash').where('id', '=', memberId).executeTakeFirstOrThrow()).password_hash;
}

async function changePassword(browser: Browser) {
  const hidden = await browser.openForm('/settings');
  return browser.post('/settings/password', { ...hidden, current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD }, { referer: 'http://127.0.0.1:3000/settings' });
}

describe('staff without a second factor', () => {
  it('are sent from every /mod page to set one up, and reach it once they have', async () => {
    const moderator = await createMember(t.db, { role: 'moderator', secondFactor: false });
    const browser = await signedInBrowser(t.app, moderator, moderator.password);
    for (const page of ['/mod', '/mod/log', '/mod/approvals']) {
      const response = await browser.get(page);
      expect(response.statusCode, page).toBe(303);
      expect(response.headers.location).toBe(`/settings/security?next=${encodeURIComponent(page)}`);
    }
    const setUpPage = await browser.get('/settings/security?next=%2Fmod');
    expect(setUpPage.statusCode).toBe(200);
    expect(setUpPage.body).toContain(SECOND_FACTOR_MESSAGES.factorRequired);
    await setUpTotp(browser);
    expect((await browser.get('/mod')).statusCode).toBe(200);
  });

  it('are refused a /mod change with 403, and nothing is written', async () => {
    const moderator = await createMember(t.db, { role: 'moderator', secondFactor: false });
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, moderator, moderator.password);
    const hidden = await browser.openForm('/settings');
    const before = await secondFactorRows(t.db);
    const response = await browser.post(`/mod/members/${member.id}/warn`, { ...hidden, reason: 'Be kind' });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(SECOND_FACTOR_MESSAGES.factorRequired);
    expect(await secondFactorRows(t.db)).toEqual(before);
    expect(await t.db.selectFrom('member_warnings').select('id').where('member_id', '=', member.id).execute()).toHaveLength(0);
  });

  it('are sent from /admin to set one up too (restrictToRole brings the guard to every staff scope)', async () => {
    const admin = await createMember(t.db, { role: 'administrator', secondFactor: false });
    const browser = await signedInBrowser(t.app, admin, admin.password);
    const response = await browser.get('/admin');
    expect(response.headers.location).toBe('/settings/security?next=%2Fadmin');
  });

  it('with a factor, reach /mod after the second step', async () => {
    const moderator = await createMember(t.db, { role: 'moderator' });
    const browser = new Browser(t.app);
    expect((await signIn(browser, moderator.email, moderator.password, '/mod')).headers.location).toBe('/mod');
    expect((await browser.get('/mod')).statusCode).toBe(200);
  });
});

describe('SECOND_FACTOR_REQUIRED_FOR=everyone', () => {
  it('sends a member without a factor from every page but the set-up to set one up', async () => {
    const everyone = await buildTestApp({ env: { SECOND_FACTOR_REQUIRED_FOR: 'everyone' }, database: t.database, now: clock.now });
    try {
      const member = await createMember(t.db);
      const browser = await signedInBrowser(everyone.app, member, member.password);
      const forum = await browser.get('/c');
      expect(forum.statusCode).toBe(303);
      expect(forum.headers.location).toBe('/settings/security?next=%2Fc');
      expect((await browser.get('/settings/security')).body).toContain(SECOND_FACTOR_MESSAGES.factorRequiredEveryone);
      expect((await browser.get('/guidelines')).statusCode).toBe(200);
      await setUpTotp(browser);
      expect((await browser.get('/c')).statusCode).toBe(200);
    } finally {
      await everyone.close();
    }
  });
});

describe('requireRecentAuthentication, for a scope such as /admin', () => {
  it('lets pages through, and sends a change more than 10 minutes after the last check to confirm, back to the page the form was on', async () => {
    let changes = 0;
    const probed = await buildTestApp({
      database: t.database,
      now: clock.now,
      async extraSiteRoutes(site) {
        await site.register(async (scope) => {
          requireRecentAuthentication(scope, clock.now, '/test/changes');
          scope.get('/test/changes', async () => 'a page');
          scope.post('/test/changes', async () => String((changes += 1)));
        });
      },
    });
    try {
      const member = await createMember(t.db);
      const browser = await signedInBrowser(probed.app, member, member.password);
      const hidden = await browser.openForm('/settings');
      expect((await browser.post('/test/changes', hidden)).body).toBe('1');
      clock.advance(11 * MINUTE);
      expect((await browser.get('/test/changes')).body).toBe('a page');
      const refused = await browser.post('/test/changes', hidden, { referer: 'http://127.0.0.1:3000/test/changes?tab=2' });
      expect(refused.headers.location).toBe('/confirm-identity?next=%2Ftest%2Fchanges%3Ftab%3D2');
      const offSite = await browser.post('/test/changes', hidden, { referer: 'https://evil.example//evil.example' });
      expect(offSite.headers.location).toBe('/confirm-identity?next=%2Ftest%2Fchanges');
      expect(changes).toBe(1);
    } finally {
      await probed.close();
    }
  });
});

describe('step-up', () => {
  it('lets a password change through within 10 minutes of signing in', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    clock.advance(9 * MINUTE);
    expect((await changePassword(browser)).headers.location).toBe('/settings');
    expect(await passwordHash(member.id)).not.toBe(member.password);
  });

  it('after 10 minutes sends a password change to confirm it is the member, changing nothing, then back', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const hash = await passwordHash(member.id);
    clock.advance(11 * MINUTE);
    const refused = await changePassword(browser);
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe('/confirm-identity?next=%2Fsettings');
    expect(await passwordHash(member.id)).toBe(hash);

    const page = await browser.get('/confirm-identity?next=%2Fsettings');
    expect(page.body).toContain(SECOND_FACTOR_MESSAGES.confirmRequired);
    const cookieBefore = browser.cookieHeader;
    const hidden = await browser.openForm('/confirm-identity?next=%2Fsettings');
    const confirmed = await browser.post('/confirm-identity/password', { ...hidden, password: member.password });
    expect(confirmed.headers.location).toBe('/settings');
    // A new session id at step-up.
    expect(browser.cookieHeader).not.toBe(cookieBefore);
    expect((await changePassword(browser)).headers.location).toBe('/settings');
    expect(await passwordHash(member.id)).not.toBe(hash);
    const confirmations = await t.db.selectFrom('audit_events').select('details').where('actor_member_id', '=', member.id).where('action', '=', 'identity.confirmed').execute();
    expect(confirmations).toEqual([{ details: { via: 'password' } }]);
  });

  it('asks again before removing a factor, and takes a code as the check', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const { secret } = await setUpTotp(browser);
    clock.advance(11 * MINUTE);
    const hidden = await browser.openForm('/settings/security');
    const refused = await browser.post('/settings/security/totp/remove', hidden);
    expect(refused.headers.location).toBe('/confirm-identity?next=%2Fsettings%2Fsecurity');
    expect(await t.db.selectFrom('totp_factors').select('member_id').where('member_id', '=', member.id).execute()).toHaveLength(1);

    const form = await browser.openForm('/confirm-identity?next=%2Fsettings%2Fsecurity');
    expect((await browser.post('/confirm-identity/code', { ...form, code: totpCode(secret, clock.now()) })).headers.location).toBe('/settings/security');
    const removed = await browser.post('/settings/security/totp/remove', await browser.openForm('/settings/security'));
    expect(removed.headers.location).toBe('/settings/security');
    expect(await t.db.selectFrom('totp_factors').select('member_id').where('member_id', '=', member.id).execute()).toHaveLength(0);
    expect(await t.db.selectFrom('recovery_codes').select('id').where('member_id', '=', member.id).execute()).toHaveLength(0);
    const audit = await t.db.selectFrom('audit_events').select(['action', 'details']).where('actor_member_id', '=', member.id).where('action', 'like', 'second_factor.%').orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'second_factor.added', details: { after: 'totp' } },
      { action: 'second_factor.removed', details: { before: 'totp' } },
    ]);
    const confirmations = await t.db.selectFrom('audit_events').select('details').where('actor_member_id', '=', member.id).where('action', '=', 'identity.confirmed').execute();
    expect(confirmations).toEqual([{ details: { via: 'totp' } }]);
  });

  it('asks a staff session that has not passed its factor for the factor, not the password', async () => {
    const moderator = await createMember(t.db, { role: 'moderator' });
    const browser = await signedInBrowser(t.app, moderator, moderator.password);
    // A second session begun before the factor existed has not passed it.
    const signedInBefore = new Browser(t.app);
    await t.db.deleteFrom('totp_factors').where('member_id', '=', moderator.id).execute();
    await signIn(signedInBefore, moderator.email, moderator.password);
    await t.db.insertInto('totp_factors').values({ member_id: moderator.id, secret: STAFF_TOTP_SECRET }).execute();
    const sent = await signedInBefore.get('/mod');
    expect(sent.headers.location).toBe('/confirm-identity?next=%2Fmod');
    const page = await signedInBefore.get('/confirm-identity?next=%2Fmod');
    expect(page.body).toContain(SECOND_FACTOR_MESSAGES.confirmFactor);
    expect(page.body).not.toContain('action="/confirm-identity/password"');
    clock.advance(NEXT_STEP);
    const hidden = await signedInBefore.openForm('/confirm-identity?next=%2Fmod');
    expect((await signedInBefore.post('/confirm-identity/code', { ...hidden, code: totpCode(STAFF_TOTP_SECRET, clock.now()) })).headers.location).toBe('/mod');
    expect((await signedInBefore.get('/mod')).statusCode).toBe(200);
    expect((await browser.get('/mod')).statusCode).toBe(200);
  });

  it.each([
    ['a wrong password', '/confirm-identity/password', { password: 'not-the-password-at-all' }, 422],
    ['no password', '/confirm-identity/password', {}, 422],
    ['an overlong code', '/confirm-identity/code', { code: '9'.repeat(65) }, 422],
    ['a hostile code', '/confirm-identity/code', { code: '<img src=x onerror=alert(1)>' }, 422],
    ['no passkey answer', '/confirm-identity/passkey', {}, 422],
    ['a passkey answer that is not JSON', '/confirm-identity/passkey', { response: '{"id":' }, 422],
  ])('refuses a confirmation with %s, still asking, writing nothing', async (_case, url, fields, status) => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    clock.advance(11 * MINUTE);
    const hidden = await browser.openForm('/confirm-identity?next=%2Fsettings');
    const before = await secondFactorRows(t.db);
    const response = await browser.post(url, { ...hidden, ...fields });
    expect(response.statusCode).toBe(status);
    expect(response.body).not.toContain('<img src=x');
    expect((await changePassword(browser)).headers.location).toBe('/confirm-identity?next=%2Fsettings');
    const after = await secondFactorRows(t.db);
    // A wrong password is counted, as at sign-in (an audit row); nothing else is written.
    expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
  });

  it('refuses a confirmation without a form token, or signed out', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    expect((await browser.post('/confirm-identity/password', { password: member.password })).statusCode).toBe(403);
    const visitor = new Browser(t.app);
    const hidden = await visitor.openForm('/login');
    const signedOut = await visitor.post('/confirm-identity/password', { ...hidden, password: member.password });
    expect(signedOut.statusCode).toBe(403);
    expect(signedOut.body).toContain(PAGE_MESSAGES.signInFirst);
    expect((await visitor.get('/confirm-identity')).headers.location).toBe('/login?next=%2Fconfirm-identity');
  });
});
