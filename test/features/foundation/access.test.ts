import Handlebars from 'handlebars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECOND_FACTOR_MESSAGES } from '../../../src/features/auth/second-factor/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import type { RegisteredRoute } from '../../../src/plugins/access.js';
import { SECOND_FACTOR_SETUP_PAGE } from '../../../src/plugins/second-factor.js';
import { Browser, buildTestApp, TEST_HOST, type TestApp } from '../../support/app.js';
import { createAgency, createMember, signIn, type MemberOptions } from '../../support/members.js';

/**
 * Every route is for signed-in members unless it is on the short public list below. Adding a
 * public route means adding it here, on purpose.
 */
const PUBLIC_ROUTES = [
  'GET /',
  'GET /accessibility',
  'GET /contact',
  'GET /email-change/:token',
  'GET /guidelines',
  'GET /healthz',
  'GET /login',
  'GET /login/second-factor',
  'GET /password/forgot',
  'GET /password/reset/:token',
  'GET /privacy',
  'GET /readyz',
  'GET /reconfirm/:token',
  'GET /signup',
  'GET /static/*',
  'GET /static/vendor/simplewebauthn-browser.js',
  'GET /unlock/:token',
  'GET /unsubscribe/:token',
  'GET /verify/:token',
  'POST /contact',
  'POST /email-change/:token',
  'POST /login',
  'POST /login/second-factor',
  'POST /login/second-factor/passkey',
  'POST /logout',
  'POST /password/forgot',
  'POST /password/reset/:token',
  'POST /reconfirm/:token',
  'POST /signup',
  'POST /unlock/:token',
  'POST /unsubscribe/:token',
  'POST /verify/:token',
];
/**
 * POSTs whose signed link is their authority, with no form token (the one-click unsubscribe a
 * mail provider sends, RFC 8058): a made-up link is refused as not valid.
 */
const SIGNED_LINK_POSTS = ['/unsubscribe/:token'];
const DEV_MAILBOX_ROUTES = ['GET /dev/mail', 'GET /dev/mail/:id', 'GET /dev/mail/:id/html'];

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({
    // A route that says nothing about access, as every members' page will.
    async extraSiteRoutes(site) {
      site.get('/test/members-only', async () => 'secret');
      site.post('/test/members-only', async () => 'secret');
    },
  });
});
afterAll(async () => t.close());

function escapeHtml(text: string): string {
  return Handlebars.escapeExpression(text);
}

function expectSentToSignIn(response: { statusCode: number; headers: Record<string, unknown> }, method: string, url: string, label: string) {
  if (method === 'GET') expect(response.headers.location, label).toBe(`/login?next=${encodeURIComponent(url)}`);
  else expect(response.statusCode, label).toBe(403);
}

/** Without a second factor a GET is sent to set one up (and back after), a POST is refused saying why. */
function expectLedToSetUpFactor(response: { statusCode: number; body: string; headers: Record<string, unknown> }, method: string, url: string, message: string, label: string) {
  if (method === 'GET') {
    expect(response.statusCode, label).toBe(303);
    expect(response.headers.location, label).toBe(`${SECOND_FACTOR_SETUP_PAGE}?next=${encodeURIComponent(url)}`);
  } else {
    expect(response.statusCode, label).toBe(403);
    expect(response.body, label).toContain(escapeHtml(message));
  }
}

/** Everyone the /admin and /coordinator tables try, each signed in through the real form with a form token. */
async function tablePeople() {
  const signedIn = async (options: MemberOptions) => {
    const someone = await createMember(t.db, options);
    const browser = new Browser(t.app);
    await signIn(browser, someone.email, someone.password);
    return { browser, csrf: (await browser.openForm('/settings'))._csrf!, id: someone.id, agencyId: someone.agencyId };
  };
  const agency = await createAgency(t.db);
  const appoint = async <T extends { id: number }>(person: T): Promise<T> => {
    await t.db.insertInto('agency_coordinators').values({ member_id: person.id, agency_id: agency.id }).execute();
    return person;
  };
  const people = {
    visitor: { browser: new Browser(t.app), csrf: '' },
    member: await signedIn({}),
    moderator: await signedIn({ role: 'moderator' }),
    administratorWithoutFactor: await signedIn({ role: 'administrator', secondFactor: false }),
    administrator: await signedIn({ role: 'administrator' }),
    coordinatorWithoutFactor: await appoint(await signedIn({ agency, secondFactor: false })),
    coordinator: await appoint(await signedIn({ agency, secondFactor: true })),
  };
  await people.visitor.browser.get('/contact');
  return people;
}

