import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirUnusable, ensureDataDir, lockDataDir } from '../../../src/db/data-dir.js';
import { failingProbes } from '../../support/probes.js';
import { useTempDirs } from '../../support/temp-dirs.js';
import { Browser, buildTestApp, countRows, encodeForm, TEST_HOST, type TestApp, contactRows } from '../../support/app.js';

/**
 * Regression tests for the cold review of issue 2: what a hostile or sloppy client can send
 * (huge forms, odd addresses, odd request lines) is answered with a page of ours, never a
 * freeze, a 500 or a header-less answer; secrets stay out of the logs; the data directory
 * is ours alone.
 */

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ extraSiteRoutes: failingProbes });
});
afterAll(async () => t.close());

function contactFields(hidden: Record<string, string>, overrides: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return { ...hidden, name: 'Alex Citizen', email: 'alex@finance.gov.au', subject: 'Joining', message: 'How do I join?', ...overrides };
}

/** Log lines at error level or worse (pino: 50 error, 60 fatal). */
function errorLines(logs: Record<string, unknown>[]): Record<string, unknown>[] {
  return logs.filter((line) => Number(line.level) >= 50);
}

function expectOurHeaders(headers: Record<string, unknown>): void {
  const csp = String(headers['content-security-policy']);
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'self'");
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
  expect(headers['cache-control']).toBe('no-store');
}

function expectOneHeading(html: string): void {
  expect(html.match(/<h1[\s>]/g) ?? []).toHaveLength(1);
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes as written (no client normalises the request line) and reads the whole answer. */
async function rawHttp(port: number, request: string): Promise<RawResponse> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  const split = text.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]), headers, body: text.slice(split + 4) };
}

describe('form bodies an attacker can make expensive', () => {
  it('answers a form of 87,000 fields (under the body limit) with 413 and writes nothing', async () => {
    const payload = 'a=&'.repeat(87_000);
    expect(Buffer.byteLength(payload)).toBeLessThan(256 * 1024);
    const before = await contactRows(t.db);
    const response = await new Browser(t.app).postRaw('/contact', payload);
    expect(response.statusCode).toBe(413);
    expect(response.body).toContain('The form had far more fields than any form on this site');
    expect(await contactRows(t.db)).toEqual(before);
  });

  it('answers 199 repeated name fields (200 fields in all) with 422 "must be text", not a crash', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    const before = await countRows(t.db, 'contact_messages');
    const logsBefore = t.logs.length;
    const response = await browser.post('/contact', { _csrf: hidden._csrf!, name: Array.from({ length: 199 }, () => 'Alex') });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Your name must be text');
    expect(await countRows(t.db, 'contact_messages')).toBe(before);
    expect(errorLines(t.logs.slice(logsBefore))).toEqual([]);
  });

  it('answers a message of x, 250,000 spaces and x (under the body limit) with 422 naming the 5,000 limit, and writes nothing', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    const message = `x${' '.repeat(250_000)}x`;
    const payload = encodeForm(contactFields(hidden, { message }));
    expect(Buffer.byteLength(payload)).toBeLessThan(256 * 1024);
    const before = await countRows(t.db, 'contact_messages');
    const response = await browser.postRaw('/contact', payload);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('Message must be at most 5,000 characters');
    expect(await countRows(t.db, 'contact_messages')).toBe(before);
  });

  it.each([
    ['application/json', JSON.stringify({ name: 'Alex', email: 'alex@finance.gov.au', subject: 'JSON', message: 'Sent as JSON' })],
    ['text/plain', 'name=Alex&subject=Plain&message=Sent as text'],
  ])('refuses a %s body with 415: the site takes forms only', async (contentType, payload) => {
    const browser = new Browser(t.app);
    await browser.openForm('/contact');
    const before = await countRows(t.db, 'contact_messages');
    const response = await browser.postRaw('/contact', payload, { 'content-type': contentType });
    expect(response.statusCode).toBe(415);
    expectOurHeaders(response.headers);
    expect(await countRows(t.db, 'contact_messages')).toBe(before);
  });
});

