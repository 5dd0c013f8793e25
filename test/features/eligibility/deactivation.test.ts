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
import { smtpTransport, type MailTransport } from '../../../src/mail/transport.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createRepliedThread } from '../../support/forum-rows.js';
import { createMember, signIn } from '../../support/members.js';
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
