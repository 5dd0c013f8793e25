import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPROVAL_MESSAGES } from '../../../src/features/moderation/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createMember, GOOD_PASSWORD, signedInBrowser, type TestMember } from '../../support/members.js';
import { verifyPathFor } from '../../support/membership.js';
import { escapeLikeHandlebars } from '../../support/resources.js';

let t: TestApp;
let moderator: Browser;
let moderatorId: number;
beforeAll(async () => {
  t = await buildTestApp({ env: { MEMBER_APPROVAL_REQUIRED: 'true' } });
  const staff = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  moderator = staff.browser;
  moderatorId = staff.member.id;
});
afterAll(async () => t.close());
beforeEach(async () => {
  await t.db.deleteFrom('outbound_emails').execute();
});

/** A member who verified while approvals are on, and a browser signed in as them. */
async function applicant(): Promise<{ member: TestMember; browser: Browser }> {
  const member = await createMember(t.db);
  await t.db.updateTable('members').set({ awaiting_approval_since: new Date() }).where('id', '=', member.id).execute();
  return { member, browser: await signedInBrowser(t.app, member, member.password) };
}

/** Everything an approval or rejection writes, to show a refusal wrote none of it. */
async function written(memberId: number) {
  const emails = await t.db.selectFrom('outbound_emails').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  const audits = await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('action', 'in', ['member.approved', 'member.rejected']).where('subject_member_id', '=', memberId).executeTakeFirstOrThrow();
  const member = await t.db.selectFrom('members').select(['awaiting_approval_since', 'deactivated_at']).where('id', '=', memberId).executeTakeFirstOrThrow();
  return { emails: Number(emails.n), audits: Number(audits.n), awaiting: member.awaiting_approval_since !== null, deactivated: member.deactivated_at !== null };
}

async function decide(browser: Browser, memberId: number | string, action: 'approve' | 'reject', reason: string) {
  const hidden = await browser.openForm('/mod');
  return browser.post(`/mod/approvals/members/${memberId}/${action}`, { _csrf: hidden._csrf!, reason });
}

describe('joining while MEMBER_APPROVAL_REQUIRED is on', () => {
  it('creates the verified member awaiting approval, and keeps them to the waiting page', async () => {
    const email = 'waiting.one@finance.gov.au';
    const path = await verifyPathFor(t.app, t.db, email);
    const browser = new Browser(t.app);
    const hidden = await browser.openForm(path);
    const joined = await browser.post(path, { ...hidden, display_name: 'Wendy Waiting', handle: 'wendy_w', job_title: 'Digital officer', password: GOOD_PASSWORD });
    expect(joined.statusCode).toBe(303);
    const row = await t.db.selectFrom('members').select('awaiting_approval_since').where('canonical_email', '=', email).executeTakeFirstOrThrow();
    expect(row.awaiting_approval_since).not.toBeNull();

    for (const path of ['/', '/c', '/settings', '/notifications', '/mod']) {
      const page = await browser.get(path);
      expect(page.statusCode, path).toBe(303);
      expect(page.headers.location).toBe('/awaiting-approval');
    }
    const waiting = await browser.get('/awaiting-approval');
    expect(waiting.statusCode).toBe(200);
    expect(waiting.body).toContain('Your membership is waiting for a moderator');
    expect((await browser.get('/guidelines')).statusCode).toBe(200);
  });

  it('refuses a waiting member any form but signing out', async () => {
    const { browser } = await applicant();
    const hidden = await browser.openForm('/awaiting-approval');
    const refused = await browser.post('/c/general/new', { _csrf: hidden._csrf!, title: 'Hello everyone here', body: 'A first post' });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain(PAGE_MESSAGES.awaitingApproval);
    const out = await browser.post('/logout', { _csrf: hidden._csrf! });
    expect(out.statusCode).toBe(303);
    expect((await browser.get('/awaiting-approval')).headers.location).toMatch(/^\/login/);
  });

  it('sends an approved member on to the site', async () => {
    const { member, browser } = await applicant();
    expect((await decide(moderator, member.id, 'approve', '')).statusCode).toBe(303);
    expect((await browser.get('/c')).statusCode).toBe(200);
    expect((await browser.get('/awaiting-approval')).headers.location).toBe('/');
  });
});

