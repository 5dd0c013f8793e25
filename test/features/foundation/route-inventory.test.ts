import Handlebars from 'handlebars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import type { RegisteredRoute, RouteAccess } from '../../../src/plugins/access.js';
import { Browser, buildTestApp, encodeForm, TEST_HOST, type TestApp } from '../../support/app.js';
import { createCategory, createThreads } from '../../support/forum-rows.js';
import { createAgency, createMember, isSignedIn, signIn, type TestMember } from '../../support/members.js';
import { createResource } from '../../support/resources.js';

/**
 * Every route that changes state (every non-GET route) walked from the app's own inventory
 * (plugins/access.ts records each route as it is registered): it has an access level, the CSRF
 * checks (plugins/csrf.ts) apply to it, a rate limiter runs for it, and input it cannot use is
 * refused rather than failing. The checks are made through requests, so a route registered
 * outside the site's scope (plugins/site.ts), which none of these hooks reach, fails them.
 *
 * Input validation is in each handler (parseForm and zod schemas in the feature's schemas.ts),
 * not in the route's options, so it cannot be read from the inventory: what is checked is its
 * effect, that hostile input reaches no route as a 500.
 */

const ACCESS_LEVELS: readonly RouteAccess[] = ['public', 'member', 'moderator', 'administrator', 'coordinator', 'dev-mailbox'];

/**
 * POSTs exempt from the Origin check and the form token, each for its reason. A route listed
 * here must exist and be marked in its config: the list cannot outlive the exemption.
 */
const CSRF_EXEMPT: Record<string, string> = {
  // RFC 8058 one-click unsubscribe: the mail provider POSTs from its own servers, with no page
  // and no session; the signed token in the link is the authority.
  'POST /unsubscribe/:token': 'signedLink',
};

// Fewer than this and the app's routes were not all found (there are over a hundred).
const MIN_STATE_CHANGING_ROUTES = 80;

const FORM_EXPIRED = Handlebars.escapeExpression(PAGE_MESSAGES.formExpired);
const SIGN_IN_FIRST = PAGE_MESSAGES.signInFirst;

let t: TestApp;
let stateChanging: RegisteredRoute[];
/** Who can get past each access level's guard, signed in through the real form. */
let people: { administrator: Browser; coordinator: Browser };
let administrator: TestMember;

beforeAll(async () => {
  t = await buildTestApp();
  stateChanging = t.app.routeInventory.filter((route) => route.method !== 'GET' && route.method !== 'HEAD');
  administrator = await createMember(t.db, { role: 'administrator' });
  const agency = await createAgency(t.db);
  const coordinator = await createMember(t.db, { agency, secondFactor: true });
  await t.db.insertInto('agency_coordinators').values({ member_id: coordinator.id, agency_id: agency.id }).execute();
  people = { administrator: new Browser(t.app), coordinator: new Browser(t.app) };
  expect((await signIn(people.administrator, administrator.email, administrator.password)).statusCode).toBe(303);
  expect((await signIn(people.coordinator, coordinator.email, coordinator.password)).statusCode).toBe(303);
});
afterAll(async () => t.close());

const label = (route: RegisteredRoute) => `${route.method} ${route.url}`;
const sampleUrl = (url: string, id = 'sample') => url.replace(/:[a-z_]+/gi, id);
const isExempt = (route: RegisteredRoute) => label(route) in CSRF_EXEMPT;

/** Someone who passes the route's access guard, so a refusal after it is the route's own. */
function reaching(route: RegisteredRoute): Browser {
  return route.access === 'coordinator' ? people.coordinator : people.administrator;
}

function logged(message: string): number {
  return t.logs.filter((line) => line.msg === message).length;
}

