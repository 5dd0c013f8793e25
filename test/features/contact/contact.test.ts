import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listMailbox } from '../../../src/mail/mailbox.js';
import { Browser, buildTestApp, countRows, encodeForm, type TestApp } from '../../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { CONTACT_EMAIL: 'Operators <operators@commons.example.gov.au>' } });
});
afterAll(async () => t.close());
beforeEach(async () => {
  await t.db.deleteFrom('outbound_emails').execute();
  await t.db.deleteFrom('contact_messages').execute();
});

const VALID = { name: 'Alex Citizen', email: 'alex.citizen@finance.gov.au', subject: 'Our agency is not on the list', message: 'We are part of the Department of Finance.\nCan we join?' };

async function submit(fields: Record<string, string | string[]>, browser = new Browser(t.app)) {
  const hidden = await browser.openForm('/contact');
  return browser.post('/contact', { ...hidden, ...fields });
}

async function expectNothingWritten() {
  expect(await countRows(t.db, 'contact_messages')).toBe(0);
  expect(await countRows(t.db, 'outbound_emails')).toBe(0);
}

describe('POST /contact', () => {
  it('keeps the message, queues one email to the operators and thanks the sender', async () => {
    const browser = new Browser(t.app);
    const response = await submit(VALID, browser);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/contact');
    expect((await browser.get('/contact')).body).toContain('Thank you. Your message has been sent');
    expect((await browser.get('/contact')).body).not.toContain('Thank you.');

    const message = await t.db.selectFrom('contact_messages').select(['name', 'email', 'subject', 'message']).executeTakeFirstOrThrow();
    expect(message).toEqual(VALID);
    const email = await t.db.selectFrom('outbound_emails').select(['to_address', 'subject', 'text_body', 'headers', 'status', 'kind']).executeTakeFirstOrThrow();
    expect(email.to_address).toBe('Operators <operators@commons.example.gov.au>');
    expect(email.subject).toBe('[Commons contact] Our agency is not on the list');
    expect(email.text_body).toContain('Can we join?');
    expect(email.headers).toEqual({ replyTo: 'alex.citizen@finance.gov.au' });
    expect(email.status).toBe('pending');
    expect(email.kind).toBe('contact.message');
  });

  it('refuses a form with every field missing, naming each, and writes nothing', async () => {
    const response = await submit({});
    expect(response.statusCode).toBe(422);
    for (const text of ['Enter your name', 'Enter your email address', 'Enter a subject', 'Enter your message']) expect(response.body).toContain(text);
    await expectNothingWritten();
  });

  it.each([
    ['whitespace', ' \t '],
    ['zero-width characters', '\u200B\u200D\uFEFF'],
  ])('counts a name of only %s as missing', async (_case, name) => {
    const response = await submit({ ...VALID, name });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Enter your name');
    await expectNothingWritten();
  });

  it.each([
    ['name', 'x'.repeat(101), 'Your name must be at most 100 characters'],
    ['subject', 'x'.repeat(151), 'Subject must be at most 150 characters'],
    ['message', 'x'.repeat(5001), 'Message must be at most 5,000 characters'],
  ])('refuses an overlong %s with its limit', async (field, value, text) => {
    const response = await submit({ ...VALID, [field]: value });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(text);
    await expectNothingWritten();
  });

  it.each([
    ['a NUL byte', { message: 'before\0after' }, 'Message must not contain NUL characters'],
    ['CR/LF in the subject, which goes into a mail header', { subject: 'Hello\r\nBcc: victim@evil.example' }, 'Subject must be on one line'],
  ])('refuses %s', async (_case, fields, text) => {
    const response = await submit({ ...VALID, ...fields });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(text);
    await expectNothingWritten();
  });

  it('refuses a lone surrogate (encoded as invalid UTF-8)', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    const response = await browser.postRaw('/contact', `${encodeForm({ ...hidden, ...VALID })}&subject=%ED%A0%80`);
    expect(response.statusCode).toBe(400);
    await expectNothingWritten();
  });

  it.each(['alex@finance.gov.au\r\nBcc: x@evil.example', 'not-an-address', '"quoted"@finance.gov.au', 'a@[10.0.0.1]'])('refuses the reply address %j', async (email) => {
    const response = await submit({ ...VALID, email });
    expect(response.statusCode).toBe(422);
    await expectNothingWritten();
  });

  it('shows hostile text escaped when it re-fills the form', async () => {
    const response = await submit({ ...VALID, name: '<script>alert(1)</script>', subject: '{{constructor.constructor("return process")()}}', message: '' });
    expect(response.statusCode).toBe(422);
    expect(response.body).not.toContain('<script>alert(1)');
    expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(response.body).toContain('{{constructor.constructor(&quot;return process&quot;)()}}');
    await expectNothingWritten();
  });

  it('stores SQL metacharacters literally', async () => {
    const subject = `' OR 1=1 --"; DROP TABLE contact_messages; %_\\`;
    expect((await submit({ ...VALID, subject })).statusCode).toBe(303);
    const row = await t.db.selectFrom('contact_messages').select('subject').executeTakeFirstOrThrow();
    expect(row.subject).toBe(subject);
  });

  it('refuses fields it does not expect (mass assignment)', async () => {
    const response = await submit({ ...VALID, role: 'admin' });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('a field Commons does not expect');
    await expectNothingWritten();
  });

  it.each(['__proto__[isAdmin]', 'constructor[prototype][x]', '__proto__'])('refuses the prototype key %s with 400', async (key) => {
    const response = await submit({ ...VALID, [key]: '1' });
    expect(response.statusCode).toBe(400);
    await expectNothingWritten();
  });

  it('refuses a field sent twice (wrong type)', async () => {
    const response = await submit({ ...VALID, name: ['Alex', 'Sam'] });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Your name must be text');
    await expectNothingWritten();
  });

  it('keeps one message when the same form is sent twice', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    const first = await browser.post('/contact', { ...hidden, ...VALID });
    const second = await browser.post('/contact', { ...hidden, ...VALID });
    expect([first.statusCode, second.statusCode]).toEqual([303, 303]);
    expect(await countRows(t.db, 'contact_messages')).toBe(1);
    expect(await countRows(t.db, 'outbound_emails')).toBe(1);
  });

  it('keeps one message when the same form is sent 20 times at once', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    const responses = await Promise.all(Array.from({ length: 20 }, () => browser.post('/contact', { ...hidden, ...VALID })));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(303));
    expect(await countRows(t.db, 'contact_messages')).toBe(1);
    expect(await countRows(t.db, 'outbound_emails')).toBe(1);
  });

  it('refuses a form token that is not one of ours', async () => {
    const response = await submit({ ...VALID, form_token: "1' OR '1'='1" });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('This form is missing its token');
    await expectNothingWritten();
  });

  it('in development with no CONTACT_EMAIL, lands in the mailbox addressed to the operators, whose address the privacy notice gives', async () => {
    const development = await buildTestApp({ env: { NODE_ENV: 'development' }, database: t.database });
    try {
      const browser = new Browser(development.app);
      expect((await submit(VALID, browser)).statusCode).toBe(303);
      expect(await development.app.mailWorker.runOnce()).toBe(1);
      const mailbox = listMailbox(path.join(development.config.dataDir, 'mail'));
      expect(mailbox.map(({ to, subject, replyTo }) => ({ to, subject, replyTo }))).toEqual([{ to: 'Commons operators <operators@localhost>', subject: '[Commons contact] Our agency is not on the list', replyTo: VALID.email }]);
      expect((await browser.get('/privacy')).body).toContain('<a href="mailto:operators@localhost">operators@localhost</a>');
    } finally {
      await development.close();
    }
  });

  it('answers past the hourly limit with 429 and Retry-After', async () => {
    const limited = await buildTestApp({ env: { RATE_LIMIT_CONTACT_PER_HOUR: '2' }, database: t.database });
    try {
      const browser = new Browser(limited.app);
      for (let i = 0; i < 2; i += 1) expect((await submit({ ...VALID, subject: `Try ${i}` }, browser)).statusCode).toBe(303);
      const refused = await submit({ ...VALID, subject: 'One too many' }, browser);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(await countRows(t.db, 'contact_messages')).toBe(2);
    } finally {
      await limited.close();
    }
  });
});
