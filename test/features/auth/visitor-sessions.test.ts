import Tokens from '@fastify/csrf';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionSecretsFor } from '../../../src/db/data-dir.js';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { issueEmailChangeToken, issueToken } from '../../../src/features/auth/tokens.js';
import { unsubscribeTokens } from '../../../src/features/notifications/unsubscribe.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, countRows, hiddenFields, TEST_HOST, type TestApp } from '../../support/app.js';
import { createMember, GOOD_PASSWORD, linksInLatestEmail, pathOf, signIn, type TestMember } from '../../support/members.js';
import { answerRequests } from '../../support/membership.js';

/**
 * Issue 15, item 7: every visitor used to get a session row (45 `HEAD /login`, 45 rows kept
 * 2 h), because the form token's secret lived in the session. A session is now stored only when
 * it carries something: a signed-in member, or a notice left by a posted form.
 */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

const sessionRows = () => countRows(t.db, 'sessions');

async function head(url: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'HEAD', url, headers: { host: TEST_HOST } });
}

function expectNoSessionCookie(response: LightMyRequestResponse) {
  expect(response.cookies.map((cookie) => cookie.name)).not.toContain('commons');
}

/** The path of the newest emailed link of one kind (`/verify/`, `/password/reset/`, `/unlock/`), once the worker has answered what was asked. */
async function emailedPath(to: string, kind: string): Promise<string> {
  await answerRequests(t.app);
  return pathOf((await linksInLatestEmail(t.db, to)).find((link) => link.includes(kind))!);
}

async function lockOut(member: TestMember): Promise<void> {
  for (let i = 0; i < 5; i += 1) expect((await signIn(new Browser(t.app), member.email, `wrong-password-${i}-qwerty`)).statusCode).toBe(422);
}

