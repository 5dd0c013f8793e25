import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ELIGIBILITY_MESSAGES as M } from '../../../src/features/eligibility/messages.js';
import { sendReconfirmationReminders } from '../../../src/features/eligibility/reminders.js';
import { AUTH_MESSAGES } from '../../../src/features/auth/messages.js';
import { SITE_SETTINGS } from '../../../src/config.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { formatDate } from '../../../src/lib/time.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { TestClock } from '../../support/clock.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createMember, linksInLatestEmail, pathOf, signIn } from '../../support/members.js';
import { escapeLikeHandlebars } from '../../support/resources.js';
import { auditFor, blockDomain, confirmedBefore, emailsTo, freshGovDomain, jobDeps, memberRow, overdueAndReminded } from './support.js';

let t: TestApp;
const clock = new TestClock();
const DAY = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  t = await buildTestApp({ now: clock.now });
});
afterAll(async () => t.close());

/** A member signed in, then made past their date: their session goes on, and its next request finds them due. */
async function dueMemberWithBrowser(options: Parameters<typeof createMember>[1] = {}) {
  const signedIn = await memberWithBrowser(t.app, t.db, options);
  await overdueAndReminded(t.db, signedIn.member.id, clock.now());
  return signedIn;
}

async function askForLink(browser: Browser) {
  const hidden = await browser.openForm('/reconfirm');
  return browser.post('/reconfirm', hidden);
}

describe('the reminder job', () => {
  it('reminds a member once, two weeks before their date, and not again that period', async () => {
    const member = await createMember(t.db);
    // Fifteen days before the date: too early.
    await confirmedBefore(t.db, member.id, clock.now(), { months: 12, days: -15 });
    const jobClock = new TestClock();
    const deps = jobDeps(t, jobClock.now);
    await sendReconfirmationReminders(deps);
    expect(await emailsTo(t.db, member.email)).toEqual([]);
    expect((await memberRow(t.db, member.id)).reconfirmation_reminded_at).toBeNull();

    jobClock.advance(DAY + 60_000);
    await sendReconfirmationReminders(deps);
    const emails = await emailsTo(t.db, member.email);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.kind).toBe('eligibility.reminder');
    expect(emails[0]!.text_body).toContain('/reconfirm');
    expect((await memberRow(t.db, member.id)).reconfirmation_reminded_at).toBeInstanceOf(Date);
    expect(await auditFor(t.db, 'member.reconfirmation_reminded', member.id)).toEqual([expect.objectContaining({ actor_member_id: null, actor_label: 'system' })]);

    jobClock.advance(7 * DAY);
    await sendReconfirmationReminders(deps);
    expect(await emailsTo(t.db, member.email)).toHaveLength(1);
  });

  it('reminds each member once when two instances run the job at the same moment', async () => {
    const members = await Promise.all(Array.from({ length: 12 }, () => createMember(t.db)));
    for (const member of members) await confirmedBefore(t.db, member.id, clock.now(), { months: 12, days: -13 });
    const deps = jobDeps(t, clock.now);
    const [first, second] = await Promise.all([sendReconfirmationReminders(deps), sendReconfirmationReminders(deps)]);
    expect(first + second).toBeGreaterThanOrEqual(members.length);
    for (const member of members) expect(await emailsTo(t.db, member.email)).toHaveLength(1);
  });

  it('reminds again in the next period, once the member has re-confirmed', async () => {
    const member = await createMember(t.db);
    await confirmedBefore(t.db, member.id, clock.now(), { months: 12, days: -10 });
    const deps = jobDeps(t, clock.now);
    await sendReconfirmationReminders(deps);
    expect(await emailsTo(t.db, member.email)).toHaveLength(1);
    // Re-confirmed (verified_at moved past the reminder): a new period.
    await t.db.updateTable('members').set({ verified_at: sql`reconfirmation_reminded_at + interval '1 second'` }).where('id', '=', member.id).execute();
    await sendReconfirmationReminders(jobDeps(t, () => new Date(clock.now().getTime() + 365 * DAY)));
    expect(await emailsTo(t.db, member.email)).toHaveLength(2);
  });

  it('leaves deactivated members alone', async () => {
    const member = await createMember(t.db, { deactivated: true });
    await confirmedBefore(t.db, member.id, clock.now(), { months: 12, days: -1 });
    await sendReconfirmationReminders(jobDeps(t, clock.now));
    expect(await emailsTo(t.db, member.email)).toEqual([]);
  });
});

