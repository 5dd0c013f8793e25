import type { FastifyPluginAsync } from 'fastify';
import { HttpError } from '../../src/lib/errors.js';

/** The secret a failing probe throws with: no page may ever show it. */
export const PROBE_SECRET = 'secret internal detail';

/**
 * Routes that fail on purpose, for the error pages: a fault (500), a pool with no free
 * connection (what pg-pool throws past connectionTimeoutMillis), a statement past its time limit
 * and an overload (503).
 * Pass as buildTestApp's `extraSiteRoutes`.
 */
export const failingProbes: FastifyPluginAsync = async (site) => {
  const config = { access: 'public' as const };
  site.get('/test/fails', { config }, async () => {
    throw new Error(PROBE_SECRET);
  });
  site.get('/test/pool-busy', { config }, async () => {
    throw new Error('timeout exceeded when trying to connect');
  });
  // What pg throws when a statement outlasts statement_timeout.
  site.get('/test/statement-timeout', { config }, async () => {
    throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
  });
  site.get('/test/busy', { config }, async () => {
    throw new HttpError(503, undefined, { 'retry-after': '5' });
  });
};