describe('the client address behind a proxy (TRUST_PROXY=1)', () => {
  let proxied: TestApp;
  beforeAll(async () => {
    proxied = await buildTestApp({ env: { TRUST_PROXY: '1' }, database: t.database });
  });
  afterAll(async () => proxied.close());

  it.each([
    ['not-an-ip', ['127.0.0.1']],
    ['1.2.3.4:80', ['1.2.3.4']],
    ['[2001:db8::1]:443', ['2001:db8::1']],
    // A zone id is valid to node:net but not to PostgreSQL's inet: the zone dropped, or the peer.
    ['fe80::1%eth0', ['fe80::1', '127.0.0.1']],
    ['999.1.1.1', ['127.0.0.1']],
  ])('stores a valid address for X-Forwarded-For %s', async (forwarded, expected) => {
    const browser = new Browser(proxied.app);
    const hidden = await browser.openForm('/contact');
    const subject = `Forwarded ${forwarded}`;
    const logsBefore = proxied.logs.length;
    const response = await browser.post('/contact', contactFields(hidden, { subject }), { 'x-forwarded-for': forwarded });
    expect(response.statusCode).toBe(303);
    const row = await proxied.db.selectFrom('contact_messages').select('ip_address').where('subject', '=', subject).executeTakeFirstOrThrow();
    const stored = String(row.ip_address);
    expect(net.isIP(stored)).not.toBe(0);
    expect(expected).toContain(stored);
    expect(errorLines(proxied.logs.slice(logsBefore))).toEqual([]);
  });
});

describe('request lines and URLs the router cannot use', () => {
  let port: number;
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as net.AddressInfo).port;
  });

  it('answers an absolute URL in the request line (a proxy request) with 400, not 500', async () => {
    const logsBefore = t.logs.length;
    const response = await rawHttp(port, `GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
    expectOurHeaders(response.headers);
    expectOneHeading(response.body);
    expect(errorLines(t.logs.slice(logsBefore))).toEqual([]);
  });

  // Two framings of one body are how requests are smuggled past a proxy (ASVS 4.2.1).
  it('refuses a body framed by both Content-Length and Transfer-Encoding with 400, writing nothing', async () => {
    const before = await contactRows(t.db);
    const framing = `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nTransfer-Encoding: chunked`;
    const response = await rawHttp(port, `POST /contact HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${framing}\r\nConnection: close\r\n\r\n0\r\n\r\n`);
    expect(response.status).toBe(400);
    expect(await contactRows(t.db)).toEqual(before);
  });

  it('answers /verify/SECRET% (undecodable) with our 400 page and headers, without echoing the token', async () => {
    const logsBefore = t.logs.length;
    const response = await rawHttp(port, `GET /verify/SECRET% HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
    expectOurHeaders(response.headers);
    expectOneHeading(response.body);
    expect(response.body).not.toContain('SECRET');
    expect(JSON.stringify(t.logs.slice(logsBefore))).not.toContain('SECRET');
    expect(errorLines(t.logs.slice(logsBefore))).toEqual([]);
  });

  it('answers the same through inject: text/html, our headers, no echo', async () => {
    const response = await t.app.inject({ url: '/verify/SECRET%', headers: { host: TEST_HOST } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
    expectOurHeaders(response.headers);
    expect(response.body).toContain('not valid text');
    expect(response.body).not.toContain('SECRET');
  });
});

describe('the development host redirect', () => {
  it('keeps //evil.example/x a path on this site: 308 to http://127.0.0.1:3000//evil.example/x', async () => {
    const dev = await buildTestApp({ env: { NODE_ENV: 'development' }, database: t.database });
    try {
      const response = await dev.app.inject({ url: '//evil.example/x', headers: { host: 'localhost:3000' } });
      expect(response.statusCode).toBe(308);
      expect(response.headers.location).toBe('http://127.0.0.1:3000//evil.example/x');
      expect(new URL(String(response.headers.location)).origin).toBe('http://127.0.0.1:3000');
    } finally {
      await dev.close();
    }
  });
});

describe('secrets in logged URLs', () => {
  it.each([
    ['/%76erify/PCTSECRET55', 'PCTSECRET55'],
    ['/login?next=%2Fverify%2FNEXTSECRET66', 'NEXTSECRET66'],
    ['/verify/[redacted]/verify/DOTSECRET77', 'DOTSECRET77'],
    ['/password/reset/RESETSECRET88', 'RESETSECRET88'],
    ['/unlock/UNLOCKSECRET99', 'UNLOCKSECRET99'],
  ])('never logs the secret in %s', async (url, secret) => {
    const logsBefore = t.logs.length;
    await new Browser(t.app).get(url);
    expect(t.logs.length).toBeGreaterThan(logsBefore);
    expect(t.logs.filter((line) => JSON.stringify(line).includes(secret))).toEqual([]);
  });
});

describe('a database pool with no free connection', () => {
  it('answers 503 with Retry-After and the busy page, logged as a warning, not an error', async () => {
    const logsBefore = t.logs.length;
    const response = await new Browser(t.app).get('/test/pool-busy');
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.body).toContain('Commons is busy');
    const lines = t.logs.slice(logsBefore);
    expect(lines.some((line) => line.level === 40 && line.msg === 'no database connection came free in time')).toBe(true);
    expect(errorLines(lines)).toEqual([]);
  });
});

