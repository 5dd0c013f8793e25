import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../../config.js';
import { addressList } from '../../../lib/address-list.js';
import { memoryCounters, redisCounters } from '../../../lib/counters.js';
import { parseWorkEmail } from '../email-address.js';
import type { AuthContext } from '../context.js';
import currentMember from '../current-member.js';
import { seedDomainRulesOnce } from '../domain-rules.js';
import { PasswordHasher } from '../password-hashing.js';
import recoveryRoutes from './recovery.js';
import settingsRoutes from './settings.js';
import signinRoutes from './signin.js';
import signupRoutes from './signup.js';

export interface AuthOptions {
  config: Config;
  redis: Redis | undefined;
  now: () => Date;
}

/** The membership feature: who is signed in (for the whole site), and its pages. */
const auth: FastifyPluginAsync<AuthOptions> = async (app, { config, redis, now }) => {
  await seedDomainRulesOnce(app.db, config.allowedEmailDomains);
  const hasher = new PasswordHasher(config.passwordHash);
  // The dummy hash that unknown addresses are checked against, made now with today's settings.
  await hasher.prepare();
  const ctx: AuthContext = {
    db: app.db,
    config,
    templates: app.templates,
    hasher,
    counters: redis ? redisCounters(redis, (error) => app.log.warn({ err: error }, 'Redis is unreachable; sign-in limits are not being counted')) : memoryCounters(() => now().getTime()),
    nudgeMail: () => app.mailWorker.nudge(),
    now,
    isTrusted: addressList(config.rateLimit.trusted),
    adminEmails: new Set(config.adminEmails.flatMap((email) => {
      const parsed = parseWorkEmail(email);
      return parsed.ok ? [parsed.canonical] : [];
    })),
  };
  await app.register(signupRoutes, { ctx });
  await app.register(signinRoutes, { ctx });
  await app.register(recoveryRoutes, { ctx });
  await app.register(settingsRoutes, { ctx });
};

export { currentMember };
export default auth;
