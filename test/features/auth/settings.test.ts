import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, encodeForm, hiddenFields, type TestApp } from '../../support/app.js';
import { MINUTE, TestClock } from '../../support/clock.js';
import { createMember, GOOD_PASSWORD, isSignedIn, signedInBrowser, signIn, type TestMember } from '../../support/members.js';

// Members cannot be deleted: every test makes its own.
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

const NEW_PASSWORD = 'lantern-orchard-copper-83-meadow';

async function newMember(): Promise<TestMember> {
  return createMember(t.db, { email: `settings.${randomBytes(4).toString('hex')}@finance.gov.au` });
}

function signedIn(member: TestMember, password = member.password): Promise<Browser> {
  return signedInBrowser(t.app, member, password);
}

/** The sessions table on the settings page: each row's public id, and whether it is this browser. */
function sessionsOnPage(html: string): { publicId: string; current: boolean }[] {
  return [...html.matchAll(/<tr>\s*<td>([^<]*)<\/td>[\s\S]*?action="\/settings\/sessions\/([^/"]+)\/end"/g)].map((m) => ({ publicId: m[2]!, current: m[1]!.includes('(this browser)') }));
}

async function ownPublicId(browser: Browser): Promise<string> {
  const page = await browser.get('/settings');
  const current = sessionsOnPage(page.body).filter((s) => s.current);
  expect(current).toHaveLength(1);
  return current[0]!.publicId;
}

async function memberRow(member: TestMember) {
  return t.db.selectFrom('members').select(['display_name', 'job_title', 'bio', 'role', 'password_hash', 'updated_at']).where('id', '=', member.id).executeTakeFirstOrThrow();
}

async function sessionCount(member: TestMember): Promise<number> {
  return (await t.db.selectFrom('sessions').select('id_hash').where('member_id', '=', member.id).execute()).length;
}

async function postFromSettings(browser: Browser, url: string, fields: Record<string, string>) {
  const hidden = await browser.openForm('/settings');
  return browser.post(url, { _csrf: hidden._csrf!, ...fields });
}

const goodProfile = { display_name: 'Rosalind Okafor', job_title: 'Policy officer', bio: 'Working on grants policy.' };

