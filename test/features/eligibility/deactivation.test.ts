import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEACTIVATION_REASON_NAMES } from '../../../src/features/admin/messages.js';
import { deactivateBouncedMember } from '../../../src/features/eligibility/bounces.js';
import { ELIGIBILITY_MESSAGES as M } from '../../../src/features/eligibility/messages.js';
import { rejectMember } from '../../../src/features/moderation/approvals.js';
import { MailWorker } from '../../../src/jobs/mail-worker.js';
import { enqueueEmail } from '../../../src/mail/outbox.js';
import { isRecipientRefused, smtpTransport, type MailTransport } from '../../../src/mail/transport.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createRepliedThread } from '../../support/forum-rows.js';
import { createMember, signIn } from '../../support/members.js';
import { emailedPath } from '../../support/membership.js';
import { escapeLikeHandlebars } from '../../support/resources.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp.js';
import { auditFor, emailsTo, jobDeps, memberRow } from './support.js';

const silent = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

let t: TestApp;
let smtp: TestSmtpServer;
let transport: MailTransport;
let administrator: Awaited<ReturnType<typeof memberWithBrowser>>;
let adminCsrf: string;

beforeAll(async () => {
  t = await buildTestApp();
  smtp = await startSmtpServer();
  transport = smtpTransport(smtp.url, 'Commons <no-reply@commons.test>');
  administrator = await memberWithBrowser(t.app, t.db, { role: 'administrator' });
  adminCsrf = (await administrator.browser.openForm('/admin'))._csrf!;
});
afterAll(async () => {
  await transport?.close();
  await smtp?.stop();
  await t?.close();
});
beforeEach(async () => {
  // Each test sends only its own emails: earlier ones are out of the way.
  await t.db.deleteFrom('outbound_emails').execute();
  smtp.reset();
});

function worker(): MailWorker {
  return new MailWorker({ db: t.db, transport, maxAttempts: 32, pollSeconds: 3600, log: silent, onRecipientRefused: deactivateBouncedMember });
}

function plainEmail(to: string, subject: string) {
  return { to, subject, text: 'Hello from Commons.\n', kind: 'test.plain' };
}

async function contentOf(memberId: number) {
  const posts = await t.db.selectFrom('posts').select(['id', 'body_source']).where('author_id', '=', memberId).orderBy('id').execute();
  const threads = await t.db.selectFrom('threads').select(['id', 'title']).where('author_id', '=', memberId).orderBy('id').execute();
  return { posts, threads };
}

