import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMailboxMessage } from '../../../src/mail/mailbox.js';
import { buildTestApp, TEST_HOST, type TestApp } from '../../support/app.js';

let t: TestApp;
const ID = '2026-11-22T10-00-00-000Z-abcdef12';
beforeAll(async () => {
  t = await buildTestApp();
  writeMailboxMessage(path.join(t.config.dataDir, 'mail'), {
    id: ID,
    date: '2026-11-22T10:00:00.000Z',
    from: 'Commons <no-reply@127.0.0.1>',
    to: 'alex@finance.gov.au',
    subject: 'Confirm your email <script>',
    replyTo: null,
    text: 'Open http://127.0.0.1:3000/verify/token123 or https://evil.example/x to continue.',
    html: '<p>Open <a href="http://127.0.0.1:3000/verify/token123">this link</a></p><script>alert(1)</script>',
  });
});
afterAll(async () => t.close());

function get(url: string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') {
  return t.app.inject({ method: 'GET', url, headers: { host: TEST_HOST, ...headers }, remoteAddress });
}

describe('GET /dev/mail', () => {
  it('lists the emails and shows one as text, linking only links to this site', async () => {
    const list = await get('/dev/mail');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`/dev/mail/${ID}`);
    expect(list.body).toContain('Confirm your email &lt;script&gt;');
    const message = await get(`/dev/mail/${ID}`);
    expect(message.statusCode).toBe(200);
    expect(message.body).toContain('<a href="http://127.0.0.1:3000/verify/token123">');
    expect(message.body).not.toContain('href="https://evil.example/x"');
    expect(message.body).not.toContain('<script>');
  });

  it('serves the HTML version only inside a sandbox with its own CSP', async () => {
    const response = await get(`/dev/mail/${ID}/html`);
    expect(response.statusCode).toBe(200);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toMatch(/^sandbox;/);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('allow-scripts');
  });

  it.each([
    ['X-Forwarded-For', { 'x-forwarded-for': '203.0.113.9' }],
    ['X-Forwarded-Host', { 'x-forwarded-host': '127.0.0.1:3000' }],
    ['Forwarded', { forwarded: 'for=203.0.113.9' }],
    ['another Host', { host: 'commons.example.gov.au' }],
    ['localhost as the Host', { host: 'localhost:3000' }],
  ])('refuses a request with %s', async (_case, headers) => {
    for (const url of ['/dev/mail', `/dev/mail/${ID}`, `/dev/mail/${ID}/html`]) {
      const response = await get(url, headers);
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain('token123');
    }
  });

  it('refuses a request from another machine', async () => {
    const response = await get('/dev/mail', {}, '192.0.2.10');
    expect(response.statusCode).toBe(404);
  });

  it.each(['../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', 'x%00y', 'no-such-message'])('answers 404 for the id %s', async (id) => {
    expect((await get(`/dev/mail/${id}`)).statusCode).toBe(404);
  });

  it('does not exist in production', async () => {
    const production = await buildTestApp({
      database: t.database,
      env: {
        NODE_ENV: 'production',
        PUBLIC_URL: 'https://commons.example.gov.au',
        DATABASE_URL: 'postgres://commons@db.example.gov.au/commons',
        SMTP_URL: 'smtps://relay.example.gov.au',
        CONTACT_EMAIL: 'operators@example.gov.au',
        TRUST_PROXY: '1',
        PASSWORD_HASH_MEMORY_KIB: '19456',
      },
    });
    try {
      expect(production.config.devMailbox).toBe(false);
      expect(production.app.routeInventory.some((route) => route.url.startsWith('/dev/'))).toBe(false);
      const response = await production.app.inject({ url: '/dev/mail', headers: { host: 'commons.example.gov.au' } });
      expect(response.statusCode).toBe(404);
    } finally {
      await production.close();
    }
  });

  it('does not exist when SMTP is configured in development', async () => {
    const withSmtp = await buildTestApp({ database: t.database, env: { SMTP_URL: 'smtp://127.0.0.1:2525' } });
    try {
      expect((await withSmtp.app.inject({ url: '/dev/mail', headers: { host: TEST_HOST } })).statusCode).toBe(404);
    } finally {
      await withSmtp.close();
    }
  });
});