describe('a statement past the database’s time limit', () => {
  it('answers 503 with Retry-After and the busy page, and logs it as an error to fix', async () => {
    const logsBefore = t.logs.length;
    const response = await new Browser(t.app).get('/test/statement-timeout');
    expect(response.statusCode).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.body).toContain('Commons is busy');
    expect(errorLines(t.logs.slice(logsBefore)).map((line) => line.msg)).toEqual(['a database statement ran past its time limit']);
  });
});

describe('error pages carry the security headers', () => {
  async function badContactForm(): Promise<LightMyRequestResponse> {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    return browser.post('/contact', contactFields(hidden, { email: 'not an address', message: '' }));
  }

  it.each<[number, string, () => Promise<LightMyRequestResponse>]>([
    [400, 'invalid UTF-8 in the query', () => new Browser(t.app).get('/?q=%FF')],
    [400, 'an undecodable path', () => t.app.inject({ url: '/verify/abc%', headers: { host: TEST_HOST } })],
    [
      403,
      'a CSRF refusal',
      async () => {
        const browser = new Browser(t.app);
        return browser.post('/contact', contactFields({ ...(await browser.openForm('/contact')), _csrf: 'not-the-token' }));
      },
    ],
    [404, 'an unknown page', () => new Browser(t.app).get('/no-such-page')],
    [413, 'a body over the limit', () => new Browser(t.app).post('/contact', { message: 'x'.repeat(300 * 1024) })],
    [413, 'too many fields', () => new Browser(t.app).postRaw('/contact', 'a=&'.repeat(1000))],
    [422, 'a bad contact form', badContactForm],
    [500, 'a failing route', () => new Browser(t.app).get('/test/fails')],
    [503, 'a busy database pool', () => new Browser(t.app).get('/test/pool-busy')],
    [503, 'a statement past its time limit', () => new Browser(t.app).get('/test/statement-timeout')],
  ])('%i (%s)', async (status, _case, send) => {
    const response = await send();
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toContain('text/html');
    expectOurHeaders(response.headers);
    expectOneHeading(response.body);
  });

  it('429 (the page rate limit, in a second app on the same database)', async () => {
    const limited = await buildTestApp({ env: { RATE_LIMIT_PAGES_PER_10S: '1' }, database: t.database });
    try {
      const browser = new Browser(limited.app);
      expect((await browser.get('/')).statusCode).toBe(200);
      const response = await browser.get('/');
      expect(response.statusCode).toBe(429);
      expect(response.headers['retry-after']).toBeDefined();
      expect(response.headers['content-type']).toContain('text/html');
      expectOurHeaders(response.headers);
      expectOneHeading(response.body);
    } finally {
      await limited.close();
    }
  });
});

describe('the data directory', () => {
  const tempDir = useTempDirs('hardening');

  it('refuses a world-writable DATA_DIR and leaves its mode alone', () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o1777);
    expect(() => ensureDataDir(dir)).toThrow(DataDirUnusable);
    expect(() => ensureDataDir(dir)).toThrow(/writable by other accounts/);
    expect(fs.statSync(dir).mode & 0o7777).toBe(0o1777);
  });

  it('makes a private DATA_DIR 0700', () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o755);
    ensureDataDir(dir);
    expect(fs.statSync(dir).mode & 0o7777).toBe(0o700);
  });

  it('takes over a stale lock once, refuses the second taker, and leaves nothing behind on release', () => {
    const dir = tempDir();
    const lockPath = path.join(dir, 'commons.lock');
    // A pid no process has: the lock of a Commons that crashed.
    fs.writeFileSync(lockPath, '2147483646\n');
    const release = lockDataDir(dir);
    expect(fs.readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(/Another Commons process/);
    expect(fs.readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(fs.existsSync(lockPath)).toBe(false);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('commons.lock'))).toEqual([]);
  });
});
