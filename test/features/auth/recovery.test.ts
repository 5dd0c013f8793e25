import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { PASSWORD_MESSAGES } from '../../../src/features/auth/password-messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createMember, isSignedIn, linksInLatestEmail, passSecondStep, signedInBrowser, signIn, type TestMember } from '../../support/members.js';
import { askForReset, askToJoin, choosePassword, failSignIns, lockOut as lockOutMember, pressUnlock, resetPathFor } from '../../support/membership.js';

// Members cannot be deleted and limits count per address: every test has its own addresses.
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

const NEW_PASSWORD = 'lantern-orchard-copper-83-meadow';

function address(label: string): string {
  return `${label}.${randomBytes(4).toString('hex')}@finance.gov.au`;
}

async function newMember(label: string, options: { deactivated?: boolean } = {}): Promise<TestMember> {
  return createMember(t.db, { email: address(label), ...options });
}

/** A page as a person reads it: without the form tokens and the address they typed. */
function comparable(body: string, email: string): string {
  return body.replace(/value="[^"]+"/g, '').replaceAll(email, 'ADDRESS');
}

async function emailsTo(email: string) {
  return t.db.selectFrom('outbound_emails').select(['kind', 'text_body']).where('to_address', '=', email).orderBy('id').execute();
}

function signedInAs(member: TestMember): Promise<Browser> {
  return signedInBrowser(t.app, member, member.password);
}

async function passwordHashOf(member: TestMember): Promise<string> {
  return (await t.db.selectFrom('members').select('password_hash').where('id', '=', member.id).executeTakeFirstOrThrow()).password_hash;
}

async function lockOf(email: string) {
  return t.db.selectFrom('signin_locks').select(['locked_until', 'consecutive_failures']).where('canonical_email', '=', email.toLowerCase()).executeTakeFirst();
}

describe('POST /password/forgot', () => {
  it('answers member, pending and unknown addresses byte for byte the same', async () => {
    const member = await newMember('forgot-member');
    const pending = address('forgot-pending');
    expect((await askToJoin(t.app, pending)).statusCode).toBe(200);
    const bodies: string[] = [];
    for (const email of [member.email, pending, address('forgot-unknown')]) {
      const response = await askForReset(t.app, email);
      expect(response.statusCode).toBe(200);
      bodies.push(comparable(response.body, email));
    }
    expect(bodies[0]).toContain(AUTH_MESSAGES.checkEmail);
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
    expect((await emailsTo(member.email)).map((e) => e.kind)).toEqual(['auth.reset']);
    expect((await emailsTo(pending)).map((e) => e.kind)).toEqual(['auth.verify']);
  });

  it.each([
    ['Host: evil.example', { host: 'evil.example' }],
    ['X-Forwarded-Host: evil.example', { 'x-forwarded-host': 'evil.example' }],
  ])('takes the link host from PUBLIC_URL when the request carries %s', async (_case, headers) => {
    const member = await newMember('poison');
    const unknown = address('poison-unknown');
    const known = await askForReset(t.app, member.email, headers);
    const other = await askForReset(t.app, unknown, headers);
    expect(known.statusCode).toBe(200);
    expect(comparable(other.body, unknown)).toBe(comparable(known.body, member.email));
    const links = await linksInLatestEmail(t.db, member.email);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(new URL(link).origin).toBe(t.config.publicUrl.origin);
    expect((await emailsTo(member.email))[0]!.text_body).not.toContain('evil.example');
  });

  it('takes the link host from PUBLIC_URL behind a trusted proxy that forwards X-Forwarded-Host', async () => {
    // A probe shows the forwarded host really is the request's host behind this proxy.
    const probe: FastifyPluginAsync = async (app) => {
      app.get('/probe/host', { config: { access: 'public' } }, async (request) => request.host);
    };
    const proxied = await buildTestApp({ env: { TRUST_PROXY: '1' }, database: t.database, extraSiteRoutes: probe });
    try {
      expect((await new Browser(proxied.app).get('/probe/host', { 'x-forwarded-host': 'evil.example' })).body).toBe('evil.example');
      const member = await newMember('proxied');
      const response = await askForReset(proxied.app, member.email, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
      expect(response.statusCode).toBe(200);
      const links = await linksInLatestEmail(t.db, member.email);
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) expect(new URL(link).origin).toBe(t.config.publicUrl.origin);
    } finally {
      await proxied.close();
    }
  });

  it('quietly queues nothing past 3 requests an hour for one member, answering the same', async () => {
    const member = await newMember('often');
    const bodies: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await askForReset(t.app, member.email);
      expect(response.statusCode).toBe(200);
      bodies.push(comparable(response.body, member.email));
    }
    expect(await emailsTo(member.email)).toHaveLength(3);
    expect(bodies[3]).toBe(bodies[0]);
  });

  it('sends a deactivated member nothing, answering as for anyone', async () => {
    const member = await newMember('gone', { deactivated: true });
    const unknown = address('gone-unknown');
    const response = await askForReset(t.app, member.email);
    expect(response.statusCode).toBe(200);
    expect(comparable(response.body, member.email)).toBe(comparable((await askForReset(t.app, unknown)).body, unknown));
    expect(await emailsTo(member.email)).toEqual([]);
  });
});

