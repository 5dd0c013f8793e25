import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { listenToChannel } from './db/listener.js';
import { createDeps } from './deps.js';
import { answerAccountRequests } from './features/auth/account-requests.js';
import type { ConcurrencyLimit } from './features/auth/password-hashing.js';
import adminRoutes from './features/admin/routes/index.js';
import coordinatorRoutes from './features/coordinators/routes.js';
import moderationRoutes from './features/moderation/routes/index.js';
import flagRoutes from './features/moderation/routes/flags.js';
import awaitingApprovalRoutes from './features/moderation/routes/awaiting-approval.js';
import eligibilityRoutes from './features/eligibility/routes.js';
import { deactivateBouncedMember } from './features/eligibility/bounces.js';
import { sendReconfirmationReminders } from './features/eligibility/reminders.js';
import ownModerationRoutes from './features/moderation/routes/own.js';
import authRoutes from './features/auth/routes/index.js';
import contactRoutes from './features/contact/routes.js';
import devMailRoutes from './features/dev-mail/routes.js';
import discussionRoutes from './features/discussions/routes/index.js';
import healthRoutes from './features/health/routes.js';
import { sendDueDigests, type DigestSchedule } from './features/notifications/digest.js';
import { sendDueNotificationEmails } from './features/notifications/email.js';
import notificationRoutes from './features/notifications/routes.js';
import { unsubscribeTokens as makeUnsubscribeTokens } from './features/notifications/unsubscribe.js';
import memberRoutes from './features/members/routes.js';
import pageRoutes from './features/pages/routes.js';
import fileRoutes from './features/resources/files/routes.js';
import resourceRoutes from './features/resources/routes/index.js';
import searchRoutes from './features/search/routes.js';
import { runJobsWithApp } from './jobs/index.js';
import { MailWorker } from './jobs/mail-worker.js';
import { loadTemplates } from './lib/templates.js';
import type { MailTransport } from './mail/transport.js';
import { routeInventory } from './plugins/access.js';
import clientAddress from './plugins/client-address.js';
import { registerErrorPages } from './plugins/errors.js';
import overload from './plugins/overload.js';
import requestTarget from './plugins/request-target.js';
import securityHeaders from './plugins/security-headers.js';
import site from './plugins/site.js';
import staticFiles from './plugins/static-files.js';
import view from './plugins/view.js';
import { serverOptions } from './server-options.js';
import { SITE_SETTINGS_CHANNEL, SiteSettings } from './site-settings.js';

declare module 'fastify' {
  interface FastifyInstance {
    mailWorker: MailWorker;
  }
}

export interface AppDependencies {
  config: Config;
  database: Database;
  transport: MailTransport;
  /** What session cookies are signed with (SESSION_SECRET, or the data directory's own). */
  sessionSecrets: string[];
  redis?: Redis;
  /** Where logs go (tests capture them); stdout otherwise. */
  logStream?: DestinationStream;
  /** Run the mail worker and maintenance in this process (the default). */
  runJobs?: boolean;
  /** More routes inside the site's scope (session, CSRF, access guard): tests add probes here. */
  extraSiteRoutes?: FastifyPluginAsync;
  /** The clock sessions and sign-in locks use; tests move it forward. */
  now?: () => Date;
  /** The password-hashing slots and queue (tests hold them); made from the config otherwise. */
  hashingLimit?: ConcurrencyLimit;
}

