import os from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { afterCommit, inTransaction } from '../../../src/db/transaction.js';
import { loadTemplates } from '../../../src/lib/templates.js';
import { createMail, type Mail } from '../../../src/mail/mail.js';
import { countRows, testConfig } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';

const config = testConfig({ PUBLIC_URL: 'https://commons.example.gov.au', SITE_NAME: 'Commons Test' }, os.tmpdir());

let database: Database;
let db: Database['db'];
let nudges: number;
let mail: Mail;

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  mail = createMail(loadTemplates(), config, () => {
    nudges += 1;
  });
});
afterAll(async () => database?.close());
beforeEach(async () => {
  await db.deleteFrom('outbound_emails').execute();
  nudges = 0;
});

describe('mail.queue', () => {
  it('renders the template with the site name and absolute links from PUBLIC_URL, and records its kind', async () => {
    await inTransaction(db, (trx) => mail.queue(trx, 'auth-verify', { to: 'jane@finance.gov.au', subject: (site) => `Join ${site}`, links: { link: '/verify/abc' } }));
    const row = await db.selectFrom('outbound_emails').select(['to_address', 'subject', 'text_body', 'kind', 'headers']).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ to_address: 'jane@finance.gov.au', subject: 'Join Commons Test', kind: 'auth.verify', headers: {} });
    expect(row.text_body).toContain('https://commons.example.gov.au/verify/abc');
    expect(row.text_body).toContain('Commons Test');
  });

  it('keeps a reply-to address with the email', async () => {
    await mail.queue(db, 'contact-message', { to: 'ops@finance.gov.au', subject: () => 'Hello', data: { name: 'Jane', email: 'jane@finance.gov.au', subject: 'Hello', message: 'Hi', id: 1 }, replyTo: 'jane@finance.gov.au' });
    const row = await db.selectFrom('outbound_emails').select(['headers']).executeTakeFirstOrThrow();
    expect(row.headers).toEqual({ replyTo: 'jane@finance.gov.au' });
  });

  it('nudges the worker only once the transaction has committed', async () => {
    let nudgesBeforeCommit = -1;
    await inTransaction(db, async (trx) => {
      await mail.queue(trx, 'auth-reset', { to: 'jane@finance.gov.au', subject: () => 'Reset', links: { link: '/password/reset/abc' } });
      nudgesBeforeCommit = nudges;
    });
    expect(nudgesBeforeCommit).toBe(0);
    expect(nudges).toBe(1);
  });

  it('neither keeps nor announces an email whose transaction rolled back', async () => {
    const failure = inTransaction(db, async (trx) => {
      await mail.queue(trx, 'auth-reset', { to: 'jane@finance.gov.au', subject: () => 'Reset', links: { link: '/password/reset/abc' } });
      throw new Error('the change failed after queueing its email');
    });
    await expect(failure).rejects.toThrow('the change failed');
    expect(nudges).toBe(0);
    expect(await countRows(db, 'outbound_emails')).toBe(0);
  });

  it('nudges at once outside a transaction', async () => {
    await mail.queue(db, 'auth-reset', { to: 'jane@finance.gov.au', subject: () => 'Reset', links: { link: '/password/reset/abc' } });
    expect(nudges).toBe(1);
  });

  it('refuses a transaction not begun with inTransaction, where the nudge would be lost', async () => {
    const queued = db.transaction().execute((trx) => mail.queue(trx, 'auth-reset', { to: 'jane@finance.gov.au', subject: () => 'Reset', links: { link: '/x' } }));
    await expect(queued).rejects.toThrow('inTransaction');
    expect(await countRows(db, 'outbound_emails')).toBe(0);
    expect(() => afterCommit(db, () => {})).not.toThrow();
  });
});
