import formbody from '@fastify/formbody';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import uploads from '../features/resources/files/multipart.js';
import { parseUrlEncoded } from '../lib/forms.js';
import { BODY_LIMIT_BYTES } from '../server-options.js';
import { requireAccess } from './access.js';
import csrf from './csrf.js';
import currentMember from './current-member.js';
import { handleError } from './errors.js';
import rateLimit from './rate-limit.js';
import { secondFactorPolicy } from './second-factor.js';
import session from './session.js';
import type { SiteSettings } from '../site-settings.js';

export interface SiteOptions {
  config: Config;
  db: Kysely<DB>;
  redis: Redis | undefined;
  sessionSecrets: string[];
  now: () => Date;
  /** The settings in force (the re-confirmation period decides who is held to its page). */
  settings: SiteSettings;
}

/**
 * What every page of the site sits behind, in order: our error pages, the page budget, form
 * bodies only (urlencoded, and multipart for the routes that take files), the session, the form
 * token, who is signed in, and members-only by default.
 */
export default fp<SiteOptions>(
  async (site, { config, db, redis, sessionSecrets, now, settings }) => {
    site.setErrorHandler(handleError);
    await site.register(rateLimit, { config, redis });
    // Forms only: the pages post urlencoded bodies, and nothing here reads JSON or plain text.
    site.removeAllContentTypeParsers();
    await site.register(formbody, { bodyLimit: BODY_LIMIT_BYTES, parser: parseUrlEncoded });
    await site.register(uploads, { config });
    await site.register(session, { config, db, secrets: sessionSecrets, now });
    await site.register(csrf, { config, secrets: sessionSecrets });
    await site.register(currentMember, { db, now, settings });
    await site.register(requireAccess);
    await site.register(secondFactorPolicy, { config });
  },
  { name: 'site' },
);
