import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { seedDomainRulesOnce } from '../domain-rules.js';
import emailChangeRoutes from './email-change.js';
import recoveryRoutes from './recovery.js';
import secondStepRoutes from './second-step.js';
import securityRoutes from './security.js';
import settingsRoutes from './settings.js';
import signinRoutes from './signin.js';
import signupRoutes from './signup.js';

/** The membership feature's pages. */
const auth: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  await seedDomainRulesOnce(deps.db, deps.config.allowedEmailDomains);
  // The dummy hash that unknown addresses are checked against, made now with today's settings.
  await deps.hasher.prepare();
  await app.register(signupRoutes, { deps });
  await app.register(signinRoutes, { deps });
  await app.register(recoveryRoutes, { deps });
  await app.register(settingsRoutes, { deps });
  await app.register(emailChangeRoutes, { deps });
  await app.register(securityRoutes, { deps });
  await app.register(secondStepRoutes, { deps });
};

export default auth;
