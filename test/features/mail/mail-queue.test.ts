import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { MailWorker, retryDelaySeconds } from '../../../src/jobs/mail-worker.js';
import { PostgresFileStore } from '../../../src/features/resources/files/storage.js';
import { runMaintenance } from '../../../src/jobs/maintenance.js';
import { claimDueEmails, enqueueEmail, listFailedEmails, markEmailAttemptFailed, markEmailSent, pruneSentEmails, retryFailedEmails, type OutgoingEmail } from '../../../src/mail/outbox.js';
import { smtpTransport, type MailTransport } from '../../../src/mail/transport.js';
import { countRows, testConfig } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { startSmtpServer, type TestSmtpServer } from '../../support/smtp.js';

const FROM = 'Commons <no-reply@commons.test>';
const silent = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
// The defaults an operator gets without setting MAIL_MAX_ATTEMPTS or MAIL_RETENTION_DAYS.
const defaults = testConfig({}, os.tmpdir()).mail;

let database: Database;
let db: Database['db'];
let smtp: TestSmtpServer;
let transport: MailTransport;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  smtp = await startSmtpServer();
  transport = smtpTransport(smtp.url, FROM);
});

afterAll(async () => {
  await transport?.close();
  await smtp?.stop();
  await database?.close();
});

beforeEach(async () => {
  await db.deleteFrom('outbound_emails').execute();
  smtp.reset();
  await smtp.start();
});

function mailWorker(maxAttempts = defaults.maxAttempts): MailWorker {
  return new MailWorker({ db, transport, maxAttempts, pollSeconds: 3600, log: silent });
}

/** Runs batches until a claim comes back empty; returns how many emails the worker handled. */
async function drain(worker: MailWorker): Promise<number> {
  let handled = 0;
  for (;;) {
    const claimed = await worker.runOnce();
    if (claimed === 0) return handled;
    handled += claimed;
  }
}

/** Skips the back-off: every queued row is due now. */
async function makeAllDue(): Promise<void> {
  await db.updateTable('outbound_emails').set({ next_attempt_at: sql`now()` }).execute();
}

function verificationEmail(n: number): { token: string; email: OutgoingEmail } {
  const token = randomBytes(16).toString('hex');
  const link = `http://127.0.0.1:3000/verify/${token}`;
  return {
    token,
    email: {
      to: `member${n}@agency.gov.au`,
      subject: `Verify your address (${n})`,
      text: `Verify: ${link}\n`,
      html: `<p><a href="${link}">Verify</a></p>`,
      kind: 'auth.verify',
    },
  };
}

function plainEmail(subject: string): OutgoingEmail {
  return { to: 'member@agency.gov.au', subject, text: 'Hello from Commons.\n', kind: 'auth.welcome' };
}

/** The header block of a raw message, one entry per header with folded lines joined. */
function headerLines(raw: string): string[] {
  const end = raw.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  return raw.slice(0, end).replace(/\r\n[ \t]+/g, ' ').split('\r\n');
}

function headerValues(raw: string, name: string): string[] {
  const prefix = `${name.toLowerCase()}:`;
  return headerLines(raw)
    .filter((line) => line.toLowerCase().startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim());
}