/**
 * Sends every route of a scope as each of tablePeople: only `allowed` gets past the guard; the one
 * without a factor is led to set one up; the rest are refused with `refusal`. A made-up id and a
 * real-looking one, so no route can answer 404 before the guard; the allowed person is sent only
 * the made-up one, which names nothing to change.
 */
async function walkRouteTable(routes: RegisteredRoute[], expected: { allowed: string; withoutFactor: string; factorMessage: string; refusal: string }) {
  const people = await tablePeople();
  for (const route of routes) {
    for (const url of new Set([sampleUrl(route.url), route.url.replace(/:[a-z_]+/gi, '1')])) {
      for (const [who, { browser, csrf }] of Object.entries(people)) {
        if (who === expected.allowed && url !== sampleUrl(route.url)) continue;
        const response = route.method === 'POST' ? await browser.post(url, { _csrf: csrf }) : await browser.get(url);
        const label = `${who}: ${route.method} ${url}`;
        if (who === 'visitor') expectSentToSignIn(response, route.method, url, label);
        else if (who === expected.withoutFactor) expectLedToSetUpFactor(response, route.method, url, expected.factorMessage, label);
        else if (who === expected.allowed) {
          expect(response.statusCode, label).not.toBe(403);
          expect(response.statusCode, label).toBeLessThan(500);
        } else {
          expect(response.statusCode, label).toBe(403);
          expect(response.body, label).toContain(escapeHtml(expected.refusal));
        }
      }
    }
  }
}

function sampleUrl(url: string): string {
  return url.replace(/:[a-z_]+/gi, 'sample').replace('*', 'css/site.css');
}

