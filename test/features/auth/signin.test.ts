import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSessionId } from '../../../src/plugins/session.js';
import { setRole } from '../../../src/features/admin/members.js';
import { ELIGIBILITY_MESSAGES } from '../../../src/features/eligibility/messages.js';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { HOUR, MINUTE, TestClock } from '../../support/clock.js';
import { createMember, GOOD_PASSWORD, signIn } from '../../support/members.js';

const clock = new TestClock();
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ now: clock.now, env: { PASSWORD_HASH_TIME_COST: '2' } });
});
afterAll(async () => t.close());

function sessionCookie(browser: Browser): string | undefined {
  return /(?:^|; )commons=([^;]+)/.exec(browser.cookieHeader)?.[1];
}

/** The page without the values that differ on every request (CSRF tokens). */
function comparable(body: string): string {
  return body.replace(/value="[^"]{20,}"/g, 'value=""');
}

async function failTimes(email: string, times: number) {
  for (let i = 0; i < times; i += 1) expect((await signIn(new Browser(t.app), email, `wrong-password-${i}-xyzzy`)).statusCode).toBe(422);
}

describe('POST /login', () => {
  it('signs a member in with a new session id, stored against the member', async () => {
    const member = await createMember(t.db);
    const browser = new Browser(t.app);
    await browser.openForm('/login');
    const before = sessionCookie(browser);
    const response = await signIn(browser, member.email.toUpperCase(), member.password);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    const after = sessionCookie(browser)!;
    expect(after).not.toBe(before);
    const sessionId = decodeURIComponent(after).split('.')[0]!;
    const stored = await t.db.selectFrom('sessions').select(['member_id', 'public_id']).where('id_hash', '=', hashSessionId(sessionId)).executeTakeFirstOrThrow();
    expect(stored.member_id).toBe(member.id);
    expect((await browser.get('/settings')).statusCode).toBe(200);
  });

  it('answers a wrong password, a pending address and an unknown one byte for byte the same', async () => {
    const member = await createMember(t.db, { email: 'same.answer@finance.gov.au' });
    const bodies = [];
    for (const email of [member.email, 'pending.someone@finance.gov.au', 'nobody.here@finance.gov.au']) {
      const response = await signIn(new Browser(t.app), email, 'not-the-password-at-all');
      expect(response.statusCode).toBe(422);
      bodies.push(comparable(response.body).replace(email, 'ADDRESS'));
    }
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
    expect(bodies[0]).toContain(AUTH_MESSAGES.signInFailed);
  });

  it('locks an address after five failures, member or not, saying so the same way', async () => {
    const member = await createMember(t.db, { email: 'locked.member@finance.gov.au' });
    await failTimes(member.email, 5);
    await failTimes('locked.stranger@finance.gov.au', 5);
    const forMember = await signIn(new Browser(t.app), member.email, member.password);
    const forStranger = await signIn(new Browser(t.app), 'locked.stranger@finance.gov.au', member.password);
    expect(forMember.statusCode).toBe(422);
    expect(forMember.body).toContain('Sign-in for this address is paused');
    expect(comparable(forStranger.body).replace('locked.stranger', 'X')).toBe(comparable(forMember.body).replace('locked.member', 'X'));
    const unlockEmails = await t.db.selectFrom('outbound_emails').select('to_address').where('kind', '=', 'auth.unlock').execute();
    expect(unlockEmails).toEqual([{ to_address: member.email }]);
  });

  it('lifts a lock after 15 minutes and doubles the next one', async () => {
    const member = await createMember(t.db, { email: 'doubling@finance.gov.au' });
    await failTimes(member.email, 5);
    clock.advance(15 * MINUTE + 1000);
    await failTimes(member.email, 5);
    const lock = await t.db.selectFrom('signin_locks').select(['lock_count', 'locked_until']).where('canonical_email', '=', member.email).executeTakeFirstOrThrow();
    expect(lock.lock_count).toBe(2);
    expect(lock.locked_until!.getTime() - clock.now().getTime()).toBeGreaterThan(29 * MINUTE);
    clock.advance(31 * MINUTE);
    expect((await signIn(new Browser(t.app), member.email, member.password)).statusCode).toBe(303);
    expect(await t.db.selectFrom('signin_locks').select('lock_count').where('canonical_email', '=', member.email).executeTakeFirst()).toBeUndefined();
  });

  it('refuses a deactivated member with the ordinary message unless the password is right, and then says why', async () => {
    const member = await createMember(t.db, { deactivated: true });
    const guessed = await signIn(new Browser(t.app), member.email, 'not-their-password-at-all-99');
    expect(guessed.statusCode).toBe(422);
    expect(guessed.body).toContain(AUTH_MESSAGES.signInFailed);
    expect(guessed.body).not.toContain(ELIGIBILITY_MESSAGES.deactivated.administrator);
    const response = await signIn(new Browser(t.app), member.email, member.password);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(ELIGIBILITY_MESSAGES.deactivated.administrator);
  });

  it('goes to a same-origin ?next= path and ignores any other', async () => {
    const member = await createMember(t.db);
    expect((await signIn(new Browser(t.app), member.email, member.password, '/settings#sessions')).headers.location).toBe('/settings#sessions');
    for (const next of ['https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      expect((await signIn(new Browser(t.app), member.email, member.password, next)).headers.location).toBe('/');
    }
  });

  it('rehashes the password when the hash settings have changed', async () => {
    const member = await createMember(t.db);
    const before = await t.db.selectFrom('members').select('password_hash').where('id', '=', member.id).executeTakeFirstOrThrow();
    expect(before.password_hash).toContain('t=1');
    await signIn(new Browser(t.app), member.email, member.password);
    const after = await t.db.selectFrom('members').select('password_hash').where('id', '=', member.id).executeTakeFirstOrThrow();
    expect(after.password_hash).toContain('t=2');
    expect((await signIn(new Browser(t.app), member.email, member.password)).statusCode).toBe(303);
  });

  it('answers 429 with Retry-After past the per-address limit', async () => {
    const limited = await buildTestApp({ database: t.database, env: { RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: '3' } });
    try {
      const browser = new Browser(limited.app);
      for (let i = 0; i < 3; i += 1) expect((await signIn(browser, `limit${i}@finance.gov.au`, 'whatever-password-here')).statusCode).toBe(422);
      const refused = await signIn(browser, 'limit9@finance.gov.au', 'whatever-password-here');
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it('checks no more than five of a burst of wrong passwords sent at once, then the address is locked', async () => {
    const member = await createMember(t.db);
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn(new Browser(t.app), member.email, `burst-guess-${i}-wrong-password`)));
    expect(responses.every((response) => response.statusCode === 422)).toBe(true);
    const checked = await t.db.selectFrom('audit_events').select('id').where('action', '=', 'signin.failed').where('target_id', '=', String(member.id)).execute();
    expect(checked.length).toBeLessThanOrEqual(5);
    expect((await t.db.selectFrom('signin_locks').select('locked_until').where('canonical_email', '=', member.email).executeTakeFirstOrThrow()).locked_until).not.toBeNull();
    expect((await signIn(new Browser(t.app), member.email, member.password)).body).toContain(AUTH_MESSAGES.signInLocked.slice(0, 40));
  });

  it('never refuses a department signing in through one gateway: successes do not count toward the limits', async () => {
    // The production defaults; eight sign-ins by five members from one address within a minute.
    const gateway = await buildTestApp({ database: t.database, now: clock.now, env: { RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: '30', RATE_LIMIT_SIGNIN_ATTEMPTS_PER_HOUR: '200' } });
    try {
      const members = await Promise.all(Array.from({ length: 5 }, () => createMember(t.db)));
      for (let i = 0; i < 8; i += 1) {
        const member = members[i % members.length]!;
        expect((await signIn(new Browser(gateway.app), member.email, member.password)).statusCode).toBe(303);
      }
    } finally {
      await gateway.close();
    }
  });

  it('caps every attempt from one address, successes too, and says in words when to try again', async () => {
    const capped = await buildTestApp({ database: t.database, now: clock.now, env: { RATE_LIMIT_SIGNIN_ATTEMPTS_PER_HOUR: '4' } });
    try {
      const member = await createMember(t.db);
      for (let i = 0; i < 4; i += 1) expect((await signIn(new Browser(capped.app), member.email, member.password)).statusCode).toBe(303);
      const refused = await signIn(new Browser(capped.app), member.email, member.password);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3000);
      expect(refused.body).toMatch(/Try again in (about 1 hour|[1-6]\d? minutes)\./);
    } finally {
      await capped.close();
    }
  });

  it('exempts trusted ranges from the per-address limits', async () => {
    const trusted = await buildTestApp({ database: t.database, now: clock.now, env: { RATE_LIMIT_SIGNIN_ATTEMPTS_PER_HOUR: '1', RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: '1', RATE_LIMIT_TRUSTED: '127.0.0.0/8' } });
    try {
      const member = await createMember(t.db);
      expect((await signIn(new Browser(trusted.app), 'someone.else@finance.gov.au', 'not-the-password-at-all')).statusCode).toBe(422);
      for (let i = 0; i < 3; i += 1) expect((await signIn(new Browser(trusted.app), member.email, member.password)).statusCode).toBe(303);
    } finally {
      await trusted.close();
    }
  });

  it('promotes a member listed in ADMIN_EMAILS at sign-in, and never demotes one taken off it', async () => {
    const member = await createMember(t.db, { email: 'Promote.Me+work@finance.gov.au' });
    const listed = await buildTestApp({ database: t.database, env: { ADMIN_EMAILS: 'promote.me@finance.gov.au' } });
    const role = async () => (await t.db.selectFrom('members').select('role').where('id', '=', member.id).executeTakeFirstOrThrow()).role;
    try {
      expect((await signIn(new Browser(listed.app), member.email, member.password)).statusCode).toBe(303);
      expect(await role()).toBe('administrator');
      expect(await t.db.selectFrom('audit_events').select('actor_label').where('action', '=', 'role.granted').where('target_id', '=', String(member.id)).execute()).toEqual([{ actor_label: 'ADMIN_EMAILS' }]);
      expect((await signIn(new Browser(t.app), member.email, member.password)).statusCode).toBe(303);
      expect(await role()).toBe('administrator');
      // Revoked by hand, the role stays revoked though the address is still listed (another
      // administrator first: the last one cannot be demoted).
      await createMember(t.db, { role: 'administrator' });
      await setRole({ db: t.db }, member.id, 'member', { actorLabel: 'operator (npm run admin)' });
      expect((await signIn(new Browser(listed.app), member.email, member.password)).statusCode).toBe(303);
      expect(await role()).toBe('member');
    } finally {
      await listed.close();
    }
  });

  it.each([['a NUL byte', 'a\0b@finance.gov.au'], ['a password typed into the email box', 'MySecretPassw0rd!!'], ['a list', ['a@finance.gov.au', 'b@finance.gov.au']]])(
    'answers %s in the email field as a wrong sign-in, keeping the raw text out of the database',
    async (_case, email) => {
      const browser = new Browser(t.app);
      const hidden = await browser.openForm('/login');
      const response = await browser.post('/login', { ...hidden, email, password: 'whatever-password-here' });
      expect(response.statusCode).toBe(422);
      expect(response.body).toContain(AUTH_MESSAGES.signInFailed);
      const stored = JSON.stringify([
        await t.db.selectFrom('signin_locks').select('canonical_email').execute(),
        await t.db.selectFrom('audit_events').select(['target_id', 'details']).where('action', '=', 'signin.failed').execute(),
      ]);
      expect(stored).not.toContain('MySecretPassw0rd');
      expect(stored).toContain('invalid:');
    },
  );

  it('keeps session ids out of pages and logs', async () => {
    const member = await createMember(t.db);
    const browser = new Browser(t.app);
    await signIn(browser, member.email, member.password);
    const sessionId = decodeURIComponent(sessionCookie(browser)!).split('.')[0]!;
    const page = await browser.get('/settings');
    expect(page.body).not.toContain(sessionId);
    expect(JSON.stringify(t.logs)).not.toContain(sessionId);
  });
});

describe('GET /login', () => {
  it('sends a signed-in member opening /login?next= only to a path on this site', async () => {
    const member = await createMember(t.db);
    const browser = new Browser(t.app);
    expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
    expect((await browser.get('/login?next=%2Fsettings%3Ftab%3D1')).headers.location).toBe('/settings?tab=1');
    for (const next of ['/.//evil.example', '/..//evil.example', '/%2e%2e//evil.example', '/%2E//evil.example', '/a/..//evil.example', '//evil.example', '/\\evil.example', 'https://evil.example']) {
      const response = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe('/');
    }
    // Sent as typed, not percent-encoded, as a link in a page would carry it.
    expect((await browser.get('/login?next=/.//evil.example')).headers.location).toBe('/');
    expect((await browser.get('/login?next=/%2e%2e//evil.example')).headers.location).toBe('/');
  });
});

describe('the current password on the settings page', () => {
  it('counts wrong guesses like failed sign-ins: five lock the address', async () => {
    const member = await createMember(t.db);
    const browser = new Browser(t.app);
    await signIn(browser, member.email, member.password);
    for (let i = 0; i < 5; i += 1) {
      const form = await browser.openForm('/settings');
      const response = await browser.post('/settings/password', { _csrf: form._csrf!, current_password: `guess-number-${i}-abcdef`, new_password: 'a-brand-new-passphrase-77' });
      expect(response.statusCode).toBe(422);
    }
    const lock = await t.db.selectFrom('signin_locks').select('locked_until').where('canonical_email', '=', member.email).executeTakeFirstOrThrow();
    expect(lock.locked_until!.getTime()).toBeGreaterThan(clock.now().getTime());
    expect((await signIn(new Browser(t.app), member.email, member.password)).body).toContain('Sign-in for this address is paused');
  });
});

describe('sessions', () => {
  it('ends a session idle for 8 hours, and any after 7 days, for members', async () => {
    const member = await createMember(t.db);
    const browser = new Browser(t.app);
    await signIn(browser, member.email, member.password);
    clock.advance(7 * HOUR);
    expect((await browser.get('/settings')).statusCode).toBe(200);
    clock.advance(8 * HOUR + MINUTE);
    expect((await browser.get('/settings')).statusCode).toBe(303);

    const busy = new Browser(t.app);
    await signIn(busy, member.email, member.password);
    const week = 7 * 24 * HOUR;
    let elapsed = 0;
    while (elapsed + 7 * HOUR < week) {
      clock.advance(7 * HOUR);
      elapsed += 7 * HOUR;
      expect((await busy.get('/settings')).statusCode, `after ${elapsed / HOUR} hours`).toBe(200);
    }
    // Active all along, but past the week: never idle for 8 hours.
    clock.advance(week - elapsed + MINUTE);
    expect((await busy.get('/settings')).statusCode).toBe(303);
  });

  it('gives staff 1 hour idle and 24 hours in all', async () => {
    const moderator = await createMember(t.db, { role: 'moderator' });
    const browser = new Browser(t.app);
    await signIn(browser, moderator.email, moderator.password);
    clock.advance(50 * MINUTE);
    expect((await browser.get('/settings')).statusCode).toBe(200);
    clock.advance(61 * MINUTE);
    expect((await browser.get('/settings')).statusCode).toBe(303);
  });

  it('keeps at most 10 sessions per member, ending the oldest', async () => {
    const member = await createMember(t.db);
    const browsers: Browser[] = [];
    for (let i = 0; i < 11; i += 1) {
      const browser = new Browser(t.app);
      await signIn(browser, member.email, member.password);
      browsers.push(browser);
    }
    const count = await t.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('member_id', '=', member.id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(10);
    expect(await t.db.selectFrom('audit_events').select('action').where('action', '=', 'session.evicted').where('target_id', '=', String(member.id)).execute()).toHaveLength(1);
    expect((await browsers[0]!.get('/settings')).statusCode).toBe(303);
    expect((await browsers[10]!.get('/settings')).statusCode).toBe(200);
  });

  it('deletes the stored session on sign-out', async () => {
    const member = await createMember(t.db);
    const browser = new Browser(t.app);
    await signIn(browser, member.email, member.password);
    const form = await browser.openForm('/settings');
    const sessionId = decodeURIComponent(sessionCookie(browser)!).split('.')[0]!;
    const response = await browser.post('/logout', { _csrf: form._csrf! });
    expect(response.statusCode).toBe(303);
    expect(await t.db.selectFrom('sessions').select('id_hash').where('id_hash', '=', hashSessionId(sessionId)).executeTakeFirst()).toBeUndefined();
    expect((await browser.get('/settings')).statusCode).toBe(303);
    expect(await t.db.selectFrom('audit_events').select('action').where('action', '=', 'session.signed_out').where('actor_member_id', '=', member.id).execute()).toHaveLength(1);
  });

  it('emails staff about a sign-in from a new browser, once', async () => {
    const admin = await createMember(t.db, { role: 'administrator', password: GOOD_PASSWORD });
    const browser = new Browser(t.app);
    await signIn(browser, admin.email, admin.password);
    const form = await browser.openForm('/settings');
    await browser.post('/logout', { _csrf: form._csrf! });
    await signIn(browser, admin.email, admin.password);
    const plain = await createMember(t.db);
    await signIn(new Browser(t.app), plain.email, GOOD_PASSWORD);
    const notices = await t.db.selectFrom('outbound_emails').select('to_address').where('kind', '=', 'auth.new-device').where('to_address', 'in', [admin.email, plain.email]).execute();
    expect(notices).toEqual([{ to_address: admin.email }]);
  });
});