describe('password reset link', () => {
  it('shows the form on GET (as a mail scanner would open it) without using the token', async () => {
    const member = await newMember('scanned');
    const path = await resetPathFor(t.app, t.db, member);
    for (let i = 0; i < 2; i += 1) {
      const page = await new Browser(t.app).get(path);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(`action="${path}"`);
    }
    const response = await choosePassword(t.app, path, NEW_PASSWORD);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
  });

  it.each([
    ['a password of 14 code points', () => 'xq7#Lm2$vR9!pZ', PASSWORD_MESSAGES.tooShort(15)],
    ['a breached password', () => 'Password12345678', 'This password would be easy to guess.'],
    ['a password containing the local part', (m: TestMember) => `harbour-${m.email.split('@')[0]}-91-quartz`, PASSWORD_MESSAGES.containsEmail],
  ])('refuses %s with 422 and keeps the link working', async (_case, password, reason) => {
    const member = await newMember('weak');
    const path = await resetPathFor(t.app, t.db, member);
    const hashBefore = await passwordHashOf(member);
    const response = await choosePassword(t.app, path, password(member));
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(reason);
    expect(await passwordHashOf(member)).toBe(hashBefore);
    expect((await new Browser(t.app).get(path)).statusCode).toBe(200);
    expect((await choosePassword(t.app, path, NEW_PASSWORD)).statusCode).toBe(303);
  });

  it('sets the password, ends every other session, lifts a lock and writes an audit row', async () => {
    const member = await newMember('reset');
    const [phone, laptop] = [await signedInAs(member), await signedInAs(member)];
    await failSignIns(t.app, member.email, 5);
    expect((await lockOf(member.email))?.locked_until).not.toBeNull();

    const path = await resetPathFor(t.app, t.db, member);
    const resetter = new Browser(t.app);
    const response = await choosePassword(t.app, path, NEW_PASSWORD, resetter);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    expect((await resetter.get('/')).body).toContain(AUTH_MESSAGES.passwordReset);
    expect(await isSignedIn(resetter)).toBe(true);
    expect(await isSignedIn(phone)).toBe(false);
    expect(await isSignedIn(laptop)).toBe(false);
    expect(await lockOf(member.email)).toBeUndefined();

    const old = await signIn(new Browser(t.app), member.email, member.password);
    expect(old.statusCode).toBe(422);
    expect(old.body).toContain(AUTH_MESSAGES.signInFailed);
    expect((await signIn(new Browser(t.app), member.email, NEW_PASSWORD)).statusCode).toBe(303);
    const audit = await t.db.selectFrom('audit_events').select(['action', 'actor_member_id']).where('action', '=', 'password.reset').where('target_id', '=', String(member.id)).execute();
    expect(audit).toEqual([{ action: 'password.reset', actor_member_id: member.id }]);
  });

  it('emails a staff member about the new device a reset signs them in from', async () => {
    const moderator = await createMember(t.db, { email: address('moderator'), role: 'moderator' });
    const path = await resetPathFor(t.app, t.db, moderator);
    const browser = new Browser(t.app);
    expect((await choosePassword(t.app, path, NEW_PASSWORD, browser)).headers.location).toBe('/login/second-factor');
    // Signed in, and so told, only once past the second factor.
    expect((await emailsTo(moderator.email)).map((e) => e.kind)).toEqual(['auth.reset']);
    expect((await passSecondStep(browser, t.db, moderator.id)).statusCode).toBe(303);
    expect((await emailsTo(moderator.email)).map((e) => e.kind)).toEqual(['auth.reset', 'auth.new-device']);
  });

  it('says plainly that a bad reset or unlock link was used or has expired, and where to go instead', async () => {
    const reset = await new Browser(t.app).get(`/password/reset/${'B'.repeat(43)}`);
    expect(reset.body).toContain('<h1>This link has expired or has already been used</h1>');
    expect(reset.body).toContain('<a href="/password/forgot">Ask for a new password reset link</a>');
    expect(reset.body).toContain('<a href="/login">Sign in</a>');
    const unlock = await new Browser(t.app).get(`/unlock/${'B'.repeat(43)}`);
    expect(unlock.body).toContain('<h1>This link has expired or has already been used</h1>');
    expect(unlock.body).toContain('<a href="/login">Sign in</a>');
    expect(unlock.body).toContain('<a href="/password/forgot">Reset your password</a>');
  });

  it('answers a reused, expired, forged, truncated and re-cased token with one message', async () => {
    const used = await newMember('used');
    const usedPath = await resetPathFor(t.app, t.db, used);
    expect((await choosePassword(t.app, usedPath, NEW_PASSWORD)).statusCode).toBe(303);
    const late = await newMember('late');
    const latePath = await resetPathFor(t.app, t.db, late);
    const lateHash = await passwordHashOf(late);
    await t.db.updateTable('email_tokens').set({ expires_at: sql`now() - interval '1 second'` }).where('member_id', '=', late.id).where('purpose', '=', 'reset').execute();
    const token = usedPath.split('/').pop()!;
    const paths = [usedPath, latePath, `/password/reset/${'A'.repeat(43)}`, `/password/reset/${token.slice(0, 20)}`, `/password/reset/${token.toUpperCase()}`];
    for (const path of paths) {
      const page = await new Browser(t.app).get(path);
      expect(page.statusCode, path).toBe(400);
      expect(page.body).toContain('This link has expired or has already been used');
      const browser = new Browser(t.app);
      const hidden = await browser.openForm('/password/forgot');
      const post = await browser.post(path, { _csrf: hidden._csrf!, password: 'another-fine-password-77-otter' });
      expect(post.statusCode, path).toBe(400);
      expect(post.body).toContain('This link has expired or has already been used');
    }
    expect(await passwordHashOf(late)).toBe(lateHash);
    expect((await signIn(new Browser(t.app), late.email, late.password)).statusCode).toBe(303);
  });
});