describe('who may see what', () => {
  it('has exactly the public routes that are meant to be public', () => {
    const routes = t.app.routeInventory.filter((route) => route.method !== 'HEAD');
    const publicRoutes = routes.filter((route) => route.access === 'public').map((route) => `${route.method} ${route.url}`);
    expect([...new Set(publicRoutes)].sort()).toEqual(PUBLIC_ROUTES);
    const devRoutes = routes.filter((route) => route.access === 'dev-mailbox').map((route) => `${route.method} ${route.url}`);
    expect(devRoutes.sort()).toEqual(DEV_MAILBOX_ROUTES);
  });

  it('sends a signed-out visitor from every other route to sign in, or refuses the POST', async () => {
    const guarded = t.app.routeInventory.filter((route) => route.access !== 'public' && route.access !== 'dev-mailbox');
    expect(guarded.length).toBeGreaterThan(0);
    for (const route of guarded) {
      const response = await t.app.inject({ method: route.method as 'GET', url: sampleUrl(route.url), headers: { host: TEST_HOST, origin: 'http://127.0.0.1:3000' } });
      if (route.method === 'GET' || route.method === 'HEAD') {
        expect(response.statusCode, `${route.method} ${route.url}`).toBe(303);
        expect(response.headers.location).toBe(`/login?next=${encodeURIComponent(sampleUrl(route.url))}`);
      } else {
        expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      }
      expect(response.body).not.toContain('secret');
    }
  });

  it('keeps every /mod route for moderators and administrators: a member gets 403 even with a valid form token, a visitor is sent to sign in, staff reach GET /mod', async () => {
    const modRoutes = t.app.routeInventory.filter((route) => route.url === '/mod' || route.url.startsWith('/mod/'));
    expect(modRoutes.some((route) => route.method === 'POST')).toBe(true);
    expect(modRoutes.filter((route) => route.access !== 'moderator')).toEqual([]);
    expect(t.app.routeInventory.filter((route) => route.access === 'moderator' && !modRoutes.includes(route))).toEqual([]);
    const member = await createMember(t.db);
    const browser = new Browser(t.app);
    await signIn(browser, member.email, member.password);
    const { _csrf } = await browser.openForm('/settings');
    const visitor = new Browser(t.app);
    for (const route of modRoutes.filter((r) => r.method !== 'HEAD')) {
      // A real-looking id too, so no route can answer 404 before the role is checked.
      for (const url of [sampleUrl(route.url), route.url.replace(/:[a-z_]+/gi, '1')]) {
        const response = route.method === 'POST' ? await browser.post(url, { _csrf: _csrf!, reason: 'x' }) : await browser.get(url);
        expect(response.statusCode, `member: ${route.method} ${url}`).toBe(403);
        expect(response.body).toContain(PAGE_MESSAGES.moderatorsOnly);
        const signedOut = route.method === 'POST' ? await visitor.post(url, { reason: 'x' }) : await visitor.get(url);
        if (route.method === 'GET') expect(signedOut.headers.location, `visitor: GET ${url}`).toBe(`/login?next=${encodeURIComponent(url)}`);
        else expect(signedOut.statusCode, `visitor: POST ${url}`).toBe(403);
      }
    }
    for (const role of ['moderator', 'administrator'] as const) {
      const staff = await createMember(t.db, { role });
      const staffBrowser = new Browser(t.app);
      await signIn(staffBrowser, staff.email, staff.password);
      const queue = await staffBrowser.get('/mod');
      expect(queue.statusCode, role).toBe(200);
      expect(queue.body).toContain('<h1>Review queue</h1>');
    }
  });

  it('keeps every /mod route for moderators and administrators: a table over visitor, member, moderator, administrator and suspended member', async () => {
    const modRoutes = t.app.routeInventory.filter((route) => route.method !== 'HEAD' && (route.url === '/mod' || route.url.startsWith('/mod/')));
    expect(modRoutes.length).toBeGreaterThan(3);
    expect(modRoutes.filter((route) => route.access !== 'moderator')).toEqual([]);
    const signedIn = async (role: 'member' | 'moderator' | 'administrator') => {
      const someone = await createMember(t.db, { role });
      const browser = new Browser(t.app);
      await signIn(browser, someone.email, someone.password);
      return { browser, csrf: (await browser.openForm('/settings'))._csrf!, id: someone.id };
    };
    const suspended = await signedIn('member');
    const people = { visitor: { browser: new Browser(t.app), csrf: '' }, member: await signedIn('member'), moderator: await signedIn('moderator'), administrator: await signedIn('administrator'), suspended };
    const until = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    expect((await people.moderator.browser.post(`/mod/members/${suspended.id}/suspend`, { _csrf: people.moderator.csrf, until, reason: 'For the table test.' })).statusCode).toBe(303);
    await people.visitor.browser.get('/contact');
    for (const route of modRoutes) {
      const url = sampleUrl(route.url);
      for (const [who, { browser, csrf }] of Object.entries(people)) {
        const response = route.method === 'POST' ? await browser.post(url, { _csrf: csrf }) : await browser.get(url);
        const label = `${who}: ${route.method} ${route.url}`;
        if (who === 'visitor' || who === 'suspended') {
          if (route.method === 'GET') expect(response.headers.location, label).toBe(`/login?next=${encodeURIComponent(url)}`);
          else expect(response.statusCode, label).toBe(403);
        } else if (who === 'member') {
          expect(response.statusCode, label).toBe(403);
          expect(response.body).toContain(PAGE_MESSAGES.moderatorsOnly);
        } else {
          expect(response.statusCode, label).not.toBe(403);
          expect(response.statusCode, label).toBeLessThan(500);
        }
      }
    }
  });

  it('keeps every /admin route for administrators with a second factor: a table over visitor, member, moderator, coordinator, administrator without a factor and administrator with one', async () => {
    const adminRoutes = t.app.routeInventory.filter((route) => route.method !== 'HEAD' && (route.url === '/admin' || route.url.startsWith('/admin/')));
    expect(adminRoutes.filter((route) => route.method === 'POST').length).toBeGreaterThan(5);
    expect(adminRoutes.filter((route) => route.access !== 'administrator')).toEqual([]);
    expect(t.app.routeInventory.filter((route) => route.access === 'administrator' && route.method !== 'HEAD' && !adminRoutes.includes(route))).toEqual([]);
    await walkRouteTable(adminRoutes, { allowed: 'administrator', withoutFactor: 'administratorWithoutFactor', factorMessage: SECOND_FACTOR_MESSAGES.factorRequired, refusal: PAGE_MESSAGES.administratorsOnly });
  });

  it('keeps every /coordinator route for a coordinator with a second factor: a table over visitor, member, moderator, administrator, coordinator without a factor and coordinator with one', async () => {
    const coordinatorRoutes = t.app.routeInventory.filter((route) => route.method !== 'HEAD' && (route.url === '/coordinator' || route.url.startsWith('/coordinator/')));
    expect(coordinatorRoutes.filter((route) => route.method === 'POST').length).toBeGreaterThan(3);
    expect(coordinatorRoutes.filter((route) => route.access !== 'coordinator')).toEqual([]);
    expect(t.app.routeInventory.filter((route) => route.access === 'coordinator' && route.method !== 'HEAD' && !coordinatorRoutes.includes(route))).toEqual([]);
    // Administrators are refused too: they look after every agency at /admin, not here (decision 0019).
    await walkRouteTable(coordinatorRoutes, { allowed: 'coordinator', withoutFactor: 'coordinatorWithoutFactor', factorMessage: SECOND_FACTOR_MESSAGES.factorRequiredCoordinator, refusal: PAGE_MESSAGES.coordinatorsOnly });
  });

  it('answers every public GET route signed out (a made-up link token gets the "link expired" page; the second step, with no sign-in begun, sends the browser to sign in)', async () => {
    for (const route of PUBLIC_ROUTES.filter((r) => r.startsWith('GET '))) {
      const response = await new Browser(t.app).get(sampleUrl(route.slice(4)));
      expect(response.statusCode, route).toBe(route.includes(':token') ? 400 : route === 'GET /login/second-factor' ? 303 : 200);
    }
  });
});