describe('past the re-confirmation date', () => {
  it('holds a member to the re-confirmation page on their next request, and the emailed link restores access', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    for (const path of ['/', '/settings', '/resources', '/c/questions', '/notifications', '/mod']) {
      const response = await browser.get(path);
      expect(response.statusCode, path).toBe(303);
      expect(response.headers.location, path).toBe('/reconfirm');
    }
    const hidden = await browser.openForm('/reconfirm');
    const profile = await browser.post('/settings/profile', { ...hidden, display_name: 'Changed while due', job_title: '', bio: '', time_zone: '' });
    expect(profile.statusCode).toBe(403);
    expect(profile.body).toContain(escapeLikeHandlebars(PAGE_MESSAGES.reconfirmationDue));

    const page = await browser.get('/reconfirm');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(escapeLikeHandlebars(M.pageTitle));
    expect(page.body).toContain('until you confirm it you can only see this page');
    expect(page.body).toContain(member.email);
    expect(page.body).toContain('href="/settings/email"');

    const asked = await askForLink(browser);
    expect(asked.statusCode).toBe(303);
    expect(asked.headers.location).toBe('/reconfirm');
    expect((await browser.get('/reconfirm')).body).toContain(escapeLikeHandlebars(M.linkSent(member.email)));
    const link = pathOf((await linksInLatestEmail(t.db, member.email))[0]!);
    expect(link).toMatch(/^\/reconfirm\/[A-Za-z0-9_-]{43}$/);

    const confirmPage = await browser.get(link);
    expect(confirmPage.statusCode).toBe(200);
    const confirmed = await browser.post(link, (await browser.openForm(link)));
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe('/');
    const home = await browser.get('/');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain(escapeLikeHandlebars(M.reconfirmed));
    expect((await browser.get('/settings')).statusCode).toBe(200);
    expect(Math.abs((await memberRow(t.db, member.id)).verified_at.getTime() - clock.now().getTime())).toBeLessThan(60_000);
    expect(await auditFor(t.db, 'member.reconfirmed', member.id)).toEqual([expect.objectContaining({ actor_member_id: member.id })]);
  });

  it('holds an administrator too: /admin and its forms are out of reach until they re-confirm', async () => {
    const { browser, member } = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
    const csrf = (await browser.openForm('/admin'))._csrf!;
    await overdueAndReminded(t.db, member.id, clock.now());
    for (const path of ['/admin', '/admin/settings', '/mod']) expect((await browser.get(path)).headers.location, path).toBe('/reconfirm');
    const refused = await browser.post('/admin/settings', { _csrf: csrf, group: 'Site', OPERATOR_NAME: 'Taken over' });
    expect(refused.statusCode).toBe(403);
    expect(await t.db.selectFrom('setting_overrides').select('name').execute()).toEqual([]);
  });

  it('sends a member signing in to the re-confirmation page, and keeps sign-out and the address-change page open', async () => {
    const member = await createMember(t.db);
    await overdueAndReminded(t.db, member.id, clock.now());
    const browser = new Browser(t.app);
    expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
    expect((await browser.get('/')).headers.location).toBe('/reconfirm');
    // Not held back to the re-confirmation page: the address-change feature answers it (or, until it lands, nothing does).
    expect((await browser.get('/settings/email')).headers.location).not.toBe('/reconfirm');
    const hidden = await browser.openForm('/reconfirm');
    expect((await browser.post('/logout', hidden)).statusCode).toBe(303);
    expect((await browser.get('/reconfirm')).headers.location).toBe('/login?next=%2Freconfirm');
  });

  it('lets a member who moved agency prove their new address instead, which restores access', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    const to = `moved.${randomBytes(4).toString('hex')}@${freshGovDomain()}`;
    const hidden = await browser.openForm('/settings/email');
    expect((await browser.post('/settings/email', { _csrf: hidden._csrf!, email: to })).statusCode).toBe(200);
    const link = pathOf((await linksInLatestEmail(t.db, to))[0]!);
    expect((await browser.get(link)).statusCode).toBe(200);
    expect((await browser.post(link, await browser.openForm(link))).statusCode).toBe(303);
    expect((await browser.get('/settings')).statusCode).toBe(200);
    expect(Math.abs((await memberRow(t.db, member.id)).verified_at.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('lets a held member whose sign-in is more than ten minutes old confirm it is them, and so change their address', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    const to = `moved.${randomBytes(4).toString('hex')}@${freshGovDomain()}`;
    clock.advance(11 * 60_000);
    const hidden = await browser.openForm('/settings/email');
    const refused = await browser.post('/settings/email', { _csrf: hidden._csrf!, email: to });
    expect(refused.statusCode).toBe(303);
    expect(refused.headers.location).toBe('/confirm-identity?next=%2Fsettings%2Femail');
    expect(await emailsTo(t.db, to)).toEqual([]);
    const confirm = await browser.openForm('/confirm-identity?next=%2Fsettings%2Femail');
    const confirmed = await browser.post('/confirm-identity/password', { ...confirm, password: member.password });
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe('/settings/email');
    for (const path of ['/confirm-identity/code', '/confirm-identity/passkey']) {
      expect((await browser.post(path, await browser.openForm('/confirm-identity'))).body, path).not.toContain(escapeLikeHandlebars(PAGE_MESSAGES.reconfirmationDue));
    }
    const again = await browser.openForm('/settings/email');
    expect((await browser.post('/settings/email', { _csrf: again._csrf!, email: to })).statusCode).toBe(200);
    expect(await emailsTo(t.db, to)).toHaveLength(1);
  });

  it('shows a held member no header links or search box, only their name and Sign out', async () => {
    const { browser, member } = await dueMemberWithBrowser();
    const page = await browser.get('/reconfirm');
    const header = page.body.slice(page.body.indexOf('<header'), page.body.indexOf('</header>'));
    expect(header).toContain(member.displayName);
    expect(header).toContain('action="/logout"');
    for (const link of ['href="/c"', 'href="/resources"', 'href="/notifications"', 'href="/settings"', 'action="/search"']) expect(header, link).not.toContain(link);
    // Re-confirmed, the header is whole again.
    await t.db.updateTable('members').set({ verified_at: clock.now() }).where('id', '=', member.id).execute();
    const after = await browser.get('/settings');
    expect(after.body).toContain('href="/c"');
    expect(after.body).toContain('action="/search"');
  });

  it('lets a held member whose address bounced ask for it to be tried again from the held page', async () => {
    const { browser, member } = await dueMemberWithBrowser();
    await t.db.updateTable('members').set({ email_bounced_at: clock.now(), email_bounce_response: '550 5.1.1 <x>: mailbox unavailable' }).where('id', '=', member.id).execute();
    const page = await browser.get('/reconfirm');
    expect(page.body).toContain('action="/settings/email/try-again"');
    const hidden = await browser.openForm('/reconfirm');
    const retried = await browser.post('/settings/email/try-again', { _csrf: hidden._csrf! });
    expect(retried.statusCode).toBe(303);
    expect(await t.db.selectFrom('members').select('email_bounced_at').where('id', '=', member.id).executeTakeFirstOrThrow()).toEqual({ email_bounced_at: null });
  });

  it('keeps the site’s notices and the contact page open to a held member, as to one awaiting approval', async () => {
    const { browser } = await dueMemberWithBrowser();
    for (const path of ['/contact', '/privacy', '/accessibility', '/guidelines']) expect((await browser.get(path)).statusCode, path).toBe(200);
  });

  it('is not due a day before the date: the page is open, and says when', async () => {
    const { browser, member } = await memberWithBrowser(t.app, t.db);
    await confirmedBefore(t.db, member.id, clock.now(), { months: 12, days: -1 });
    expect((await browser.get('/settings')).statusCode).toBe(200);
    const page = await browser.get('/reconfirm');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Yours is due by');
  });
});

describe('the emailed link', () => {
  async function linkFor(browser: Browser, email: string): Promise<string> {
    expect((await askForLink(browser)).statusCode).toBe(303);
    return pathOf((await linksInLatestEmail(t.db, email))[0]!);
  }

  async function refusedLink(browser: Browser, link: string, memberId: number) {
    const before = await memberRow(t.db, memberId);
    const page = await browser.get(link);
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain(escapeLikeHandlebars(AUTH_MESSAGES.invalidLink.reconfirm));
    const hidden = await browser.openForm('/reconfirm');
    const response = await browser.post(link, { _csrf: hidden._csrf! });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(escapeLikeHandlebars(AUTH_MESSAGES.invalidLink.reconfirm));
    expect(await memberRow(t.db, memberId)).toEqual(before);
    expect(await auditFor(t.db, 'member.reconfirmed', memberId)).toEqual([]);
  }

  it('works once', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    const link = await linkFor(browser, member.email);
    const hidden = await browser.openForm(link);
    expect((await browser.post(link, hidden)).statusCode).toBe(303);
    await overdueAndReminded(t.db, member.id, clock.now());
    const response = await browser.post(link, { _csrf: hidden._csrf! });
    expect(response.statusCode).toBe(400);
    expect(await auditFor(t.db, 'member.reconfirmed', member.id)).toHaveLength(1);
  });

  it('refuses an expired link, a forged one, and one sent before the address changed', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    const expired = await linkFor(browser, member.email);
    await t.db.updateTable('email_tokens').set({ expires_at: sql`now() - interval '1 second'` }).where('member_id', '=', member.id).where('purpose', '=', 'reconfirm').execute();
    await refusedLink(browser, expired, member.id);
    await refusedLink(browser, `/reconfirm/${randomBytes(32).toString('base64url')}`, member.id);
    await refusedLink(browser, '/reconfirm/%3Cscript%3E', member.id);

    const moved = await linkFor(browser, member.email);
    await t.db.updateTable('members').set({ canonical_email: `moved.${randomBytes(3).toString('hex')}@treasury.gov.au` }).where('id', '=', member.id).execute();
    await refusedLink(browser, moved, member.id);
  });

  it('refuses a link of another purpose', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    await linkFor(browser, member.email);
    await t.db.updateTable('email_tokens').set({ purpose: 'unlock' }).where('member_id', '=', member.id).where('purpose', '=', 'reconfirm').execute();
    const link = pathOf((await linksInLatestEmail(t.db, member.email))[0]!);
    await refusedLink(browser, link, member.id);
  });

  it('confirms in a browser that is not signed in, and says to sign in', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    const link = await linkFor(browser, member.email);
    const elsewhere = new Browser(t.app);
    const response = await elsewhere.post(link, await elsewhere.openForm(link));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login');
    expect((await elsewhere.get('/login')).body).toContain(escapeLikeHandlebars(M.reconfirmedSignIn));
    expect((await browser.get('/settings')).statusCode).toBe(200);
  });

  it('deactivates, and says why, when the address’s domain is no longer admitted', async () => {
    const domain = freshGovDomain();
    const { member, browser } = await dueMemberWithBrowser({ email: `leaver@${domain}` });
    const link = await linkFor(browser, member.email);
    await blockDomain(t.db, domain);
    const hidden = await browser.openForm(link);
    const response = await browser.post(link, hidden);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(escapeLikeHandlebars(M.deactivated.domain_not_admitted));
    expect(await memberRow(t.db, member.id)).toMatchObject({ deactivation_reason: 'domain_not_admitted', deactivated_at: expect.any(Date) });
    expect(await auditFor(t.db, 'member.deactivated', member.id)).toEqual([expect.objectContaining({ actor_label: 'system', details: expect.objectContaining({ reason: 'domain_not_admitted', domain }) })]);
    expect(await auditFor(t.db, 'member.reconfirmed', member.id)).toEqual([]);
    expect((await browser.get('/reconfirm')).headers.location).toBe('/login?next=%2Freconfirm');
  });
});