describe('unlock link', () => {
  async function lockOut(member: TestMember): Promise<string> {
    const path = await lockOutMember(t.app, t.db, member);
    for (const link of await linksInLatestEmail(t.db, member.email)) expect(new URL(link).origin).toBe(t.config.publicUrl.origin);
    return path;
  }

  it('is emailed after 5 failures, and while locked even the right password is refused', async () => {
    const member = await newMember('locked');
    await lockOut(member);
    expect(await emailsTo(member.email)).toHaveLength(1);
    const right = await signIn(new Browser(t.app), member.email, member.password);
    expect(right.statusCode).toBe(422);
    expect(right.body).toContain(AUTH_MESSAGES.signInLocked);
  });

  it('shows a button on GET without using the token; the POST unlocks and the right password signs in', async () => {
    const member = await newMember('unlock');
    const path = await lockOut(member);
    for (let i = 0; i < 2; i += 1) {
      const page = await new Browser(t.app).get(path);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(`<form method="post" action="${path}">`);
      expect(page.body).toContain('Unlock sign-in</button>');
    }
    expect((await lockOf(member.email))?.locked_until).not.toBeNull();
    const response = await pressUnlock(t.app, path);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login');
    expect(await lockOf(member.email)).toBeUndefined();
    expect((await signIn(new Browser(t.app), member.email, member.password)).statusCode).toBe(303);
  });

  it('answers a reused unlock link with 400', async () => {
    const member = await newMember('unlock-twice');
    const path = await lockOut(member);
    expect((await pressUnlock(t.app, path)).statusCode).toBe(303);
    const again = await new Browser(t.app).get(path);
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('This link has expired or has already been used');
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/login');
    const post = await browser.post(path, { _csrf: hidden._csrf! });
    expect(post.statusCode).toBe(400);
    expect(post.body).toContain('This link has expired or has already been used');
  });
});
