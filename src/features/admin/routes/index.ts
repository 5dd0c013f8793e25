import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { restrictToRole } from '../../../plugins/access.js';
import agencyRoutes from './agencies.js';
import initiativeTypeRoutes from './initiative-types.js';
import memberRoutes from './members.js';

/**
 * /admin: every route registered here, now or later, is for administrators only (one guard for
 * the scope; test/features/foundation/access.test.ts walks them all as a member).
 */
const adminRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  restrictToRole(app, 'administrator');

  app.get('/admin', async (_request, reply) => reply.view('admin/index', { title: 'Administration' }));

  await app.register(agencyRoutes, { deps });
  await app.register(initiativeTypeRoutes, { deps });
  await app.register(memberRoutes, { deps });
};

export default adminRoutes;