describe('CSRF on every form', () => {
  it('refuses every POST route without a form token, signed in or not (a signed-link POST refuses a made-up link)', async () => {
    const posts = t.app.routeInventory.filter((route) => route.method === 'POST');
    expect(posts.length).toBeGreaterThan(10);
    const member = await createMember(t.db);
    const signedIn = new Browser(t.app);
    await signIn(signedIn, member.email, member.password);
    for (const browser of [new Browser(t.app), signedIn]) {
      await browser.get('/contact');
      for (const route of posts) {
        const response = await browser.post(sampleUrl(route.url), { email: member.email, password: member.password });
        expect(response.statusCode, `POST ${route.url}`).toBe(SIGNED_LINK_POSTS.includes(route.url) ? 400 : 403);
      }
    }
    expect((await signedIn.get('/settings')).statusCode).toBe(200);
  });
});

describe('rate limits', () => {
  it('answers past the page budget with 429 and Retry-After, and never limits health or static files', async () => {
    const limited = await buildTestApp({ env: { RATE_LIMIT_PAGES_PER_10S: '3' }, database: t.database });
    try {
      const browser = new Browser(limited.app);
      for (let i = 0; i < 3; i += 1) expect((await browser.get('/guidelines')).statusCode).toBe(200);
      const refused = await browser.get('/guidelines');
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.body).toContain('Too many requests');
      expect((await browser.get('/healthz')).statusCode).toBe(200);
      expect((await browser.get('/static/css/site.css')).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('exempts trusted address ranges', async () => {
    const trusted = await buildTestApp({ env: { RATE_LIMIT_PAGES_PER_10S: '1', RATE_LIMIT_TRUSTED: '127.0.0.0/8' }, database: t.database });
    try {
      const browser = new Browser(trusted.app);
      for (let i = 0; i < 5; i += 1) expect((await browser.get('/guidelines')).statusCode).toBe(200);
    } finally {
      await trusted.close();
    }
  });
});

describe('the site has one host name in development', () => {
  it('redirects localhost to PUBLIC_URL so same-origin checks hold', async () => {
    const dev = await buildTestApp({ env: { NODE_ENV: 'development' }, database: t.database });
    try {
      const response = await new Browser(dev.app, 'localhost:3000').get('/guidelines?x=1');
      expect(response.statusCode).toBe(308);
      expect(response.headers.location).toBe('http://127.0.0.1:3000/guidelines?x=1');
    } finally {
      await dev.close();
    }
  });
});