async function findEmail(id: number) {
  return db
    .selectFrom('outbound_emails')
    .select(['id', 'status', 'attempts', 'next_attempt_at', 'last_error', 'sent_at', 'failed_at', 'text_body', 'html_body'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function statuses(): Promise<Record<string, number>> {
  const rows = await db.selectFrom('outbound_emails').select('status').execute();
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

describe('mail queue', () => {
  it('keeps 50 emails queued through an SMTP outage, then two workers together deliver each exactly once', async () => {
    const port = smtp.port;
    await smtp.stop();
    const expected = new Map<string, string>();
    for (let n = 0; n < 50; n++) {
      const { email } = verificationEmail(n);
      await enqueueEmail(db, email);
      expected.set(email.subject, email.to);
    }
    expect(expected.size).toBe(50);

    // Every email is tried once, then deferred: the drain ends because nothing is due any more.
    expect(await drain(mailWorker())).toBe(50);
    const deferred = await db.selectFrom('outbound_emails').select(['status', 'attempts', 'last_error', 'next_attempt_at']).execute();
    expect(deferred).toHaveLength(50);
    for (const row of deferred) {
      expect(row.status).toBe('pending');
      expect(row.attempts).toBe(1);
      expect(row.last_error).toMatch(/ECONNREFUSED/);
      expect(row.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 20_000);
    }
    expect(smtp.received).toHaveLength(0);

    await makeAllDue();
    await smtp.start();
    expect(smtp.port).toBe(port);
    const [first, second] = await Promise.all([drain(mailWorker()), drain(mailWorker())]);
    // Handled counts add up to 50 only if no email was claimed by both workers.
    expect(first + second).toBe(50);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(0);

    expect(smtp.received).toHaveLength(50);
    const timesReceived = new Map<string, number>();
    for (const message of smtp.received) {
      const [subject, ...more] = headerValues(message.raw, 'Subject');
      expect(more).toHaveLength(0);
      timesReceived.set(subject!, (timesReceived.get(subject!) ?? 0) + 1);
      expect(message.recipients).toEqual([expected.get(subject!)]);
    }
    expect([...timesReceived.keys()].sort()).toEqual([...expected.keys()].sort());
    expect([...timesReceived.values()].every((times) => times === 1)).toBe(true);
    expect(await statuses()).toEqual({ sent: 50 });
  });

  it('keeps neither the bodies nor any link token of an email once it is sent', async () => {
    const tokens: string[] = [];
    for (let n = 0; n < 5; n++) {
      const { token, email } = verificationEmail(n);
      tokens.push(token);
      await enqueueEmail(db, email);
    }
    const rowsAsJson = async () => (await sql<{ json: string }>`select to_jsonb(o)::text as json from outbound_emails o`.execute(db)).rows.map((row) => row.json);

    // The check below can see a token: before sending, each row holds its own.
    const queued = await rowsAsJson();
    expect(queued).toHaveLength(5);
    expect(tokens.every((token) => queued.some((json) => json.includes(token)))).toBe(true);

    expect(await drain(mailWorker())).toBe(5);
    expect(smtp.received).toHaveLength(5);
    expect(tokens.every((token) => smtp.received.some((message) => message.raw.includes(token)))).toBe(true);

    const bodies = await db.selectFrom('outbound_emails').select(['status', 'text_body', 'html_body']).execute();
    expect(bodies).toEqual(Array.from({ length: 5 }, () => ({ status: 'sent', text_body: null, html_body: null })));
    const sent = await rowsAsJson();
    expect(sent).toHaveLength(5);
    for (const json of sent) {
      for (const token of tokens) expect(json).not.toContain(token);
      expect(json).not.toContain('/verify/');
    }
  });

  it('marks an email failed after maxAttempts temporary rejections, lists it, and sends it once retried', async () => {
    smtp.rejectWith(451);
    const id = await enqueueEmail(db, plainEmail('Your weekly digest'));
    const worker = mailWorker(3);

    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await worker.runOnce()).toBe(1);
      const row = await findEmail(id);
      expect(row.attempts).toBe(attempt);
      expect(row.last_error).toContain('451');
      expect(row.status).toBe(attempt < 3 ? 'pending' : 'failed');
      await makeAllDue();
    }
    const failed = await findEmail(id);
    expect(failed.failed_at).toBeInstanceOf(Date);
    expect(failed.sent_at).toBeNull();
    // Even when due, a failed email is not claimed again by itself.
    expect(await worker.runOnce()).toBe(0);
    expect(smtp.received).toHaveLength(0);

    const listed = await listFailedEmails(db);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id, to: 'member@agency.gov.au', subject: 'Your weekly digest', kind: 'auth.welcome', attempts: 3 });
    expect(listed[0]!.lastError).toContain('451');
    expect(listed[0]!.failedAt).toBeInstanceOf(Date);

    expect(await retryFailedEmails(db, [id])).toBe(1);
    expect(await findEmail(id)).toMatchObject({ status: 'pending', attempts: 0, failed_at: null });
    expect(await listFailedEmails(db)).toHaveLength(0);

    smtp.rejectWith(null);
    expect(await worker.runOnce()).toBe(1);
    expect(await findEmail(id)).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
    expect(smtp.received).toHaveLength(1);
    expect(headerValues(smtp.received[0]!.raw, 'Subject')).toEqual(['Your weekly digest']);
  });

  it('marks an email failed after one attempt when the relay refuses it for good (550)', async () => {
    smtp.rejectWith(550);
    const id = await enqueueEmail(db, plainEmail('Reset your password'));

    expect(await mailWorker().runOnce()).toBe(1);
    const row = await findEmail(id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.failed_at).toBeInstanceOf(Date);
    expect(row.last_error).toContain('550');

    smtp.rejectWith(null);
    await makeAllDue();
    expect(await mailWorker().runOnce()).toBe(0);
    expect((await findEmail(id)).status).toBe('failed');
    expect(smtp.received).toHaveLength(0);
  });

  it('cuts an overlong subject to 300 characters by code point, never through a surrogate pair', async () => {
    const id = await enqueueEmail(db, plainEmail(`${'a'.repeat(299)}${'🙂'.repeat(5)}`));
    const row = await db.selectFrom('outbound_emails').select('subject').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.subject).toBe(`${'a'.repeat(299)}🙂`);
  });

  it('backs off from 30 seconds to at most an hour, so the default attempts span more than a day', () => {
    expect(defaults.maxAttempts).toBe(32);
    const attempts = Array.from({ length: defaults.maxAttempts - 1 }, (_, i) => i + 1);
    const delays = attempts.map((attempt) => retryDelaySeconds(attempt, 0));
    expect(delays).toHaveLength(31);
    expect(delays[0]).toBe(30);
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBeGreaterThan(24 * 3600);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    for (const attempt of attempts) {
      for (const jitter of [0, 0.5, 1]) {
        const delay = retryDelaySeconds(attempt, jitter);
        expect(delay).toBeGreaterThanOrEqual(delays[attempt - 1]!);
        expect(delay).toBeLessThanOrEqual(3600 * 1.1);
      }
    }
  });

  it('prunes sent emails past the retention and keeps recent, pending and failed ones', async () => {
    const old = await enqueueEmail(db, plainEmail('Sent long ago'));
    const recent = await enqueueEmail(db, plainEmail('Sent lately'));
    expect(await drain(mailWorker())).toBe(2);
    smtp.rejectWith(550);
    const failed = await enqueueEmail(db, plainEmail('Refused long ago'));
    expect(await drain(mailWorker())).toBe(1);
    const pending = await enqueueEmail(db, plainEmail('Still waiting'));
    expect(await statuses()).toEqual({ sent: 2, failed: 1, pending: 1 });

    const days = (n: number) => sql<Date>`now() - make_interval(days => ${n})`;
    const retention = defaults.retentionDays;
    await db.updateTable('outbound_emails').set({ sent_at: days(retention + 1), created_at: days(retention + 1) }).where('id', '=', old).execute();
    await db.updateTable('outbound_emails').set({ sent_at: days(retention - 1), created_at: days(retention - 1) }).where('id', '=', recent).execute();
    await db.updateTable('outbound_emails').set({ failed_at: days(400), created_at: days(400) }).where('id', '=', failed).execute();
    await db.updateTable('outbound_emails').set({ created_at: days(400) }).where('id', '=', pending).execute();

    expect((await runMaintenance(db, new PostgresFileStore(db), retention)).emails).toBe(1);
    const kept = await db.selectFrom('outbound_emails').select('id').orderBy('id').execute();
    expect(kept.map((row) => row.id)).toEqual([recent, failed, pending]);
    expect(await pruneSentEmails(db, retention)).toBe(0);

    expect(await pruneSentEmails(db, retention - 2)).toBe(1);
    expect(await countRows(db, 'outbound_emails')).toBe(2);
    expect(await statuses()).toEqual({ failed: 1, pending: 1 });
  });

  it('treats a claim as a lease: an email held by a worker that died is claimed again only once the lease ends', async () => {
    const id = await enqueueEmail(db, plainEmail('Claimed by a dead worker'));
    const claimed = await claimDueEmails(db, 20, 120);
    expect(claimed.map((email) => [email.id, email.attempts])).toEqual([[id, 1]]);
    const held = await findEmail(id);
    expect(held.status).toBe('sending');
    expect(held.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 100_000);

    expect(await claimDueEmails(db, 20, 120)).toEqual([]);
    expect(await mailWorker().runOnce()).toBe(0);
    expect(smtp.received).toHaveLength(0);

    await db.updateTable('outbound_emails').set({ next_attempt_at: sql`now() - interval '1 second'` }).where('id', '=', id).execute();
    expect(await mailWorker().runOnce()).toBe(1);
    expect(await findEmail(id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.received).toHaveLength(1);
  });

  it('lets no worker whose lease ran out overwrite the newer claim on the same email', async () => {
    const id = await enqueueEmail(db, plainEmail('Claimed twice'));
    const [stale] = await claimDueEmails(db, 1, 300);
    await makeAllDue();
    const [fresh] = await claimDueEmails(db, 1, 300);
    expect([stale!.attempts, fresh!.attempts]).toEqual([1, 2]);

    await markEmailAttemptFailed(db, stale!, 'late refusal from the first worker', null);
    await markEmailSent(db, stale!);
    let row = await db.selectFrom('outbound_emails').select(['status', 'last_error']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'sending', last_error: null });

    await markEmailSent(db, fresh!);
    row = await db.selectFrom('outbound_emails').select(['status', 'last_error']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'sent', last_error: null });
  });

  it('hands back the rest of its batch, unspent, when stopped mid-batch', async () => {
    for (let n = 0; n < 3; n += 1) await enqueueEmail(db, plainEmail(`Batch ${n}`));
    let worker: MailWorker;
    const stopping: Promise<void>[] = [];
    const stopsAfterFirst: MailTransport = {
      description: 'a relay during shutdown',
      delivered: 'email sent',
      async send(email) {
        await transport.send(email);
        stopping.push(worker.stop());
      },
      close: async () => undefined,
    };
    worker = new MailWorker({ db, transport: stopsAfterFirst, maxAttempts: 5, pollSeconds: 3600, log: silent });
    expect(await worker.runOnce()).toBe(3);
    await Promise.all(stopping);

    expect(smtp.received).toHaveLength(1);
    const rows = await db.selectFrom('outbound_emails').select(['status', 'attempts']).orderBy('id').execute();
    expect(rows).toEqual([
      { status: 'sent', attempts: 1 },
      { status: 'pending', attempts: 0 },
      { status: 'pending', attempts: 0 },
    ]);
  });

  it('sends a subject carrying CR LF and a Bcc line as one Subject header, with no Bcc header', async () => {
    await enqueueEmail(db, plainEmail('Welcome to Commons\r\nBcc: x@evil.example'));
    expect(await drain(mailWorker())).toBe(1);

    expect(smtp.received).toHaveLength(1);
    const message = smtp.received[0]!;
    expect(message.recipients).toEqual(['member@agency.gov.au']);
    expect(headerValues(message.raw, 'Subject')).toEqual(['Welcome to Commons Bcc: x@evil.example']);
    expect(headerValues(message.raw, 'Bcc')).toEqual([]);
    expect(message.raw.split('\r\n').filter((line) => /^bcc\s*:/i.test(line))).toEqual([]);
    expect(message.raw).not.toMatch(/\r\nBcc:/i);
  });
});
