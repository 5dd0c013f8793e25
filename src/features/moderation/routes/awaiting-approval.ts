import type { FastifyPluginAsync } from 'fastify';
import { redirectTo } from '../../../lib/next-path.js';
import { AWAITING_APPROVAL_PAGE } from '../../../plugins/access.js';

/**
 * The one page a member awaiting a moderator's approval can see once signed in (the site's
 * guard sends them here from every other). Outside /mod: it is a member's page, not staff's.
 */
const awaitingApprovalRoutes: FastifyPluginAsync = async (app) => {
  app.get(AWAITING_APPROVAL_PAGE, async (request, reply) => {
    if (!request.member!.awaitingApproval) return redirectTo(reply, '/');
    return reply.view('moderation/awaiting-approval', { title: 'Your membership is waiting for a moderator', csrfToken: reply.generateCsrf() });
  });
};

export default awaitingApprovalRoutes;