describe('POST /reconfirm', () => {
  async function requestState(memberId: number, email: string) {
    return { emails: (await emailsTo(t.db, email)).length, tokens: Number((await t.db.selectFrom('email_tokens').select((eb) => eb.fn.countAll<string>().as('n')).where('member_id', '=', memberId).executeTakeFirstOrThrow()).n), audits: (await auditFor(t.db, 'member.reconfirmation_requested', memberId)).length };
  }

  it('sends one link for a form sent twice', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    const hidden = await browser.openForm('/reconfirm');
    expect((await browser.post('/reconfirm', hidden)).statusCode).toBe(303);
    expect((await browser.post('/reconfirm', hidden)).statusCode).toBe(303);
    expect((await browser.get('/reconfirm')).body).toContain(escapeLikeHandlebars(M.linkAlreadySent));
    expect(await requestState(member.id, member.email)).toEqual({ emails: 1, tokens: 1, audits: 1 });
  });

  it('refuses a form without its token, with a hostile one, with extra fields, or without the CSRF token, writing nothing', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    const before = await requestState(member.id, member.email);
    const _csrf = (await browser.openForm('/reconfirm'))._csrf!;
    for (const fields of [{ _csrf }, { _csrf, form_token: '<script>alert(1)</script>' }, { _csrf, form_token: "' OR 1=1 --" }, { _csrf, form_token: randomUUID(), role: 'administrator' }, { _csrf, form_token: ['a', 'b'] }]) {
      const response = await browser.post('/reconfirm', fields as Record<string, string | string[]>);
      expect(response.statusCode, JSON.stringify(fields)).toBe(422);
      expect(response.body).not.toContain('<script>alert(1)');
    }
    const missing = await browser.post('/reconfirm', { _csrf });
    expect(missing.body).toContain('This form is missing its token; reload the page and try again');
    expect((await browser.post('/reconfirm', { form_token: randomUUID() })).statusCode).toBe(403);
    expect(await requestState(member.id, member.email)).toEqual(before);
  });

  it('refuses a visitor', async () => {
    const visitor = new Browser(t.app);
    expect((await visitor.get('/reconfirm')).headers.location).toBe('/login?next=%2Freconfirm');
    const { _csrf } = await visitor.openForm('/login');
    expect((await visitor.post('/reconfirm', { _csrf: _csrf!, form_token: randomUUID() })).statusCode).toBe(403);
  });

  it('limits fresh links to three an hour, saying when to try again', async () => {
    const { member, browser } = await dueMemberWithBrowser();
    for (let i = 0; i < 3; i++) expect((await askForLink(browser)).statusCode).toBe(303);
    const before = await requestState(member.id, member.email);
    const limited = await askForLink(browser);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.body).toContain('Try again');
    expect(await requestState(member.id, member.email)).toEqual(before);
    // Only the newest link works.
    expect(before.tokens).toBe(3);
  });
});