export async function buildApp({ config, database, transport, sessionSecrets, redis, logStream, runJobs = true, extraSiteRoutes, now = () => new Date(), hashingLimit }: AppDependencies): Promise<FastifyInstance> {
  const { db } = database;
  const templates = loadTemplates();
  const settings = new SiteSettings(db, config.site, now);
  const unsubscribeTokens = makeUnsubscribeTokens(sessionSecrets);
  const app = Fastify(serverOptions(config, templates, settings, logStream));
  // What other instances change in the settings, heard as it commits. One process on the embedded
  // database is the only instance there is.
  if (config.databaseUrl && !database.embedded) {
    const listener = listenToChannel(config.databaseUrl, SITE_SETTINGS_CHANNEL, { onNotification: () => settings.changed(), onGap: () => settings.changed() }, app.log);
    app.addHook('onClose', () => listener.close());
  }
  // Per process: its first poll works out again the digests of members on the site's time zone,
  // which may have changed while it was stopped.
  const digestSchedule: DigestSchedule = {};
  const mailWorker = new MailWorker({
    db,
    transport,
    maxAttempts: config.mail.maxAttempts,
    pollSeconds: config.mail.pollSeconds,
    log: app.log,
    // Sign-up emails follow the sign-up settings: read again, if stale, before each batch.
    compose: async (limit) => {
      await settings.refreshIfStale();
      return answerAccountRequests(deps, limit);
    },
    // Notification emails that have come due, and the daily digests, are composed after each
    // batch is sent, so the morning's digests never hold up a password reset already queued.
    composeNotifications: async (limit) => {
      await settings.refreshIfStale();
      const notificationDeps = { ...deps, unsubscribeTokens, logError: (error: unknown, message: string) => app.log.error({ err: error }, message) };
      // Notification emails or digests that cannot be composed (their transaction rolled back, so
      // they are tried again next poll) must not hold up the emails already queued, password
      // resets among them: logged, and the batch goes on.
      const notifications = await sendDueNotificationEmails(notificationDeps, limit).catch((error: unknown) => {
        app.log.error({ err: error }, 'the notification emails could not be composed');
        return 0;
      });
      const digests = await sendDueDigests(notificationDeps, limit, digestSchedule).catch((error: unknown) => {
        app.log.error({ err: error }, 'the daily digests could not be composed');
        return 0;
      });
      return Math.max(notifications, digests);
    },
    onRecipientRefused: deactivateBouncedMember,
  });
  app.decorate('mailWorker', mailWorker);
  const deps = createDeps({ db, config, templates, redis, now, hashingLimit, settings, nudgeMail: () => mailWorker.nudge(), warn: (error, message) => app.log.warn({ err: error }, message) });

  // Infrastructure, for every request.
  await app.register(routeInventory);
  await app.register(clientAddress);
  await app.register(view, { config, settings, templates, now });
  await app.register(securityHeaders, { config });
  await app.register(overload, { config });
  registerErrorPages(app);
  await app.register(requestTarget, { config });
  // Outside the site's scope: health checks and static files never touch a session.
  await app.register(healthRoutes, { db });
  await app.register(staticFiles);

  // The site: its infrastructure (plugins/site.ts), then the features.
  await app.register(async (features) => {
    await features.register(site, { config, db, redis, sessionSecrets, now, settings });
    // Before any page reads a setting administrators may change (site-settings.ts).
    features.addHook('onRequest', () => settings.refreshIfStale());
    await features.register(pageRoutes, { deps });
    await features.register(authRoutes, { deps });
    await features.register(contactRoutes, { deps });
    await features.register(discussionRoutes, { deps });
    await features.register(resourceRoutes, { deps });
    await features.register(memberRoutes, { deps });
    await features.register(searchRoutes, { deps });
    await features.register(notificationRoutes, { deps, unsubscribeTokens });
    await features.register(flagRoutes, { deps });
    await features.register(moderationRoutes, { deps });
    await features.register(awaitingApprovalRoutes);
    await features.register(eligibilityRoutes, { deps });
    await features.register(ownModerationRoutes, { deps });
    await features.register(adminRoutes, { deps });
    await features.register(coordinatorRoutes, { deps });
    await features.register(fileRoutes, { deps });
    if (config.devMailbox) await features.register(devMailRoutes, { config });
    if (extraSiteRoutes) await features.register(extraSiteRoutes);
  });

  app.addHook('onClose', async () => deps.fileStore.close());
  if (runJobs) runJobsWithApp(app, { db, fileStore: deps.fileStore, mailWorker, transport, mailRetentionDays: config.mail.retentionDays, remindToReconfirm: async () => {
        await settings.refreshIfStale();
        return sendReconfirmationReminders(deps);
      } });
  return app;
}
