import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { SECOND_FACTOR_MESSAGES } from '../../../src/features/auth/second-factor/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { latestAudit } from '../../support/admin.js';
import { Browser, buildTestApp, hiddenFields, type TestApp } from '../../support/app.js';
import { MINUTE, TestClock } from '../../support/clock.js';
import { threadPageOf } from '../../support/discussions.js';
import { createRepliedThread } from '../../support/forum-rows.js';
import { emailedPath } from '../../support/membership.js';
import { createAgency, createMember, isSignedIn, signedInBrowser, signIn, type TestMember } from '../../support/members.js';
import { escapeLikeHandlebars } from '../../support/resources.js';

const clock = new TestClock();
let t: TestApp;
// An agency's own domain, a blocked one and one outside government that a test removes.
const NEW_AGENCY_DOMAIN = 'moving-agency.gov.au';
const BLOCKED_DOMAIN = 'blocked-agency.gov.au';
const LEAVING_DOMAIN = 'leaving-agency.org.au';
let newAgency: { id: number; name: string };

beforeAll(async () => {
  t = await buildTestApp({ now: clock.now });
  newAgency = await createAgency(t.db, { name: 'Department of Moving Things' });
  await t.db
    .insertInto('domain_rules')
    .values([
      { domain: NEW_AGENCY_DOMAIN, effect: 'allow', admits_own_domain: true, agency_id: newAgency.id },
      { domain: BLOCKED_DOMAIN, effect: 'block' },
      { domain: LEAVING_DOMAIN, effect: 'allow', admits_own_domain: true },
    ])
    .execute();
});
afterAll(async () => t.close());

const suffix = () => randomBytes(4).toString('hex');
const shown = (message: string) => escapeLikeHandlebars(message);

async function memberSignedIn(): Promise<{ member: TestMember; browser: Browser }> {
  const member = await createMember(t.db, { email: `mover.${suffix()}@finance.gov.au` });
  return { member, browser: await signedInBrowser(t.app, member, member.password) };
}

async function askToMove(browser: Browser, fields: Record<string, string | string[]>) {
  const hidden = await browser.openForm('/settings/email');
  return browser.post('/settings/email', { _csrf: hidden._csrf!, ...fields }, { referer: 'http://127.0.0.1:3000/settings/email' });
}

/** Everything a request to move could write: equal before and after means nothing was. */
async function addressState() {
  return {
    members: await t.db.selectFrom('members').select(['id', 'email', 'canonical_email', 'agency_id', 'verified_at']).orderBy('id').execute(),
    tokens: await t.db.selectFrom('email_tokens').select(['id', 'purpose', 'used_at']).orderBy('id').execute(),
    emails: await t.db.selectFrom('outbound_emails').select('id').orderBy('id').execute(),
    audit: await t.db.selectFrom('audit_events').select('id').orderBy('id').execute(),
  };
}

async function emailsTo(address: string) {
  return t.db.selectFrom('outbound_emails').select(['kind', 'subject', 'text_body']).where('to_address', '=', address).orderBy('id').execute();
}

async function changeTokens(memberId: number) {
  return t.db.selectFrom('email_tokens').select(['canonical_email', 'email', 'used_at', 'expires_at', 'created_at']).where('member_id', '=', memberId).where('purpose', '=', 'email-change').execute();
}

async function memberRow(memberId: number) {
  return t.db.selectFrom('members').select(['email', 'canonical_email', 'agency_id', 'handle', 'verified_at']).where('id', '=', memberId).executeTakeFirstOrThrow();
}

/**
 * Starts the requests while links cannot be written, and lets them go once both wait on a lock:
 * they then meet as two requests at the same moment would, whatever the timing of the machine.
 */