describe('GET /mod: members waiting for approval', () => {
  it('lists waiting members oldest first, with their domain, agency, job title and when, escaped', async () => {
    const older = await applicant();
    const newer = await applicant();
    await t.db.updateTable('members').set({ awaiting_approval_since: new Date(Date.now() - 86_400_000), display_name: '<script>alert(1)</script>', job_title: 'Comms <b>lead</b>' }).where('id', '=', older.member.id).execute();
    const page = await moderator.get('/mod');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('Comms &lt;b&gt;lead&lt;/b&gt;');
    expect(page.body).toContain('finance.gov.au');
    expect(page.body).not.toContain(older.member.email);
    expect(page.body.indexOf(`id="member-${older.member.id}"`)).toBeLessThan(page.body.indexOf(`id="member-${newer.member.id}"`));
  });

  it('is refused to a member (403) and sends a visitor to sign in', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    for (const path of ['/mod', '/mod/approvals']) {
      expect((await browser.get(path)).statusCode, path).toBe(403);
      const visitor = await new Browser(t.app).get(path);
      expect(visitor.statusCode, path).toBe(303);
      expect(visitor.headers.location, path).toMatch(/^\/login/);
    }
  });

  it('sends the old approvals page on to the queue', async () => {
    const response = await moderator.get('/mod/approvals');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/mod#members');
  });
});

