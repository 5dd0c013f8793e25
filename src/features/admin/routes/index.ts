import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { restrictToRole } from '../../../plugins/access.js';
import { requireRecentAuthentication } from '../../../plugins/second-factor.js';
import { listOverdueAttestations } from '../../coordinators/queries.js';
import { quarterStart } from '../../coordinators/service.js';
import agencyRoutes from './agencies.js';
import auditRoutes from './audit.js';
import categoryRoutes from './categories.js';
import domainRuleRoutes from './domain-rules.js';
import initiativeTypeRoutes from './initiative-types.js';
import mailRoutes from './mail.js';
import memberRoutes from './members.js';
import settingRoutes from './settings.js';
import usageRoutes from './usage.js';

/**
 * /admin: every route registered here, now or later, is for administrators only. The scope's
 * guards are the first lines below and nowhere else: the role, then any further check every
 * /admin request must pass (a second factor, a recent password check) as one more onRequest hook
 * on `app` beside it. test/features/foundation/access.test.ts walks every route as a visitor, a
 * member, a moderator and an administrator.
 */
const adminRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  restrictToRole(app, 'administrator');
  // Every change here needs a password or factor check within the last ten minutes (step-up).
  requireRecentAuthentication(app, deps.now, '/admin');

  app.get('/admin', async (_request, reply) => {
    const overdueAttestations = await listOverdueAttestations(deps.db, quarterStart(deps.now(), deps.settings.current.TIME_ZONE));
    return reply.view('admin/index', { title: 'Administration', overdueAttestations });
  });

  await app.register(domainRuleRoutes, { deps });
  await app.register(agencyRoutes, { deps });
  await app.register(categoryRoutes, { deps });
  await app.register(initiativeTypeRoutes, { deps });
  await app.register(memberRoutes, { deps });
  await app.register(mailRoutes, { deps });
  await app.register(auditRoutes, { deps });
  await app.register(settingRoutes, { deps });
  await app.register(usageRoutes, { deps });
};

export default adminRoutes;
