import fp from 'fastify-plugin';
import csrfProtection from '@fastify/csrf-protection';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { Forbidden } from '../lib/errors.js';
import { PAGE_MESSAGES } from '../lib/messages.js';

/**
 * Every state change is a POST, and every POST must come from our own pages: its Origin is
 * PUBLIC_URL's (or, where a browser sends none, Sec-Fetch-Site says same-origin) and its body
 * carries the session-bound token that the form was rendered with.
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSameOrigin(request: FastifyRequest, publicOrigin: string): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin === publicOrigin;
  return request.headers['sec-fetch-site'] === 'same-origin';
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    await app.register(csrfProtection, { sessionPlugin: '@fastify/session' });
    const publicOrigin = config.publicUrl.origin;

    app.addHook('onRequest', async (request) => {
      if (SAFE_METHODS.has(request.method) || isSameOrigin(request, publicOrigin)) return;
      request.log.warn({ origin: request.headers.origin ?? null, secFetchSite: request.headers['sec-fetch-site'] ?? null }, 'refused a cross-origin request');
      throw new Forbidden(PAGE_MESSAGES.formExpired);
    });

    // A refused token reaches the error handler as FST_CSRF_* (plugins/errors.ts).
    app.addHook('preHandler', (request, reply, done) => {
      if (SAFE_METHODS.has(request.method)) done();
      else app.csrfProtection(request, reply, done);
    });
  },
  { name: 'csrf', dependencies: ['session'] },
);