describe('a hard bounce', () => {
  it('fails the email and the others waiting for the address, and deactivates its member with reason "bounced", keeping their content', async () => {
    const member = await createMember(t.db);
    const reader = await createMember(t.db);
    await createRepliedThread(t.db, member.id, reader.id);
    const content = await contentOf(member.id);
    expect(content.posts.length).toBeGreaterThan(0);

    const first = await enqueueEmail(t.db, plainEmail(member.email, 'First'));
    // Another email to the address, waiting for a later try (as after a temporary refusal).
    const waiting = await enqueueEmail(t.db, plainEmail(member.email, 'Waiting'));
    await t.db.updateTable('outbound_emails').set({ next_attempt_at: sql`now() + interval '1 hour'` }).where('id', '=', waiting).execute();
    // And one due now, claimed in the same batch as the first.
    const sameBatch = await enqueueEmail(t.db, plainEmail(member.email, 'Same batch'));
    smtp.rejectWith(550);
    expect(await worker().runOnce()).toBe(2);
    const rows = await t.db.selectFrom('outbound_emails').select(['id', 'status', 'attempts', 'last_error']).where('id', 'in', [first, waiting, sameBatch]).orderBy('id').execute();
    expect(rows.map((row) => row.status)).toEqual(['failed', 'failed', 'failed']);
    // Of the two claimed together, whichever went first was refused; the other was given up on unsent.
    const notTried = /^Not tried: an earlier email to this address was refused for good \(.*550/;
    const claimed = [rows[0]!, rows[2]!];
    expect(claimed.filter((row) => !notTried.test(row.last_error ?? '')).map((row) => row.last_error)).toEqual([expect.stringContaining('550')]);
    expect(claimed.filter((row) => notTried.test(row.last_error ?? ''))).toHaveLength(1);
    // The one waiting for later, given up on without being claimed.
    expect(rows[1]).toMatchObject({ id: waiting, attempts: 0, last_error: expect.stringMatching(notTried) });
    expect(smtp.received).toHaveLength(0);

    expect(await memberRow(t.db, member.id)).toMatchObject({ deactivation_reason: 'bounced', deactivated_at: expect.any(Date) });
    expect(await auditFor(t.db, 'member.deactivated', member.id)).toEqual([
      expect.objectContaining({ actor_member_id: null, actor_label: 'system', details: expect.objectContaining({ reason: 'bounced', before: { deactivated: false }, after: { deactivated: true } }) }),
    ]);
    expect(await contentOf(member.id)).toEqual(content);

    smtp.rejectWith(null);
    const response = await signIn(new Browser(t.app), member.email, member.password);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(escapeLikeHandlebars(M.deactivated.bounced));
  });

  it('deactivates nobody for an address no member has, and retries a temporary refusal', async () => {
    const stranger = `nobody.${Date.now()}@finance.gov.au`;
    smtp.rejectWith(550);
    const refused = await enqueueEmail(t.db, plainEmail(stranger, 'To nobody'));
    await worker().runOnce();
    expect((await t.db.selectFrom('outbound_emails').select('status').where('id', '=', refused).executeTakeFirstOrThrow()).status).toBe('failed');

    const member = await createMember(t.db);
    smtp.rejectWith(451);
    const later = await enqueueEmail(t.db, plainEmail(member.email, 'Try later'));
    await worker().runOnce();
    expect((await t.db.selectFrom('outbound_emails').select('status').where('id', '=', later).executeTakeFirstOrThrow()).status).toBe('pending');
    expect((await memberRow(t.db, member.id)).deactivated_at).toBeNull();
  });
});

describe('which refusals are hard bounces', () => {
  const rcptError = (responseCode: number, response: string, command = 'RCPT TO') => Object.assign(new Error(response), { responseCode, response, command });

  it.each([
    [550, '550 5.1.1 <a@b.gov.au>: Recipient address rejected: User unknown', true],
    [550, '550-5.1.1 The email account that you tried to reach does not exist', true],
    [553, '553 5.1.2 Bad destination system address', true],
    [550, '550 5.1.10 Recipient address rejected: null MX', true],
    [550, '550 Requested action not taken: mailbox unavailable', true],
    [551, '551 User not local', true],
    [553, '553 Mailbox name not allowed', true],
    [554, '554 5.7.1 <a@b.gov.au>: Relay access denied', false],
    [550, '550 5.7.1 Client host blocked using a blocklist', false],
    [550, '550 Message rejected by policy 5.7.1', false],
    [552, '552 5.2.2 Mailbox full', false],
    [550, '550 5.2.1 Mailbox disabled', false],
    [554, '554 5.3.4 Message too big for system', false],
    [554, '554 5.4.4 Unable to route', false],
    [501, '501 5.5.4 Syntax error in parameters', false],
    [554, '554 Transaction failed', false],
    [552, '552 Requested mail action aborted', false],
    [451, '451 4.1.1 Temporary lookup failure', false],
  ])('%i “%s” is a hard bounce: %s', (code, response, hard) => {
    expect(isRecipientRefused(rcptError(code, response))).toBe(hard);
  });

  it('counts only refusals of the recipient, not of the sender or the message', () => {
    expect(isRecipientRefused(rcptError(550, '550 5.1.1 User unknown', 'MAIL FROM'))).toBe(false);
    expect(isRecipientRefused(rcptError(550, '550 5.1.1 User unknown', 'DATA'))).toBe(false);
  });

  it('fails the email of a policy refusal for good and deactivates nobody', async () => {
    const member = await createMember(t.db);
    smtp.rejectWith(554, { text: '5.7.1 Relay access denied' });
    const refused = await enqueueEmail(t.db, plainEmail(member.email, 'Relay refuses'));
    await worker().runOnce();
    expect(await t.db.selectFrom('outbound_emails').select(['status', 'last_error']).where('id', '=', refused).executeTakeFirstOrThrow()).toMatchObject({ status: 'failed', last_error: expect.stringContaining('5.7.1') });
    expect(await memberRow(t.db, member.id)).toMatchObject({ deactivated_at: null, deactivation_reason: null });
    expect(await auditFor(t.db, 'member.deactivated', member.id)).toEqual([]);
  });
});

describe('a hard bounce of a member changing their address', () => {
  it('fails the notice to the old address but leaves the member active, and the link to the new one works', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const to = `moved.${Date.now()}@treasury.gov.au`;
    const hidden = await browser.openForm('/settings/email');
    expect((await browser.post('/settings/email', { _csrf: hidden._csrf!, email: to })).statusCode).toBe(200);
    // Read before it is sent: a sent email's body, which holds the link, is not kept.
    const link = await emailedPath(t.db, to, '/email-change/');
    smtp.rejectWith(550, { text: '5.1.1 User unknown', address: member.email });
    await worker().runOnce();
    expect(await emailsTo(t.db, member.email)).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(await emailsTo(t.db, to)).toEqual([expect.objectContaining({ status: 'sent' })]);
    expect(await memberRow(t.db, member.id)).toMatchObject({ deactivated_at: null, deactivation_reason: null });
    expect(await auditFor(t.db, 'member.deactivated', member.id)).toEqual([]);

    expect((await browser.post(link, await browser.openForm(link))).statusCode).toBe(303);
    expect((await t.db.selectFrom('members').select('email').where('id', '=', member.id).executeTakeFirstOrThrow()).email).toBe(to);
  });

  it('deactivates them once the link has expired', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const hidden = await browser.openForm('/settings/email');
    expect((await browser.post('/settings/email', { _csrf: hidden._csrf!, email: `late.${Date.now()}@treasury.gov.au` })).statusCode).toBe(200);
    await t.db.updateTable('email_tokens').set({ expires_at: sql`now() - interval '1 second'` }).where('member_id', '=', member.id).where('purpose', '=', 'email-change').execute();
    smtp.rejectWith(550, { text: '5.1.1 User unknown', address: member.email });
    await worker().runOnce();
    expect((await memberRow(t.db, member.id)).deactivation_reason).toBe('bounced');
  });
});

