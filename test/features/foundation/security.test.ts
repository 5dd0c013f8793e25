import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failingProbes } from '../../support/probes.js';
import { Browser, buildTestApp, countRows, encodeForm, hiddenFields, TEST_HOST, type TestApp, contactRows } from '../../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ extraSiteRoutes: failingProbes });
});
afterAll(async () => t.close());

function contactFields(hidden: Record<string, string>): Record<string, string> {
  return { ...hidden, name: 'Alex Citizen', email: 'alex@finance.gov.au', subject: 'Joining', message: 'How do I join?' };
}

const PAGES = ['/', '/guidelines', '/privacy', '/contact', '/no-such-page'];

describe('security headers', () => {
  it.each(PAGES)('%s carries the strict CSP, frame, referrer, nosniff and no-store headers', async (url) => {
    const response = await new Browser(t.app).get(url);
    const csp = String(response.headers['content-security-policy']);
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('same-origin');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['strict-transport-security']).toBeUndefined();
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('sends HSTS and upgrade-insecure-requests, and a __Host- secure cookie, only under https', async () => {
    // As behind a load balancer that ends TLS and says so in X-Forwarded-Proto.
    const secure = await buildTestApp({ env: { PUBLIC_URL: 'https://commons.example.gov.au', TRUST_PROXY: '1' } });
    try {
      const https = { 'x-forwarded-proto': 'https' };
      const browser = new Browser(secure.app, 'commons.example.gov.au');
      const response = await browser.get('/contact', https);
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(String(response.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
      // A visitor gets the form cookie with the page, and a session only once a posted form
      // leaves a notice for the next page.
      const formCookie = String(response.headers['set-cookie']);
      const posted = await browser.post('/contact', contactFields(hiddenFields(response.body)), { ...https, origin: 'https://commons.example.gov.au' });
      expect(posted.statusCode).toBe(303);
      const cookie = String(posted.headers['set-cookie']);
      expect(formCookie).toMatch(/^__Host-commons_form=/);
      expect(cookie).toMatch(/^__Host-commons=/);
      for (const set of [formCookie, cookie]) {
        expect(set).toContain('Secure');
        expect(set).toContain('HttpOnly');
        expect(set).toContain('SameSite=Lax');
        expect(set).not.toContain('Domain=');
      }
    } finally {
      await secure.close();
    }
  });

  it('lets static files be cached and sends them without a session', async () => {
    const response = await t.app.inject({ url: '/static/css/site.css', headers: { host: TEST_HOST } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toContain('max-age=3600');
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});

describe('CSRF and origin checks on POST', () => {
  it('accepts a form posted from our own page', async () => {
    const browser = new Browser(t.app);
    const before = await countRows(t.db, 'contact_messages');
    const response = await browser.post('/contact', contactFields(await browser.openForm('/contact')));
    expect(response.statusCode).toBe(303);
    expect(await countRows(t.db, 'contact_messages')).toBe(before + 1);
  });

  it.each([
    ['a missing token', (h: Record<string, string>) => ({ ...h, _csrf: '' }), {}],
    ['a wrong token', (h: Record<string, string>) => ({ ...h, _csrf: 'not-the-token' }), {}],
    ['another Origin', (h: Record<string, string>) => h, { origin: 'https://evil.example' }],
    ['no Origin and a cross-site fetch', (h: Record<string, string>) => h, { origin: '', 'sec-fetch-site': 'cross-site' }],
  ])('refuses %s with 403 and writes nothing', async (_case, tamper, headers) => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    const before = await contactRows(t.db);
    // An empty origin in the table means "send no Origin header at all".
    const { origin, ...others } = headers as Record<string, string>;
    const sent = origin ? { origin, ...others } : others;
    const response = await browser.postRaw('/contact', encodeForm(tamper(contactFields(hidden))), sent, { withOrigin: origin === undefined });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('This form has expired or did not come from this site');
    expect(await contactRows(t.db)).toEqual(before);
  });

  it("refuses another session's token", async () => {
    const mine = new Browser(t.app);
    const theirs = new Browser(t.app);
    const myHidden = await mine.openForm('/contact');
    const theirHidden = await theirs.openForm('/contact');
    const before = await countRows(t.db, 'contact_messages');
    const response = await mine.post('/contact', contactFields({ ...myHidden, _csrf: theirHidden._csrf! }));
    expect(response.statusCode).toBe(403);
    expect(await countRows(t.db, 'contact_messages')).toBe(before);
  });

  it('accepts a POST with no Origin when Sec-Fetch-Site says same-origin', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    const response = await browser.postRaw('/contact', encodeForm(contactFields(hidden)), { 'sec-fetch-site': 'same-origin' }, { withOrigin: false });
    expect(response.statusCode).toBe(303);
  });

  it('changes nothing on GET: the contact form only shows', async () => {
    const before = await countRows(t.db, 'contact_messages');
    const response = await new Browser(t.app).get('/contact?name=x&email=a%40b.gov.au&subject=s&message=m');
    expect(response.statusCode).toBe(200);
    expect(await countRows(t.db, 'contact_messages')).toBe(before);
  });
});

describe('request limits and bad requests', () => {
  it('answers a 300 KiB form body with 413 and writes nothing', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    const before = await countRows(t.db, 'contact_messages');
    const response = await browser.post('/contact', { ...contactFields(hidden), message: 'x'.repeat(300 * 1024) });
    expect(response.statusCode).toBe(413);
    expect(response.body).toContain('That was too much to send');
    expect(await countRows(t.db, 'contact_messages')).toBe(before);
  });

  it.each(['/?q=%FF', '/?q=%C3%28', '/?q=%C0%AF'])('answers invalid UTF-8 in the query %s with a 400 page', async (url) => {
    const response = await new Browser(t.app).get(url);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('invalid encoding');
  });

  it('answers invalid UTF-8 in a form body with 400 and writes nothing', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    const before = await countRows(t.db, 'contact_messages');
    const response = await browser.postRaw('/contact', `${encodeForm(contactFields(hidden))}&name=%C3%28`);
    expect(response.statusCode).toBe(400);
    expect(await countRows(t.db, 'contact_messages')).toBe(before);
  });

  it('shows a 500 page that quotes the request id and hides the error', async () => {
    const response = await new Browser(t.app).get('/test/fails');
    expect(response.statusCode).toBe(500);
    expect(response.body).toContain('Something went wrong');
    expect(response.body).toContain(t.logs.find((line) => line.msg === 'request failed')?.reqId as string);
    expect(response.body).not.toContain('secret internal detail');
    expect(response.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('answers an unknown page with a 404 page', async () => {
    const response = await new Browser(t.app).get('/no-such-page/9999999999999999999');
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('Page not found');
  });
});

describe('logs', () => {
  it('masks the token in a logged /verify/… URL', async () => {
    const token = 'S3cr3tT0kenValue_abcdefghijklmnop';
    await new Browser(t.app).get(`/verify/${token}`);
    await new Browser(t.app).get(`/password/reset/${token}?token=${token}`);
    const logged = JSON.stringify(t.logs);
    expect(logged).toContain('/verify/[redacted]');
    expect(logged).toContain('/password/reset/[redacted]');
    expect(logged).not.toContain(token);
  });

  it('never logs cookies or form tokens', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    await browser.post('/contact', contactFields(hidden));
    const logged = JSON.stringify(t.logs);
    expect(logged).not.toContain(hidden._csrf!);
    expect(logged).not.toContain(browser.cookieHeader.split('=')[1]!.slice(0, 20));
  });
});

describe('health', () => {
  it('answers /healthz without touching a session', async () => {
    const response = await t.app.inject({ url: '/healthz', headers: { host: TEST_HOST, cookie: 'commons=forged' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('ok\n');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('answers /readyz when the database is reachable and migrated', async () => {
    const response = await t.app.inject({ url: '/readyz', headers: { host: TEST_HOST } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('ready\n');
  });
});
