import { createHmac, randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import Tokens from '@fastify/csrf';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { Forbidden } from '../lib/errors.js';
import { PAGE_MESSAGES } from '../lib/messages.js';
import { siteCookie } from './session.js';

/**
 * Every state change is a POST, and every POST must come from our own pages: its Origin is
 * PUBLIC_URL's (or, where a browser sends none, Sec-Fetch-Site says same-origin) and its body
 * carries a token from the form it was rendered with.
 *
 * A token's secret is never stored: it is an HMAC, under the session secret, of what the token
 * is bound to. For a signed-in member that is the session id, so every new session (sign-in, the
 * end of sign-up, a reset) makes every earlier token useless. For a visitor it is a random value
 * in a cookie of its own, so showing a form writes no session row; the value alone makes no
 * token without the server's key (a signed double-submit cookie).
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const VISITOR_ID = /^[A-Za-z0-9_-]{43}$/;

declare module 'fastify' {
  interface FastifyReply {
    /** A token for a form on this page. */
    generateCsrf(): string;
  }
  interface FastifyRequest {
    /** Throws Forbidden, logged, unless `token` is a form token of this session (or visitor). */
    verifyCsrfToken(token: unknown): void;
  }
  interface FastifyContextConfig {
    /**
     * The route takes a multipart form (file uploads), whose body is not parsed before the
     * handler: its token must be the form's first part, which receiveForm (features/resources/
     * files/upload.ts) checks before it reads a byte of any file. Any other route refuses a
     * multipart body unread, since it has no token to show.
     */
    multipartForm?: boolean;
    /**
     * The route's signed link is its authority (the one-click unsubscribe of RFC 8058, which a
     * mail provider POSTs from its own servers): no Origin and no form token are asked for.
     */
    signedLink?: boolean;
  }
}

export function isMultipart(request: FastifyRequest): boolean {
  return /^multipart\/form-data/i.test(request.headers['content-type'] ?? '');
}

export function isSameOrigin(request: FastifyRequest, publicOrigin: string): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin === publicOrigin;
  return request.headers['sec-fetch-site'] === 'same-origin';
}

/** Who the request's tokens belong to; none for a visitor with no form cookie yet. */
function tokenOwner(request: FastifyRequest, cookieName: string): string | undefined {
  // No session or cookies on a request refused before they were read, and no session once it
  // has been destroyed in this request (signing out).
  const session = request.session as Partial<FastifyRequest['session']> | null | undefined;
  if (typeof session?.get === 'function' && session.get('memberId') !== undefined) return `member:${session.sessionId}`;
  const visitor = request.cookies?.[cookieName];
  return visitor && VISITOR_ID.test(visitor) ? `visitor:${visitor}` : undefined;
}

export default fp<{ config: Config; secrets: string[] }>(
  async (app, { config, secrets }) => {
    const tokens = Tokens();
    const cookie = siteCookie(config, 'commons_form');
    const publicOrigin = config.publicUrl.origin;
    // The newest secret makes tokens; all of them are accepted, as for session cookies.
    const secretFor = (key: string, owner: string) => createHmac('sha256', key).update(owner).digest('base64url');

    app.decorateReply('generateCsrf', function generateCsrf(this: FastifyReply) {
      let owner = tokenOwner(this.request, cookie.name);
      if (owner === undefined) {
        const visitor = randomBytes(32).toString('base64url');
        this.setCookie(cookie.name, visitor, cookie.options);
        // A second form on the same page gets a token for the same cookie.
        this.request.cookies[cookie.name] = visitor;
        owner = `visitor:${visitor}`;
      }
      return tokens.create(secretFor(secrets[0]!, owner));
    });

    app.addHook('onRequest', async (request) => {
      if (SAFE_METHODS.has(request.method) || isSameOrigin(request, publicOrigin) || request.routeOptions.config.signedLink) return;
      request.log.warn({ origin: request.headers.origin ?? null, secFetchSite: request.headers['sec-fetch-site'] ?? null }, 'refused a cross-origin request');
      throw new Forbidden(PAGE_MESSAGES.formExpired);
    });

    app.decorateRequest('verifyCsrfToken', function verifyCsrfToken(this: FastifyRequest, token: unknown) {
      const owner = tokenOwner(this, cookie.name);
      if (owner !== undefined && typeof token === 'string' && secrets.some((key) => tokens.verify(secretFor(key, owner), token))) return;
      this.log.warn({ owner: owner?.split(':')[0] ?? null }, 'refused a request without a valid form token');
      throw new Forbidden(PAGE_MESSAGES.formExpired);
    });

    app.addHook('preHandler', async (request) => {
      if (SAFE_METHODS.has(request.method) || request.routeOptions.config.signedLink) return;
      if (request.routeOptions.config.multipartForm && isMultipart(request)) return;
      request.verifyCsrfToken((request.body as Record<string, unknown> | undefined)?._csrf);
    });

    // A signed-in browser has no use for a visitor's form cookie: dropping it at sign-in means
    // a token from before works neither while signed in nor after signing out.
    app.addHook('onSend', async (request, reply) => {
      if (request.cookies?.[cookie.name] !== undefined && tokenOwner(request, cookie.name)?.startsWith('member:')) reply.clearCookie(cookie.name, cookie.options);
    });
  },
  { name: 'csrf', dependencies: ['session'] },
);
