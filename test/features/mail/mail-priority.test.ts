import fs from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { MailWorker } from '../../../src/jobs/mail-worker.js';
import { claimDueEmails, EMAIL_PRIORITIES, EMAIL_PRIORITY, enqueueEmail, type ClaimedEmail, type OutgoingEmail } from '../../../src/mail/outbox.js';
import type { MailTransport } from '../../../src/mail/transport.js';
import { createTestDatabase } from '../../support/database.js';

const silent = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

let database: Database;
let db: Database['db'];
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  await db.deleteFrom('outbound_emails').execute();
});

function email(kind: string, n: number): OutgoingEmail {
  return { to: `member${n}@agency.gov.au`, subject: `${kind} ${n}`, text: 'Hello.\n', kind };
}

async function queueDigests(count: number, from = 0): Promise<void> {
  for (let n = from; n < from + count; n += 1) await enqueueEmail(db, email('notification.digest', n));
}

/** Every kind the code queues: each email template's (mail/mail.ts names a kind after its template) and every `kind:` given to mail.queue. */
function kindsTheCodeQueues(): string[] {
  const templates = fs
    .readdirSync('views/emails')
    .filter((name) => name.endsWith('.text.hbs'))
    .map((name) => name.slice(0, -'.text.hbs'.length).replace('-', '.'));
  const explicit: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts')) {
        const source = fs.readFileSync(file, 'utf8');
        for (const call of source.matchAll(/mail\.queue\([^]*?\}\)/g)) for (const kind of call[0].matchAll(/\bkind: '([^']+)'/g)) explicit.push(kind[1]!);
      }
    }
  };
  walk('src');
  return [...new Set([...templates, ...explicit])].sort();
}

describe('outbox priority', () => {
  it('gives every kind of email the code queues a priority, and lists no kind the code never queues', () => {
    const kinds = kindsTheCodeQueues();
    expect(kinds).toContain('auth.reset');
    expect(kinds).toContain('notification.digest');
    expect(Object.keys(EMAIL_PRIORITIES).sort()).toEqual(kinds);
    expect(EMAIL_PRIORITIES['auth.reset']).toBe(EMAIL_PRIORITY.account);
    expect(EMAIL_PRIORITIES['auth.verify']).toBe(EMAIL_PRIORITY.account);
    expect(EMAIL_PRIORITIES['auth.email-change']).toBe(EMAIL_PRIORITY.account);
    expect(EMAIL_PRIORITIES.notification).toBe(EMAIL_PRIORITY.notification);
    expect(EMAIL_PRIORITIES['notification.digest']).toBe(EMAIL_PRIORITY.digest);
  });

  it('claims a password reset queued after 50 digests in the first batch, then notifications, then the digests', async () => {
    await queueDigests(50);
    await enqueueEmail(db, email('notification', 1));
    const reset = await enqueueEmail(db, email('auth.reset', 1));
    const rows = await db.selectFrom('outbound_emails').select(['kind', 'priority']).execute();
    expect(new Set(rows.map((row) => `${row.kind}=${row.priority}`))).toEqual(new Set(['notification.digest=2', 'notification=1', 'auth.reset=0']));

    const first = await claimDueEmails(db, 5, 300);
    expect(first.map((claimed) => claimed.id)[0]).toBe(reset);
    expect(first.map((claimed) => claimed.subject)).toEqual(['auth.reset 1', 'notification 1', 'notification.digest 0', 'notification.digest 1', 'notification.digest 2']);
  });

  it('still sends the longest due first within a priority, and a reset not yet due waits behind due digests', async () => {
    await queueDigests(3);
    const later = await enqueueEmail(db, email('auth.reset', 1));
    await db.updateTable('outbound_emails').set({ next_attempt_at: sql`now() + interval '1 minute'` }).where('id', '=', later).execute();
    const claimed = await claimDueEmails(db, 5, 300);
    expect(claimed.map((row) => row.subject)).toEqual(['notification.digest 0', 'notification.digest 1', 'notification.digest 2']);
  });

  it('claims through the index on priority and due time, with no sort', async () => {
    await queueDigests(20);
    const plan = await db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const explained = await sql<{ 'QUERY PLAN': string }>`
        explain select id from outbound_emails where status in ('pending', 'sending') and next_attempt_at <= now() order by priority, next_attempt_at limit 5 for update skip locked
      `.execute(trx);
      return explained.rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('outbound_emails_claim');
    expect(plan).not.toMatch(/\bSort\b/);
  });

  it('sends an account email already queued before it composes a single digest', async () => {
    const events: string[] = [];
    let composed = 0;
    let resetSent!: () => void;
    const resetWasSent = new Promise<void>((resolve) => (resetSent = resolve));
    const transport: MailTransport = {
      description: 'recording',
      delivered: 'recorded',
      async send(claimed: ClaimedEmail) {
        events.push(`sent ${claimed.subject}`);
        if (claimed.subject.startsWith('auth.reset')) resetSent();
      },
      async close() {},
    };
    await enqueueEmail(db, email('auth.reset', 1));
    const worker = new MailWorker({
      db,
      transport,
      maxAttempts: 5,
      pollSeconds: 3600,
      log: silent,
      // An endless morning of digests: each call composes as many as it is allowed.
      composeNotifications: async (limit) => {
        events.push('composed digests');
        await queueDigests(limit, composed);
        composed += limit;
        return limit;
      },
    });
    worker.start();
    try {
      await resetWasSent;
    } finally {
      await worker.stop();
    }
    expect(events[0]).toBe('sent auth.reset 1');
  });
});