describe('signing in with an address no rule admits any more', () => {
  it('deactivates the member with that reason and tells them, after the right password only', async () => {
    const domain = freshGovDomain();
    const member = await createMember(t.db, { email: `gone@${domain}` });
    await blockDomain(t.db, domain);
    const guessed = await signIn(new Browser(t.app), member.email, 'a-wrong-password-of-some-length');
    expect(guessed.statusCode).toBe(422);
    expect((await memberRow(t.db, member.id)).deactivated_at).toBeNull();

    const response = await signIn(new Browser(t.app), member.email, member.password);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(escapeLikeHandlebars(M.deactivated.domain_not_admitted));
    expect(await memberRow(t.db, member.id)).toMatchObject({ deactivation_reason: 'domain_not_admitted' });
    expect(await auditFor(t.db, 'member.deactivated', member.id)).toEqual([expect.objectContaining({ actor_label: 'system', details: expect.objectContaining({ reason: 'domain_not_admitted' }) })]);
    // Told again next time, without a second deactivation.
    expect((await signIn(new Browser(t.app), member.email, member.password)).body).toContain(escapeLikeHandlebars(M.deactivated.domain_not_admitted));
    expect(await auditFor(t.db, 'member.deactivated', member.id)).toHaveLength(1);
  });
});