describe('GET /settings', () => {
  it('sends a signed-out visitor to sign in, coming back here after', async () => {
    const response = await new Browser(t.app).get('/settings');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login?next=%2Fsettings');
  });

  it("shows the member's email, handle and sessions, marking this browser", async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    await signedIn(member);
    const page = await browser.get('/settings');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<strong>${member.email}</strong>`);
    expect(page.body).toContain(`<strong>@${member.handle}</strong>`);
    const sessions = sessionsOnPage(page.body);
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(page.body.match(/\(this browser\)/g)).toHaveLength(1);
  });
});

describe('POST /settings/profile', () => {
  it('saves good values and redirects back to the settings page', async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    const response = await postFromSettings(browser, '/settings/profile', goodProfile);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/settings');
    expect(await memberRow(member)).toMatchObject({ display_name: 'Rosalind Okafor', job_title: 'Policy officer', bio: 'Working on grants policy.', role: 'member' });
    expect((await browser.get('/settings')).body).toContain(AUTH_MESSAGES.profileSaved);
  });

  it.each([
    ['an empty display name', { display_name: '' }, 'Enter the name other members will see'],
    ['an 81-character display name', { display_name: 'x'.repeat(81) }, 'Display name must be at most 80 characters (it is 81)'],
    ['a bidi override in the display name', { display_name: 'Jane\u202Eevil' }, AUTH_MESSAGES.displayNameControls],
    ['a 1,001-character bio', { bio: 'b'.repeat(1001) }, 'About you must be at most 1,000 characters (it is 1,001)'],
    ['a NUL in the job title', { job_title: 'Analyst\0' }, 'Job title must not contain NUL characters'],
    ['an unknown field role=administrator', { role: 'administrator' }, PAGE_MESSAGES.unexpectedField],
  ])('refuses %s with 422 and a message, changing nothing', async (_case, fields, message) => {
    const member = await newMember();
    const browser = await signedIn(member);
    const before = await memberRow(member);
    const response = await postFromSettings(browser, '/settings/profile', { ...goodProfile, ...fields });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(message);
    expect(await memberRow(member)).toEqual(before);
    expect(before.role).toBe('member');
  });

  it.each([['__proto__[x]=1'], ['constructor[prototype][x]=1']])('refuses the prototype key %s with 400, changing nothing', async (extra) => {
    const member = await newMember();
    const browser = await signedIn(member);
    const before = await memberRow(member);
    const hidden = await browser.openForm('/settings');
    const [key, value] = extra.split('=') as [string, string];
    const response = await browser.postRaw('/settings/profile', `${encodeForm({ _csrf: hidden._csrf!, ...goodProfile })}&${encodeURIComponent(key)}=${value}`);
    expect(response.statusCode).toBe(400);
    expect(await memberRow(member)).toEqual(before);
  });
});

describe('POST /settings/password', () => {
  it('refuses a wrong current password with 422, changing nothing', async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    const before = await memberRow(member);
    const response = await postFromSettings(browser, '/settings/password', { current_password: 'not-my-password-at-all-93', new_password: NEW_PASSWORD });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Your current password is not right.');
    expect(await memberRow(member)).toEqual(before);
  });

  it('refuses a weak new password with 422, changing nothing', async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    const before = await memberRow(member);
    const response = await postFromSettings(browser, '/settings/password', { current_password: GOOD_PASSWORD, new_password: 'Password12345678' });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('This password would be easy to guess.');
    expect(await memberRow(member)).toEqual(before);
  });

  it('accepts the current password typed on another keyboard (NFKC), as sign-in does', async () => {
    const member = await newMember();
    const fullWidth = GOOD_PASSWORD.replace('kettle', '\uFF4B\uFF45\uFF54\uFF54\uFF4C\uFF45');
    expect(fullWidth.normalize('NFKC')).toBe(GOOD_PASSWORD);
    const browser = await signedIn(member, fullWidth);
    const response = await postFromSettings(browser, '/settings/password', { current_password: fullWidth, new_password: NEW_PASSWORD });
    expect(response.statusCode).toBe(303);
  });

  it('refuses a NUL in the new password with 422 rather than dropping it', async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    const before = await memberRow(member);
    const response = await postFromSettings(browser, '/settings/password', { current_password: GOOD_PASSWORD, new_password: 'lantern-orchard\0-copper-83-meadow' });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Your password contains a character that cannot be used');
    expect(await memberRow(member)).toEqual(before);
  });

  it('changes the password, ends the other sessions, keeps this one and writes an audit row', async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    const other = await signedIn(member);
    const response = await postFromSettings(browser, '/settings/password', { current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/settings');
    expect(await isSignedIn(browser)).toBe(true);
    expect(await isSignedIn(other)).toBe(false);
    expect(await sessionCount(member)).toBe(1);
    const old = await signIn(new Browser(t.app), member.email, GOOD_PASSWORD);
    expect(old.statusCode).toBe(422);
    expect(old.body).toContain(AUTH_MESSAGES.signInFailed);
    expect((await signIn(new Browser(t.app), member.email, NEW_PASSWORD)).statusCode).toBe(303);
    const audit = await t.db.selectFrom('audit_events').select(['actor_member_id']).where('action', '=', 'password.changed').where('target_id', '=', String(member.id)).execute();
    expect(audit).toEqual([{ actor_member_id: member.id }]);
  });
});

describe('sessions on the settings page', () => {
  it('keeps a session ended by a password change ended, even if one of its requests was in flight', async () => {
    const clock = new TestClock();
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowPage: FastifyPluginAsync = async (app) => {
      app.get('/probe/slow', async () => {
        entered();
        await gate;
        return 'done';
      });
    };
    const slow = await buildTestApp({ database: t.database, now: clock.now, extraSiteRoutes: slowPage });
    try {
      const member = await newMember();
      const [here, there] = [new Browser(slow.app), new Browser(slow.app)];
      for (const browser of [here, there]) expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
      // Past the last-seen granularity, so the slow request saves its session when it ends.
      clock.advance(6 * MINUTE);
      const inFlight = there.get('/probe/slow');
      await inside;
      const hidden = await here.openForm('/settings');
      expect((await here.post('/settings/password', { _csrf: hidden._csrf!, current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD })).statusCode).toBe(303);
      release();
      expect((await inFlight).statusCode).toBe(200);
      expect((await there.get('/settings')).statusCode).toBe(303);
      expect(await sessionCount(member)).toBe(1);
    } finally {
      release();
      await slow.close();
    }
  });


  it('ends another session by its public id, signing that browser out', async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    const other = await signedIn(member);
    const otherId = await ownPublicId(other);
    const response = await postFromSettings(browser, `/settings/sessions/${otherId}/end`, {});
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/settings');
    const page = await browser.get('/settings');
    expect(page.body).toContain(AUTH_MESSAGES.sessionEnded);
    expect(sessionsOnPage(page.body).map((s) => s.publicId)).not.toContain(otherId);
    expect(await isSignedIn(other)).toBe(false);
    expect(await isSignedIn(browser)).toBe(true);
  });

  it("answers 404 to ending another member's session, which survives", async () => {
    const victim = await newMember();
    const victimBrowser = await signedIn(victim);
    const victimId = await ownPublicId(victimBrowser);
    const attacker = await signedIn(await newMember());
    const response = await postFromSettings(attacker, `/settings/sessions/${victimId}/end`, {});
    expect(response.statusCode).toBe(404);
    expect(await isSignedIn(victimBrowser)).toBe(true);
    expect(await sessionCount(victim)).toBe(1);
  });

  it.each([['not-a-uuid'], ['1'], ['%00']])('answers 404, never 500, to the malformed session id %s', async (id) => {
    const member = await newMember();
    const browser = await signedIn(member);
    const response = await postFromSettings(browser, `/settings/sessions/${id}/end`, {});
    expect(response.statusCode).toBe(404);
    expect(await isSignedIn(browser)).toBe(true);
  });

  it('signs out everywhere else, keeping only this session', async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    const others = [await signedIn(member), await signedIn(member)];
    const response = await postFromSettings(browser, '/settings/sessions/end-others', {});
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/settings');
    const page = await browser.get('/settings');
    expect(page.body).toContain(AUTH_MESSAGES.otherSessionsEnded);
    expect(sessionsOnPage(page.body)).toEqual([{ publicId: expect.any(String), current: true }]);
    for (const other of others) expect(await isSignedIn(other)).toBe(false);
    expect(await sessionCount(member)).toBe(1);
  });

  it('signs out here when this session is the one ended', async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    const response = await postFromSettings(browser, `/settings/sessions/${await ownPublicId(browser)}/end`, {});
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    expect(await isSignedIn(browser)).toBe(false);
    expect(await sessionCount(member)).toBe(0);
  });
});

describe('CSRF on the settings forms', () => {
  it.each([
    ['/settings/profile', { display_name: 'Forged Name', job_title: '', bio: '' }],
    ['/settings/password', { current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD }],
    ['/settings/sessions/end-others', {}],
    ['the current session end', {}],
  ])('refuses %s without a token with 403, changing nothing', async (url, fields) => {
    const member = await newMember();
    const browser = await signedIn(member);
    const other = await signedIn(member);
    const target = url.startsWith('/') ? url : `/settings/sessions/${await ownPublicId(other)}/end`;
    const before = await memberRow(member);
    const response = await browser.post(target, fields);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(PAGE_MESSAGES.formExpired);
    expect(await memberRow(member)).toEqual(before);
    expect(await sessionCount(member)).toBe(2);
    expect(await isSignedIn(other)).toBe(true);
  });

  // Issue 15, item 6: the form-token secret used to survive sign-in, so a token planted before
  // it (a planted-cookie CSRF) still worked after.
  it('refuses the token from the sign-in page once signed in: a new session has a new secret', async () => {
    const member = await newMember();
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/login');
    expect((await browser.post('/login', { ...hidden, email: member.email, password: member.password })).statusCode).toBe(303);
    const before = await memberRow(member);
    const response = await browser.post('/settings/profile', { _csrf: hidden._csrf!, display_name: 'Signed In Just Now', job_title: '', bio: '' });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(PAGE_MESSAGES.formExpired);
    expect(await memberRow(member)).toEqual(before);
    expect((await browser.post('/logout', { _csrf: hidden._csrf! })).statusCode).toBe(403);
    expect(await isSignedIn(browser)).toBe(true);
    // The pages the member now sees carry a token that works.
    const fresh = await browser.openForm('/settings');
    expect((await browser.post('/settings/profile', { _csrf: fresh._csrf!, display_name: 'Signed In Just Now', job_title: '', bio: '' })).statusCode).toBe(303);
    expect((await memberRow(member)).display_name).toBe('Signed In Just Now');
  });

  it('refuses a token from another session with 403', async () => {
    const member = await newMember();
    const browser = await signedIn(member);
    const stranger = new Browser(t.app);
    const theirs = hiddenFields((await stranger.get('/login')).body);
    const before = await memberRow(member);
    const response = await browser.post('/settings/profile', { _csrf: theirs._csrf!, display_name: 'Forged Name', job_title: '', bio: '' });
    expect(response.statusCode).toBe(403);
    expect(await memberRow(member)).toEqual(before);
  });
});
