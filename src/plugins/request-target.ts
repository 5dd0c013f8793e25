import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { BadRequest } from '../lib/errors.js';
import { PAGE_MESSAGES } from '../lib/messages.js';

/** Set by the query-string parser (server-options.ts) on a query it could not decode. */
export const INVALID_QUERY = Symbol('invalid query string');

/** Requests whose target no page of ours answers, refused before anything else looks at them. */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    app.addHook('onRequest', async (request, reply) => {
      // Only origin-form request targets (`GET /path`): an absolute URL in the request line is
      // a proxy request, and no page of ours answers one.
      if (!request.url.startsWith('/')) throw new BadRequest();
      if ((request.query as Record<symbol, unknown>)[INVALID_QUERY]) throw new BadRequest(PAGE_MESSAGES.invalidEncoding);
      // In development the site has one name (PUBLIC_URL's), so same-origin checks hold when
      // someone types localhost instead of 127.0.0.1. Concatenated, not resolved: `//evil.example`
      // stays a path on this site.
      if (config.env === 'development' && request.host !== config.publicUrl.host) {
        return reply.redirect(`${config.publicUrl.origin}${request.url}`, 308);
      }
    });
  },
  { name: 'request-target' },
);