describe('POST /mod/approvals/members/:id/approve and /reject', () => {
  it('approves: clears the wait, emails the member with the note, and audits it, in one go', async () => {
    const { member } = await applicant();
    const response = await decide(moderator, member.id, 'approve', 'Welcome aboard');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/mod');
    expect(await written(member.id)).toEqual({ emails: 1, audits: 1, awaiting: false, deactivated: false });
    const queue = await moderator.get('/mod');
    expect(queue.body).toContain(escapeLikeHandlebars(APPROVAL_MESSAGES.memberApproved(member.displayName)));
    expect(queue.body).not.toContain(`id="member-${member.id}"`);
    const email = await t.db.selectFrom('outbound_emails').select(['to_address', 'subject', 'text_body']).executeTakeFirstOrThrow();
    expect(email.to_address).toBe(member.email);
    expect(email.subject).toContain('approved');
    expect(email.text_body).toContain('Welcome aboard');
    const audit = await t.db.selectFrom('audit_events').select(['actor_member_id', 'target_id', 'details']).where('action', '=', 'member.approved').where('subject_member_id', '=', member.id).executeTakeFirstOrThrow();
    expect(audit.actor_member_id).toBe(moderatorId);
    expect(audit.target_id).toBe(String(member.id));
  });

  it('rejects: deactivates the member, ends their sessions, emails the reason and audits it', async () => {
    const { member, browser } = await applicant();
    const response = await decide(moderator, member.id, 'reject', 'Not a public servant');
    expect(response.statusCode).toBe(303);
    expect(await written(member.id)).toEqual({ emails: 1, audits: 1, awaiting: false, deactivated: true });
    const email = await t.db.selectFrom('outbound_emails').select(['to_address', 'text_body']).executeTakeFirstOrThrow();
    expect(email.to_address).toBe(member.email);
    expect(email.text_body).toContain('Not a public servant');
    const audit = await t.db.selectFrom('audit_events').select('details').where('action', '=', 'member.rejected').where('subject_member_id', '=', member.id).executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ reason: 'Not a public servant' });
    expect((await browser.get('/awaiting-approval')).headers.location).toMatch(/^\/login/);
    const queue = await moderator.get('/mod');
    expect(queue.body).toContain(escapeLikeHandlebars(APPROVAL_MESSAGES.memberRejected(member.displayName)));
    expect(queue.body).not.toContain(`id="member-${member.id}"`);
  });

  it.each([
    ['no reason', '', APPROVAL_MESSAGES.reasonRequired],
    ['a blank reason', ' \u200B ', APPROVAL_MESSAGES.reasonRequired],
    ['an overlong reason', 'x'.repeat(1001), 'Reason must be at most 1,000 characters (it is 1,001)'],
    ['a NUL byte', 'spam\0', 'Reason must not contain NUL characters'],
  ])('refuses a rejection with %s (422), re-filled, and writes nothing', async (_name, reason, message) => {
    const { member } = await applicant();
    const response = await decide(moderator, member.id, 'reject', reason);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(message);
    expect(await written(member.id)).toEqual({ emails: 0, audits: 0, awaiting: true, deactivated: false });
  });

  it('shows a hostile reason escaped when it re-fills the form', async () => {
    const { member } = await applicant();
    const response = await decide(moderator, member.id, 'reject', `${'<script>alert(1)</script>'.repeat(60)}`);
    expect(response.statusCode).toBe(422);
    expect(response.body).not.toContain('<script>alert(1)');
    expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('refuses an overlong note on approval (422) and writes nothing', async () => {
    const { member } = await applicant();
    const response = await decide(moderator, member.id, 'approve', 'x'.repeat(1001));
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Note to the member must be at most 1,000 characters');
    expect(await written(member.id)).toEqual({ emails: 0, audits: 0, awaiting: true, deactivated: false });
  });

  it('answers a second decision on the same member (double submit) with 409 and writes nothing more', async () => {
    const { member } = await applicant();
    expect((await decide(moderator, member.id, 'approve', '')).statusCode).toBe(303);
    for (const action of ['approve', 'reject'] as const) {
      const again = await decide(moderator, member.id, action, 'Changed my mind');
      expect(again.statusCode).toBe(409);
      expect(again.body).toContain(APPROVAL_MESSAGES.memberAlreadyDecided);
    }
    expect(await written(member.id)).toEqual({ emails: 1, audits: 1, awaiting: false, deactivated: false });
  });

  it('answers a member who never waited with 409 and writes nothing', async () => {
    const member = await createMember(t.db);
    expect((await decide(moderator, member.id, 'approve', '')).statusCode).toBe(409);
    expect(await written(member.id)).toEqual({ emails: 0, audits: 0, awaiting: false, deactivated: false });
  });

  it.each(['99999999999999999999', '9223372036854775808', '0', '-1', '1.5', 'abc'])('answers the id %s with 404', async (id) => {
    const response = await decide(moderator, id, 'approve', '');
    expect(response.statusCode).toBe(404);
    const emails = await t.db.selectFrom('outbound_emails').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(emails.n)).toBe(0);
  });

  it('refuses a member (403), a visitor (403), and a waiting member, and writes nothing', async () => {
    const { member } = await applicant();
    const plain = await memberWithBrowser(t.app, t.db);
    const csrf = (await plain.browser.openForm('/c'))._csrf!;
    const asMember = await plain.browser.post(`/mod/approvals/members/${member.id}/approve`, { _csrf: csrf, reason: '' });
    expect(asMember.statusCode).toBe(403);
    const visitor = new Browser(t.app);
    const visitorCsrf = (await visitor.openForm('/login'))._csrf!;
    expect((await visitor.post(`/mod/approvals/members/${member.id}/approve`, { _csrf: visitorCsrf, reason: '' })).statusCode).toBe(403);
    const other = await applicant();
    const otherCsrf = (await other.browser.openForm('/awaiting-approval'))._csrf!;
    expect((await other.browser.post(`/mod/approvals/members/${member.id}/approve`, { _csrf: otherCsrf, reason: '' })).statusCode).toBe(403);
    expect(await written(member.id)).toEqual({ emails: 0, audits: 0, awaiting: true, deactivated: false });
  });
});
