import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { restrictToRole } from '../../../plugins/access.js';
import approvalRoutes from './approvals.js';
import reviewRoutes from './review.js';
import moderationThreadRoutes from './threads.js';
import logRoutes from './log.js';
import memberRoutes from './members.js';

/**
 * /mod: every route registered here, now or later, is for moderators and administrators (one
 * guard for the scope; test/features/foundation/access.test.ts walks them all as a visitor, a
 * member and staff). A moderator's action on a thread or post is a /mod route too, whichever
 * page its button is on, so no action can be left outside the guard.
 */
const moderationRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, options) => {
  restrictToRole(app, 'moderator');
  await app.register(reviewRoutes, options);
  await app.register(moderationThreadRoutes, options);
  await app.register(approvalRoutes, options);
  await app.register(memberRoutes, options);
  await app.register(logRoutes, options);
};

export default moderationRoutes;
