import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply } from 'fastify';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import underPressure from '@fastify/under-pressure';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { readOrCreateSecret } from './db/data-dir.js';
import type { Database } from './db/database.js';
import type { DB } from './db/schema.js';
import authRoutes, { currentMember } from './features/auth/routes/index.js';
import contactRoutes from './features/contact/routes.js';
import devMailRoutes from './features/dev-mail/routes.js';
import healthRoutes from './features/health/routes.js';
import pageRoutes from './features/pages/routes.js';
import { MailWorker } from './jobs/mail-worker.js';
import { scheduleMaintenance } from './jobs/maintenance.js';
import { BadRequest, HttpError } from './lib/errors.js';
import { parseUrlEncoded } from './lib/forms.js';
import { loggerOptions } from './lib/logger.js';
import { PAGE_MESSAGES } from './lib/messages.js';
import { STATIC_DIR } from './lib/paths.js';
import { loadTemplates } from './lib/templates.js';
import type { MailTransport } from './mail/transport.js';
import { markPublic, requireAccess, routeInventory } from './plugins/access.js';
import clientAddress from './plugins/client-address.js';
import csrf from './plugins/csrf.js';
import { errorPageData, handleError, registerErrorPages } from './plugins/errors.js';
import rateLimit from './plugins/rate-limit.js';
import securityHeaders, { securityHeadersWithoutHooks } from './plugins/security-headers.js';
import session from './plugins/session.js';
import view, { renderPage } from './plugins/view.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Kysely<DB>;
    mailWorker: MailWorker;
  }
}

export interface AppDependencies {
  config: Config;
  database: Database;
  transport: MailTransport;
  redis?: Redis;
  /** Where logs go (tests capture them); stdout otherwise. */
  logStream?: DestinationStream;
  /** Run the mail worker and maintenance in this process (the default). */
  runJobs?: boolean;
  /** More routes inside the site's scope (session, CSRF, access guard): tests add probes here. */
  extraSiteRoutes?: FastifyPluginAsync;
  /** The clock sessions and sign-in locks use; tests move it forward. */
  now?: () => Date;
}

// SECURITY.md, the bar item 12.
const BODY_LIMIT_BYTES = 256 * 1024;
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_EVENT_LOOP_DELAY_MS = 1000;
const INVALID_QUERY = Symbol('invalid query string');

/** Trust the nearest `hops` proxies, as proxy-addr counts them. */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

export async function buildApp({ config, database, transport, redis, logStream, runJobs = true, extraSiteRoutes, now = () => new Date() }: AppDependencies): Promise<FastifyInstance> {
  const templates = loadTemplates();
  const app = Fastify({
    logger: loggerOptions(config.logLevel, logStream),
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Request ids are ours: an id from outside could be forged to confuse the logs.
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    // A URL the router cannot decode (`/verify/abc%`) gets our 400 page, with our headers.
    // Fastify's bare reply here has none of our decorators: the page is rendered directly.
    frameworkErrors: (error, _request, reply) => {
      const page = errorPageData(400, error.code === 'FST_ERR_BAD_URL' ? PAGE_MESSAGES.invalidEncoding : undefined);
      const plain = reply as FastifyReply;
      const html = renderPage(templates, config, plain, 'errors/error', page);
      return plain.code(400).headers(securityHeadersWithoutHooks(config)).type('text/html; charset=utf-8').send(html);
    },
    routerOptions: {
      ignoreTrailingSlash: false,
      maxParamLength: 200,
      // Query strings are decoded as strictly as form bodies (invalid UTF-8 is a 400).
      querystringParser: (query) => {
        try {
          return parseUrlEncoded(query);
        } catch {
          return { [INVALID_QUERY]: true };
        }
      },
    },
  });

  app.decorate('config', config);
  app.decorate('db', database.db);
  const mailWorker = new MailWorker({ db: database.db, transport, maxAttempts: config.mail.maxAttempts, pollSeconds: config.mail.pollSeconds, log: app.log });
  app.decorate('mailWorker', mailWorker);

  await app.register(routeInventory);
  await app.register(clientAddress);
  await app.register(view, { config, templates });
  await app.register(securityHeaders, { config });
  await app.register(underPressure, {
    maxEventLoopDelay: MAX_EVENT_LOOP_DELAY_MS,
    retryAfter: 10,
    pressureHandler: () => {
      throw new HttpError(503, undefined, { 'retry-after': '10' });
    },
  });
  registerErrorPages(app);

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

  // Outside the session's scope: health checks and static files never touch the database.
  await app.register(healthRoutes, { db: database.db });
  await app.register(async (files) => {
    markPublic(files);
    await files.register(fastifyStatic, {
      root: STATIC_DIR,
      prefix: '/static/',
      maxAge: '1h',
      index: false,
      list: false,
      dotfiles: 'deny',
      decorateReply: false,
    });
  });

  await app.register(async (site) => {
    site.setErrorHandler(handleError);
    await site.register(rateLimit, { config, redis });
    // Forms only: the pages post urlencoded bodies, and nothing here reads JSON or plain text.
    site.removeAllContentTypeParsers();
    await site.register(formbody, { bodyLimit: BODY_LIMIT_BYTES, parser: parseUrlEncoded });
    await site.register(session, { config, db: database.db, secrets: config.sessionSecrets ?? [readOrCreateSecret(config.dataDir)], now });
    await site.register(csrf, { config });
    await site.register(currentMember, { db: database.db, now });
    await site.register(requireAccess);

    await site.register(pageRoutes, { config });
    await site.register(authRoutes, { config, redis, now });
    await site.register(contactRoutes, { config });
    if (config.devMailbox) await site.register(devMailRoutes, { config });
    if (extraSiteRoutes) await site.register(extraSiteRoutes);
  });

  if (runJobs) {
    let stopMaintenance: (() => void) | undefined;
    app.addHook('onReady', async () => {
      mailWorker.start();
      stopMaintenance = scheduleMaintenance(database.db, config.mail.retentionDays, app.log);
    });
    // Timers stop as shutdown begins; the worker once requests have drained.
    app.addHook('preClose', async () => stopMaintenance?.());
    app.addHook('onClose', async () => {
      await mailWorker.stop();
      await transport.close();
    });
  }
  return app;
}