describe('the inventory of routes that change state', () => {
  it('finds them all, every one a POST (state changes only by POST)', () => {
    expect(stateChanging.length).toBeGreaterThanOrEqual(MIN_STATE_CHANGING_ROUTES);
    expect(stateChanging.filter((route) => route.method !== 'POST').map(label)).toEqual([]);
  });

  it('gives each an access level that the guard enforces: a visitor is refused every one that is not public', async () => {
    for (const route of stateChanging) expect(ACCESS_LEVELS, label(route)).toContain(route.access);
    const guarded = stateChanging.filter((route) => route.access !== 'public');
    expect(guarded.length).toBeGreaterThan(MIN_STATE_CHANGING_ROUTES / 2);
    const visitor = new Browser(t.app);
    await visitor.get('/contact');
    for (const route of guarded) {
      const response = await visitor.post(sampleUrl(route.url), {});
      expect(response.statusCode, label(route)).toBe(403);
      expect(response.body, label(route)).toContain(SIGN_IN_FIRST);
    }
  });

  it('refuses each from another origin, but for the listed exemptions, which still exist and are marked as such', async () => {
    for (const [route, mark] of Object.entries(CSRF_EXEMPT)) {
      const registered = stateChanging.find((candidate) => label(candidate) === route);
      expect(registered, `${route} is exempt from CSRF but no longer registered`).toBeDefined();
      expect(registered!.config[mark as 'signedLink'], route).toBe(true);
    }
    for (const route of stateChanging) {
      expect(route.config.signedLink && !isExempt(route), `${label(route)} skips CSRF but is not on the list`).toBeFalsy();
      if (isExempt(route)) continue;
      const before = logged('refused a cross-origin request');
      const response = await t.app.inject({ method: 'POST', url: sampleUrl(route.url), headers: { host: TEST_HOST, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, payload: '' });
      expect(response.statusCode, label(route)).toBe(403);
      expect(response.body, label(route)).toContain(FORM_EXPIRED);
      expect(logged('refused a cross-origin request'), label(route)).toBe(before + 1);
    }
  });

  it('refuses each without a form token from someone its access level admits, and runs a rate limiter for it', async () => {
    for (const route of stateChanging.filter((candidate) => !isExempt(candidate))) {
      const before = logged('refused a request without a valid form token');
      const response = await reaching(route).post(sampleUrl(route.url), { reason: 'no token' });
      expect(response.statusCode, label(route)).toBe(403);
      expect(response.body, label(route)).toContain(FORM_EXPIRED);
      expect(logged('refused a request without a valid form token'), label(route)).toBe(before + 1);
      // @fastify/rate-limit's hook (the page budget, or the route's own config.rateLimit) ran.
      expect(response.headers['x-ratelimit-limit'], label(route)).toBeDefined();
      expect(route.config.rateLimit, label(route)).not.toBe(false);
    }
  });

  it('refuses a multipart form whose first part is not the token, on each route that takes files', async () => {
    const uploads = stateChanging.filter((route) => route.config.multipartForm);
    expect(uploads.length).toBeGreaterThan(0);
    // Real things to post to: a route may look its target up before it reads the form.
    const category = await createCategory(t.db);
    const [threadId] = await createThreads(t.db, category.id, administrator.id, 1);
    const resource = await createResource(t.db, { sharer: administrator });
    const target = (url: string) => url.replace(':slug', category.slug).replace(':id', String(url.startsWith('/resources/') ? resource.id : threadId));
    const boundary = 'inventoryboundary';
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nNo token\r\n--${boundary}--\r\n`;
    for (const route of uploads) {
      const response = await reaching(route).postRaw(target(route.url), payload, { 'content-type': `multipart/form-data; boundary=${boundary}` });
      expect(response.statusCode, label(route)).toBe(403);
      expect(response.body, label(route)).toContain(FORM_EXPIRED);
    }
  });

  it('answers hostile input on each, with a valid form token, with no 500', async () => {
    const tokens = { administrator: (await people.administrator.openForm('/settings'))._csrf!, coordinator: (await people.coordinator.openForm('/settings'))._csrf! };
    const hostile = { title: 'a\u0000b', body: '\uD800', email: 'a@finance.gov.au\r\nBcc: x@evil.example', version: '-1', id: '99999999999999999999', reason: 'x'.repeat(100_000) };
    // Signing out is left out: it ends the session the other requests are made in.
    for (const route of stateChanging.filter((candidate) => candidate.url !== '/logout')) {
      const browser = reaching(route);
      const _csrf = route.access === 'coordinator' ? tokens.coordinator : tokens.administrator;
      for (const id of ['sample', '99999999999999999999', '%00']) {
        const response = await browser.postRaw(sampleUrl(route.url, id), encodeForm({ _csrf, ...hostile }));
        expect(response.statusCode, `${label(route)} as ${sampleUrl(route.url, id)}`).toBeLessThan(500);
      }
    }
    // Still signed in at the end, so no route was reached only as a signed-out visitor.
    expect(await isSignedIn(people.administrator)).toBe(true);
    expect(await isSignedIn(people.coordinator)).toBe(true);
  });
});