async function heldTogether<T>(start: () => Array<Promise<T>>): Promise<T[]> {
  // The embedded database has one connection: requests take turns on it, so they cannot overlap
  // (and a held lock would keep the connection the requests wait for).
  if (t.database.embedded) return Promise.all(start());
  let requests: Promise<T[]> | undefined;
  await t.db.transaction().execute(async (trx) => {
    await sql`lock table email_tokens in exclusive mode`.execute(trx);
    requests = Promise.all(start());
    for (let waited = 0; ; waited += 10) {
      const { rows } = await sql<{ waiting: number }>`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(t.db);
      if (rows[0]!.waiting >= 2) break;
      if (waited > 5_000) throw new Error('the requests never both waited on a lock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  return requests!;
}

/** Asks to move to `to` and returns the path of the link emailed there. */
async function linkFor(browser: Browser, to: string): Promise<string> {
  const response = await askToMove(browser, { email: to });
  expect(response.statusCode, response.body).toBe(200);
  return emailedPath(t.db, to, '/email-change/');
}

async function pressConfirm(browser: Browser, path: string) {
  const hidden = await browser.openForm(path);
  return browser.post(path, hidden);
}

describe('GET /settings/email', () => {
  it('shows the current address and the form, linked from the settings page', async () => {
    const { member, browser } = await memberSignedIn();
    expect((await browser.get('/settings')).body).toContain('href="/settings/email"');
    const page = await browser.get('/settings/email');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(member.email);
    expect(page.body).toContain('action="/settings/email"');
  });

  it('sends a signed-out visitor to sign in', async () => {
    const response = await new Browser(t.app).get('/settings/email');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login?next=%2Fsettings%2Femail');
  });
});

describe('moving to a new address', () => {
  it('emails a link to the new address and a notice to the old; the link moves the account, its agency, posts and history with it', async () => {
    const { member, browser } = await memberSignedIn();
    const other = await memberSignedIn();
    const { threadId } = await createRepliedThread(t.db, member.id, other.member.id);
    const postsBefore = await t.db.selectFrom('posts').select(['id', 'author_id']).where('author_id', '=', member.id).orderBy('id').execute();
    const elsewhere = await signedInBrowser(t.app, member, member.password);
    const to = `Jane.Mover+work.${suffix()}@${NEW_AGENCY_DOMAIN}`;

    const asked = await askToMove(browser, { email: to });
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain(shown(AUTH_MESSAGES.emailChangeSent(to)));
    const [token] = await changeTokens(member.id);
    expect(token).toMatchObject({ email: to, canonical_email: to.toLowerCase().replace(/\+[^@]*/, ''), used_at: null });
    expect(token!.expires_at.getTime() - token!.created_at.getTime()).toBe(24 * 60 * MINUTE);
    const notice = await emailsTo(member.email);
    expect(notice.map((e) => e.kind)).toEqual(['auth.email-change-notice']);
    expect(notice[0]!.text_body).toContain(to);
    expect((await latestAudit(t.db, 'member.email_change_requested'))?.details).toEqual({ before: { email: member.email }, after: { email: to } });
    // Nothing changes until the link is opened.
    expect((await memberRow(member.id)).email).toBe(member.email);

    const path = await emailedPath(t.db, to, '/email-change/');
    const confirmPage = await browser.get(path);
    expect(confirmPage.body).toContain(to);
    const confirmed = await pressConfirm(browser, path);
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe('/settings');
    expect((await browser.get('/settings')).body).toContain(shown(AUTH_MESSAGES.emailChanged(to)));

    const after = await memberRow(member.id);
    expect(after).toMatchObject({ email: to, canonical_email: token!.canonical_email, agency_id: newAgency.id, handle: member.handle });
    expect(after.verified_at.getTime()).toBeGreaterThan(Date.now() - MINUTE);
    expect(await t.db.selectFrom('posts').select(['id', 'author_id']).where('author_id', '=', member.id).orderBy('id').execute()).toEqual(postsBefore);
    expect(await threadPageOf(browser, threadId)).toContain(newAgency.name);
    expect((await latestAudit(t.db, 'member.email_changed'))?.details).toEqual({
      before: { email: member.email, agencyId: member.agencyId },
      after: { email: to, agencyId: newAgency.id },
      sessionsEnded: 1,
    });
    expect((await emailsTo(member.email)).map((e) => e.kind)).toEqual(['auth.email-change-notice', 'auth.email-changed']);

    // This browser stays signed in; the other is signed out; the new address signs in, the old does not.
    expect(await isSignedIn(browser)).toBe(true);
    expect(await isSignedIn(elsewhere)).toBe(false);
    expect((await signIn(new Browser(t.app), member.email, member.password)).statusCode).toBe(422);
    expect((await signIn(new Browser(t.app), to, member.password)).statusCode).toBe(303);
  });

  it('follows a rule that names no agency to the domain’s provisional agency, and a link opened signed out ends every session', async () => {
    const { member, browser } = await memberSignedIn();
    const to = `mover.${suffix()}@another-${suffix()}.gov.au`;
    const path = await linkFor(browser, to);
    const response = await pressConfirm(new Browser(t.app), path);
    expect(response.headers.location).toBe('/login');
    const agency = await t.db.selectFrom('agencies').select('name').where('id', '=', (await memberRow(member.id)).agency_id).executeTakeFirstOrThrow();
    expect(agency.name).toBe(to.slice(to.indexOf('@') + 1));
    expect(await isSignedIn(browser)).toBe(false);
  });

  it('asks once for a form sent twice: one link, one notice', async () => {
    const { member, browser } = await memberSignedIn();
    const to = `twice.${suffix()}@${NEW_AGENCY_DOMAIN}`;
    const hidden = await browser.openForm('/settings/email');
    const [first, second] = await Promise.all([browser.post('/settings/email', { ...hidden, email: to }), browser.post('/settings/email', { ...hidden, email: to })]);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(await changeTokens(member.id)).toHaveLength(1);
    expect(await emailsTo(to)).toHaveLength(1);
    expect(await emailsTo(member.email)).toHaveLength(1);
  });

  it('leaves one live link when two addresses are asked for at once', async () => {
    const { member, browser } = await memberSignedIn();
    const hidden = await browser.openForm('/settings/email');
    const addresses = [`first.${suffix()}@${NEW_AGENCY_DOMAIN}`, `second.${suffix()}@${NEW_AGENCY_DOMAIN}`];
    const responses = await heldTogether(() => addresses.map((to) => browser.post('/settings/email', { ...hidden, email: to })));
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200]);
    expect((await changeTokens(member.id)).filter((token) => token.used_at === null)).toHaveLength(1);
  });

  it('mails one address no more than sign-up would in an hour, answering the fourth ask the same and sending nothing', async () => {
    const { member, browser } = await memberSignedIn();
    const to = `popular.${suffix()}@${NEW_AGENCY_DOMAIN}`;
    for (let ask = 1; ask <= 3; ask += 1) {
      expect((await askToMove(browser, { email: to })).statusCode).toBe(200);
      clock.advance(2 * MINUTE);
    }
    const before = await addressState();
    const fourth = await askToMove(browser, { email: to });
    expect(fourth.statusCode).toBe(200);
    expect(fourth.body).toContain(shown(AUTH_MESSAGES.emailChangeSent(to)));
    expect(await addressState()).toEqual(before);
    expect(await emailsTo(to)).toHaveLength(3);
    expect((await changeTokens(member.id)).filter((token) => token.used_at === null)).toHaveLength(1);
  });
});

describe('POST /settings/email refuses, writing nothing', () => {
  let member: TestMember;
  let browser: Browser;
  let otherMember: TestMember;
  beforeAll(async () => {
    ({ member, browser } = await memberSignedIn());
    otherMember = await createMember(t.db, { email: `taken.${suffix()}@finance.gov.au` });
  });

  const cases: Array<[string, () => Record<string, string | string[]>, string]> = [
    ['a missing address', () => ({}), AUTH_MESSAGES.emailRequired],
    ['an empty address', () => ({ email: '   ' }), AUTH_MESSAGES.emailRequired],
    ['an address of 300 characters', () => ({ email: `${'a'.repeat(285)}@finance.gov.au` }), AUTH_MESSAGES.emailTooLong],
    ['markup', () => ({ email: '<script>alert@finance.gov.au' }), AUTH_MESSAGES.localCharacter],
    ['a javascript: address', () => ({ email: 'javascript:alert@finance.gov.au' }), AUTH_MESSAGES.localCharacter],
    ['a NUL', () => ({ email: 'jane\u0000@finance.gov.au' }), AUTH_MESSAGES.emailHasNul],
    ['SQL', () => ({ email: "x';drop--@finance.gov.au" }), AUTH_MESSAGES.localCharacter],
    ['a quoted SQL address', () => ({ email: '"x;drop--"@finance.gov.au' }), AUTH_MESSAGES.emailQuoted],
    ['two values', () => ({ email: ['a@finance.gov.au', 'b@finance.gov.au'] }), AUTH_MESSAGES.emailNotText],
    ['a domain with no dot', () => ({ email: 'a@b' }), AUTH_MESSAGES.domainSingleLabel],
    ['a blocked domain', () => ({ email: `jane@${BLOCKED_DOMAIN}` }), AUTH_MESSAGES.domainBlocked],
    ['a domain not admitted', () => ({ email: 'jane@gmail.com' }), AUTH_MESSAGES.domainNotAllowed],
    ['the same address', () => ({ email: member.email }), AUTH_MESSAGES.emailChangeSameAddress],
    ['the same address in other letters with a tag', () => ({ email: member.email.toUpperCase().replace('@', '+new@') }), AUTH_MESSAGES.emailChangeSameAddress],
    ['a field of no form', () => ({ email: `a.${suffix()}@finance.gov.au`, role: 'administrator' }), PAGE_MESSAGES.unexpectedField],
  ];
  it.each(cases)('%s', async (_name, fields, message) => {
    const before = await addressState();
    const response = await askToMove(browser, fields());
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(shown(message));
    expect(response.body).not.toContain('<script>');
    expect(await addressState()).toEqual(before);
  });

  it('answers an address another member has as it answers a free one, sending that member a notice and no link', async () => {
    const before = await addressState();
    const response = await askToMove(browser, { email: otherMember.email });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(shown(AUTH_MESSAGES.emailChangeSent(otherMember.email)));
    expect(await changeTokens(member.id)).toEqual([]);
    expect(await t.db.selectFrom('email_tokens').select('id').execute()).toEqual(before.tokens.map(({ id }) => ({ id })));
    const toOther = await emailsTo(otherMember.email);
    expect(toOther.map((e) => e.kind)).toEqual(['auth.email-change-taken']);
    expect(toOther[0]!.text_body).not.toContain('/email-change/');
    expect((await emailsTo(member.email)).map((e) => e.kind)).toEqual(['auth.email-change-notice']);
    expect((await t.db.selectFrom('members').select(['id', 'email']).orderBy('id').execute())).toEqual(before.members.map(({ id, email }) => ({ id, email })));
  });

  it('refuses a signed-out visitor', async () => {
    const visitor = new Browser(t.app);
    const hidden = await visitor.openForm('/login');
    const before = await addressState();
    const response = await visitor.post('/settings/email', { ...hidden, email: `a.${suffix()}@finance.gov.au` });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(shown(PAGE_MESSAGES.signInFirst));
    expect(await addressState()).toEqual(before);
  });

  it('refuses a form without its token', async () => {
    const before = await addressState();
    const response = await browser.post('/settings/email', { email: `a.${suffix()}@finance.gov.au` });
    expect(response.statusCode).toBe(403);
    expect(await addressState()).toEqual(before);
  });
});

describe('step-up', () => {
  it('sends a change more than 10 minutes after the last password check to confirm it is them first, writing nothing', async () => {
    const { member, browser } = await memberSignedIn();
    const hidden = await browser.openForm('/settings/email');
    clock.advance(11 * MINUTE);
    const page = await browser.get('/settings/email');
    expect(page.body).toContain(`href="${shown('/confirm-identity?next=%2Fsettings%2Femail')}"`);
    expect(page.body).not.toContain('action="/settings/email"');
    const before = await addressState();
    const refused = await browser.post('/settings/email', { ...hidden, email: `late.${suffix()}@${NEW_AGENCY_DOMAIN}` }, { referer: 'http://127.0.0.1:3000/settings/email' });
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe('/confirm-identity?next=%2Fsettings%2Femail');
    expect(await addressState()).toEqual(before);

    const confirmPage = await browser.get('/confirm-identity?next=%2Fsettings%2Femail');
    expect(confirmPage.body).toContain(shown(SECOND_FACTOR_MESSAGES.confirmRequired));
    const confirm = hiddenFields(confirmPage.body);
    const confirmed = await browser.post('/confirm-identity/password', { ...confirm, password: member.password });
    expect(confirmed.headers.location).toBe('/settings/email');
    expect((await askToMove(browser, { email: `late.${suffix()}@${NEW_AGENCY_DOMAIN}` })).statusCode).toBe(200);
  });
});

describe('the emailed link', () => {
  it('works once', async () => {
    const { member, browser } = await memberSignedIn();
    const path = await linkFor(browser, `once.${suffix()}@${NEW_AGENCY_DOMAIN}`);
    const hidden = await browser.openForm(path);
    expect((await browser.post(path, hidden)).statusCode).toBe(303);
    const row = await memberRow(member.id);
    const again = await browser.post(path, hidden);
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain(shown(AUTH_MESSAGES.invalidLink['email-change']));
    expect((await browser.get(path)).statusCode).toBe(400);
    expect(await memberRow(member.id)).toEqual(row);
  });

  it('refuses a forged link and an expired one, changing nothing', async () => {
    const { member, browser } = await memberSignedIn();
    const path = await linkFor(browser, `expired.${suffix()}@${NEW_AGENCY_DOMAIN}`);
    const hidden = await browser.openForm(path);
    for (const forged of [`/email-change/${'A'.repeat(43)}`, `${path}x`, `/email-change/${path.slice('/email-change/'.length).toUpperCase()}`, '/email-change/%00']) {
      expect((await browser.get(forged)).statusCode, forged).toBe(400);
      expect((await browser.post(forged, hidden)).statusCode, forged).toBe(400);
    }
    await t.db.updateTable('email_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('member_id', '=', member.id).where('purpose', '=', 'email-change').execute();
    expect((await browser.post(path, hidden)).statusCode).toBe(400);
    expect((await memberRow(member.id)).email).toBe(member.email);
  });

  it('refuses a link whose domain was removed meanwhile, and spends it', async () => {
    const { member, browser } = await memberSignedIn();
    const path = await linkFor(browser, `leaving.${suffix()}@${LEAVING_DOMAIN}`);
    const hidden = await browser.openForm(path);
    await t.db.deleteFrom('domain_rules').where('domain', '=', LEAVING_DOMAIN).execute();
    try {
      const response = await browser.post(path, hidden);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain(shown(AUTH_MESSAGES.invalidLink['email-change']));
      expect((await memberRow(member.id)).email).toBe(member.email);
      expect((await changeTokens(member.id))[0]!.used_at).not.toBeNull();
    } finally {
      await t.db.insertInto('domain_rules').values({ domain: LEAVING_DOMAIN, effect: 'allow', admits_own_domain: true }).execute();
    }
  });

  it('refuses a link to an address another member took meanwhile', async () => {
    const { member, browser } = await memberSignedIn();
    const to = `contested.${suffix()}@${NEW_AGENCY_DOMAIN}`;
    const path = await linkFor(browser, to);
    await createMember(t.db, { email: to });
    expect((await pressConfirm(browser, path)).statusCode).toBe(400);
    expect((await memberRow(member.id)).email).toBe(member.email);
  });

  it('stops working when the member asks for another address, or signs out everywhere else', async () => {
    const { browser } = await memberSignedIn();
    const first = await linkFor(browser, `first.${suffix()}@${NEW_AGENCY_DOMAIN}`);
    const second = await linkFor(browser, `second.${suffix()}@${NEW_AGENCY_DOMAIN}`);
    expect((await browser.get(first)).statusCode).toBe(400);
    const settings = await browser.openForm('/settings');
    expect((await browser.post('/settings/sessions/end-others', settings)).statusCode).toBe(303);
    expect((await browser.get(second)).statusCode).toBe(400);
  });
});