describe('a visitor who is not signed in', () => {
  it('gets no session row from 45 HEAD /login, nor from GET or HEAD of any public page, forms and failed posts included', async () => {
    const before = await sessionRows();
    for (let i = 0; i < 45; i += 1) {
      const response = await head('/login');
      expect(response.statusCode).toBe(200);
      expectNoSessionCookie(response);
    }
    expect(await sessionRows()).toBe(before);

    // Live links, so the pages they open show their forms; asking for them is a visitor's post.
    const member = await createMember(t.db);
    const forgot = new Browser(t.app);
    expect((await forgot.post('/password/forgot', { ...(await forgot.openForm('/password/forgot')), email: member.email })).statusCode).toBe(200);
    const reset = await emailedPath(member.email, '/password/reset/');
    await lockOut(member);
    const joiner = new Browser(t.app);
    expect((await joiner.post('/signup', { ...(await joiner.openForm('/signup')), email: 'visitor.pages@finance.gov.au', accept_guidelines: 'yes' })).statusCode).toBe(200);
    const live: Record<string, string> = {
      '/password/reset/:token': reset,
      '/unlock/:token': await emailedPath(member.email, '/unlock/'),
      '/verify/:token': await emailedPath('visitor.pages@finance.gov.au', '/verify/'),
      // Asked for by a signed-in member; opened here in a browser that is not signed in.
      '/reconfirm/:token': `/reconfirm/${await issueToken(t.db, 'reconfirm', member.canonicalEmail, member.id)}`,
      // The unsubscribe link of a notification email, as the worker signs it.
      '/unsubscribe/:token': `/unsubscribe/${unsubscribeTokens(sessionSecretsFor(t.config)).sign({ memberId: member.id, choices: [{ kind: 'reply', version: 0 }] })}`,
      '/email-change/:token': `/email-change/${await issueEmailChangeToken(t.db, member.id, { address: 'moved.visitor.pages@treasury.gov.au', canonical: 'moved.visitor.pages@treasury.gov.au' })}`,
    };

    const pages = t.app.routeInventory.filter((route) => route.method === 'GET' && route.access === 'public' && !route.url.startsWith('/static/')).map((route) => live[route.url] ?? route.url);
    expect(pages).toEqual(expect.arrayContaining(['/', '/login', '/signup', '/password/forgot', '/contact', ...Object.values(live)]));
    for (const page of pages) {
      for (let i = 0; i < 5; i += 1) {
        // The second step, with no sign-in begun, sends the visitor to sign in.
        const status = page === '/login/second-factor' ? 303 : 200;
        const got = await new Browser(t.app).get(page);
        expect(got.statusCode, page).toBe(status);
        expectNoSessionCookie(got);
        expect((await head(page)).statusCode, page).toBe(status);
      }
    }
    expect(await sessionRows()).toBe(before);
  });

  it('can sign in, ask for a reset and send the contact form, from the first form or the re-rendered 422 one', async () => {
    const member = await createMember(t.db);
    const before = await sessionRows();

    const contact = new Browser(t.app);
    const message = { email: 'alex@finance.gov.au', subject: 'Joining', message: 'How do I join?' };
    const refused = await contact.post('/contact', { ...(await contact.openForm('/contact')), ...message, name: '' });
    expect(refused.statusCode).toBe(422);
    const sent = await contact.post('/contact', { ...hiddenFields(refused.body), ...message, name: 'Alex Citizen' });
    expect(sent.statusCode).toBe(303);
    // The notice for the next page is the one thing a visitor's session is for; read, it goes.
    expect(await sessionRows()).toBe(before + 1);
    expect((await contact.get('/contact')).body).toContain('Your message has been sent');
    expect(await sessionRows()).toBe(before);

    const forgot = new Browser(t.app);
    const badAddress = await forgot.post('/password/forgot', { ...(await forgot.openForm('/password/forgot')), email: 'not an address' });
    expect(badAddress.statusCode).toBe(422);
    expect((await forgot.post('/password/forgot', { ...hiddenFields(badAddress.body), email: member.email })).statusCode).toBe(200);

    const browser = new Browser(t.app);
    const wrong = await browser.post('/login', { ...(await browser.openForm('/login')), email: member.email, password: 'not-the-password-at-all' });
    expect(wrong.statusCode).toBe(422);
    expect(await sessionRows()).toBe(before);
    const right = await browser.post('/login', { ...hiddenFields(wrong.body), email: member.email, password: member.password });
    expect(right.statusCode).toBe(303);
    expect(await sessionRows()).toBe(before + 1);
    expect((await browser.get('/settings')).statusCode).toBe(200);
  });

  it('can finish joining, reset a password and lift a lock through the emailed links, from the re-rendered 422 form too', async () => {
    const joiner = new Browser(t.app);
    const unticked = await joiner.post('/signup', { ...(await joiner.openForm('/signup')), email: 'visitor.joins@finance.gov.au' });
    expect(unticked.statusCode).toBe(422);
    expect((await joiner.post('/signup', { ...hiddenFields(unticked.body), email: 'visitor.joins@finance.gov.au', accept_guidelines: 'yes' })).statusCode).toBe(200);
    const verify = await emailedPath('visitor.joins@finance.gov.au', '/verify/');
    const profile = { display_name: 'Visitor Joins', handle: 'visitor_joins', job_title: '' };
    const weak = await joiner.post(verify, { ...(await joiner.openForm(verify)), ...profile, password: 'short' });
    expect(weak.statusCode).toBe(422);
    expect((await joiner.post(verify, { ...hiddenFields(weak.body), ...profile, password: GOOD_PASSWORD })).statusCode).toBe(303);
    expect((await joiner.get('/settings')).statusCode).toBe(200);

    const member = await createMember(t.db);
    const asker = new Browser(t.app);
    await asker.post('/password/forgot', { ...(await asker.openForm('/password/forgot')), email: member.email });
    const reset = await emailedPath(member.email, '/password/reset/');
    const resetter = new Browser(t.app);
    const tooShort = await resetter.post(reset, { ...(await resetter.openForm(reset)), password: 'short' });
    expect(tooShort.statusCode).toBe(422);
    expect((await resetter.post(reset, { ...hiddenFields(tooShort.body), password: 'another-fine-password-77-otter' })).statusCode).toBe(303);
    expect((await resetter.get('/settings')).statusCode).toBe(200);

    const locked = await createMember(t.db);
    await lockOut(locked);
    const unlock = await emailedPath(locked.email, '/unlock/');
    const unlocker = new Browser(t.app);
    const unlocked = await unlocker.post(unlock, await unlocker.openForm(unlock));
    expect(unlocked.statusCode).toBe(303);
    expect((await unlocker.get('/login')).body).toContain(AUTH_MESSAGES.unlocked.replace(/'/g, '&#x27;'));
  });

  it('is refused with 403 for a missing, forged or another visitor’s token, a token without its cookie, or a planted cookie', async () => {
    const member = await createMember(t.db);
    const mine = new Browser(t.app);
    const theirs = new Browser(t.app);
    const myForm = await mine.openForm('/password/forgot');
    const theirForm = await theirs.openForm('/password/forgot');
    const writes = async () => ({ sessions: await sessionRows(), emails: await countRows(t.db, 'outbound_emails') });
    const before = await writes();

    // The plain double-submit forgery: a cookie value the attacker chose, and a token made from it.
    const planted = 'P'.repeat(43);
    const attempts: [string, () => Promise<LightMyRequestResponse>][] = [
      ['no token', () => mine.post('/password/forgot', { email: member.email })],
      ['an empty token', () => mine.post('/password/forgot', { _csrf: '', email: member.email })],
      ['a forged token', () => mine.post('/password/forgot', { _csrf: 'not-the-token', email: member.email })],
      ['another visitor’s token', () => mine.post('/password/forgot', { _csrf: theirForm._csrf!, email: member.email })],
      ['a token without its cookie', () => new Browser(t.app).post('/password/forgot', { _csrf: myForm._csrf!, email: member.email })],
      ['a planted cookie', () => new Browser(t.app).post('/password/forgot', { _csrf: Tokens().create(planted), email: member.email }, { cookie: `commons_form=${planted}` })],
    ];
    for (const [attempt, post] of attempts) {
      const response = await post();
      expect(response.statusCode, attempt).toBe(403);
      expect(response.body, attempt).toContain(PAGE_MESSAGES.formExpired);
    }
    expect(await writes()).toEqual(before);
    expect((await mine.post('/password/forgot', { ...myForm, email: member.email })).statusCode).toBe(200);
  });
});

describe('a session ended at its next request (its member deactivated)', () => {
  it('is removed and leaves no empty session behind', async () => {
    const member = await createMember(t.db);
    const browser = new Browser(t.app);
    expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
    const before = await sessionRows();
    await t.db.updateTable('members').set({ deactivated_at: new Date() }).where('id', '=', member.id).execute();
    expect((await browser.get('/settings')).statusCode).toBe(303);
    expect(await sessionRows()).toBe(before - 1);
  });
});