describe('the re-confirmation period setting', () => {
  const label = escapeLikeHandlebars(SITE_SETTINGS.RECONFIRMATION_PERIOD_MONTHS.label);

  it('is refused out of range or not a whole number, writing nothing, and applies at once when saved', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
    const _csrf = (await browser.openForm('/admin/settings'))._csrf!;
    for (const [value, message] of [
      ['0', 'must be at least 1'],
      ['37', 'must be at most 36'],
      ['1.5', 'must be a whole number'],
      ['twelve', 'must be a whole number'],
      ['<script>alert(1)</script>', 'must be a whole number'],
    ]) {
      const before = await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      const response = await browser.post('/admin/settings', { _csrf, RECONFIRMATION_PERIOD_MONTHS: value! });
      expect(response.statusCode, value).toBe(422);
      expect(response.body).toContain(`${label}: ${message}`);
      expect(response.body).not.toContain('<script>alert(1)');
      expect(await t.db.selectFrom('setting_overrides').select('name').execute()).toEqual([]);
      expect(await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).toEqual(before);
    }

    const { member, browser: memberBrowser } = await memberWithBrowser(t.app, t.db);
    await overdueAndReminded(t.db, member.id, clock.now(), 7);
    expect((await memberBrowser.get('/settings')).statusCode).toBe(200);
    expect((await browser.post('/admin/settings', { _csrf, RECONFIRMATION_PERIOD_MONTHS: '6' })).statusCode).toBe(303);
    expect((await memberBrowser.get('/settings')).headers.location).toBe('/reconfirm');
    expect((await browser.post('/admin/settings', { _csrf, RECONFIRMATION_PERIOD_MONTHS: '12' })).statusCode).toBe(303);
    expect((await memberBrowser.get('/settings')).statusCode).toBe(200);
  });
});