describe('the last active administrator', () => {
  it('is not deactivated by a bounce, and the audit log says so', async () => {
    const last = await createMember(t.db, { role: 'administrator' });
    // In a transaction rolled back at the end, so other tests' administrators are untouched.
    const seen = await t.db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('members').set({ deactivated_at: sql`now()` }).where('role', '=', 'administrator').where('deactivated_at', 'is', null).where('id', '!=', last.id).execute();
        await deactivateBouncedMember(trx, last.email, '550 5.1.1 User unknown');
        const row = await trx.selectFrom('members').select(['deactivated_at', 'deactivation_reason']).where('id', '=', last.id).executeTakeFirstOrThrow();
        const audits = await trx.selectFrom('audit_events').select(['action', 'details']).where('target_id', '=', String(last.id)).execute();
        throw Object.assign(new Error('rolled back'), { seen: { row, audits } });
      })
      .catch((error: { seen?: unknown }) => error.seen);
    expect(seen).toEqual({
      row: { deactivated_at: null, deactivation_reason: null },
      audits: [{ action: 'member.deactivation_skipped', details: expect.objectContaining({ reason: 'bounced', why: 'last active administrator' }) }],
    });
    // With another administrator active, the same bounce deactivates them.
    await t.db.transaction().execute((trx) => deactivateBouncedMember(trx, last.email, '550 5.1.1 User unknown'));
    expect((await memberRow(t.db, last.id)).deactivation_reason).toBe('bounced');
  });
});

describe('reactivation by an administrator', () => {
  it('clears the reason, and the member signs in again', async () => {
    const member = await createMember(t.db);
    smtp.rejectWith(550);
    await enqueueEmail(t.db, plainEmail(member.email, 'Bounces'));
    await worker().runOnce();
    expect((await memberRow(t.db, member.id)).deactivation_reason).toBe('bounced');
    const page = await administrator.browser.get(`/admin/members/${member.id}`);
    expect(page.body).toContain(`Deactivated (${DEACTIVATION_REASON_NAMES.bounced})`);

    const response = await administrator.browser.post(`/admin/members/${member.id}/reactivate`, { _csrf: adminCsrf });
    expect(response.statusCode).toBe(303);
    expect(await memberRow(t.db, member.id)).toMatchObject({ deactivated_at: null, deactivation_reason: null });
    expect((await administrator.browser.get(`/admin/members/${member.id}`)).body).not.toContain(DEACTIVATION_REASON_NAMES.bounced);
    expect(await auditFor(t.db, 'member.reactivated', member.id)).toEqual([
      expect.objectContaining({ actor_member_id: administrator.member.id, details: { before: { deactivatedAt: expect.any(String), reason: 'bounced' }, after: { deactivatedAt: null, reason: null } } }),
    ]);
    expect((await signIn(new Browser(t.app), member.email, member.password)).statusCode).toBe(303);
  });

  it('records an administrator’s deactivation as theirs, and the member is told so', async () => {
    const member = await createMember(t.db);
    expect((await administrator.browser.post(`/admin/members/${member.id}/deactivate`, { _csrf: adminCsrf })).statusCode).toBe(303);
    expect((await memberRow(t.db, member.id)).deactivation_reason).toBe('administrator');
    const response = await signIn(new Browser(t.app), member.email, member.password);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(escapeLikeHandlebars(M.deactivated.administrator));
  });
});

describe('a moderator’s rejection', () => {
  it('records reason "rejected", which the member is told', async () => {
    const moderator = await createMember(t.db, { role: 'moderator' });
    const applicant = await createMember(t.db);
    await t.db.updateTable('members').set({ awaiting_approval_since: new Date() }).where('id', '=', applicant.id).execute();
    expect(await rejectMember(jobDeps(t, () => new Date()), moderator.id, applicant.id, 'Not a government address')).toMatchObject({ ok: true });
    expect((await memberRow(t.db, applicant.id)).deactivation_reason).toBe('rejected');
    const response = await signIn(new Browser(t.app), applicant.email, applicant.password);
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(escapeLikeHandlebars(M.deactivated.rejected));
    expect(await emailsTo(t.db, applicant.email)).toHaveLength(1);
  });
});