describe('a member past their date who was never reminded (a site upgraded, or the period shortened)', () => {
  it('is not held until two weeks after the reminder the job then sends', async () => {
    const member = await createMember(t.db);
    await confirmedBefore(t.db, member.id, clock.now(), { months: 13 });
    const browser = new Browser(t.app);
    expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
    expect((await browser.get('/settings')).statusCode).toBe(200);

    await sendReconfirmationReminders(jobDeps(t, clock.now));
    expect(await emailsTo(t.db, member.email)).toEqual([expect.objectContaining({ kind: 'eligibility.reminder' })]);
    expect((await browser.get('/settings')).statusCode).toBe(200);
    // The page names the day they will be held from, two weeks on, not the date already past.
    const page = await browser.get('/reconfirm');
    expect(page.body).toContain(escapeLikeHandlebars(M.dueSoon(formatDate(new Date(clock.now().getTime() + 14 * DAY), 'Australia/Sydney'))));

    clock.advance(14 * DAY - 60_000);
    const before = new Browser(t.app);
    expect((await signIn(before, member.email, member.password)).statusCode).toBe(303);
    expect((await before.get('/settings')).statusCode).toBe(200);
    clock.advance(2 * 60_000);
    expect((await before.get('/settings')).headers.location).toBe('/reconfirm');
  });
});

describe('SECOND_FACTOR_REQUIRED_FOR=everyone', () => {
  it('leaves a held member without a factor on the re-confirmation page, not sent round to set one up and back', async () => {
    const everyone = await buildTestApp({ env: { SECOND_FACTOR_REQUIRED_FOR: 'everyone' }, database: t.database, now: clock.now });
    try {
      const member = await createMember(t.db);
      await overdueAndReminded(t.db, member.id, clock.now());
      const browser = new Browser(everyone.app);
      expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
      expect((await browser.get('/settings')).headers.location).toBe('/reconfirm');
      expect((await browser.get('/reconfirm')).statusCode).toBe(200);
      expect((await browser.post('/reconfirm', await browser.openForm('/reconfirm'))).headers.location).toBe('/reconfirm');
      const link = pathOf((await linksInLatestEmail(t.db, member.email))[0]!);
      expect((await browser.post(link, await browser.openForm(link))).headers.location).toBe('/');
      // Re-confirmed, the requirement applies again.
      expect((await browser.get('/settings')).headers.location).toBe('/settings/security?next=%2Fsettings');
    } finally {
      await everyone.close();
    }
  });
});
