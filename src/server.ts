import closeWithGrace from 'close-with-grace';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { InvalidConfig, loadConfig, maskUrl } from './config.js';
import { DataDirUnusable, sessionSecretsFor } from './db/data-dir.js';
import { DatabaseUnreachable, openDatabase, waitForDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { prettyLogStream } from './lib/logger.js';
import { createMailTransport } from './mail/transport.js';

// Requests get 10 s to finish, then their connections are cut; the mail worker then gets the
// rest to finish its email in hand (SECURITY.md, the bar item 12). Past it all the process exits.
const REQUEST_DRAIN_MS = 10_000;
const SHUTDOWN_GRACE_MS = 40_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof InvalidConfig) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logStream = config.logFormat === 'pretty' ? prettyLogStream() : undefined;
  const log = pino({ level: config.logLevel, timestamp: pino.stdTimeFunctions.isoTime }, logStream);
  for (const warning of config.warnings) log.warn(warning);

  let database;
  try {
    database = await openDatabase(config, log);
  } catch (error) {
    if (error instanceof DataDirUnusable) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  try {
    await waitForDatabase(database, config.databaseWaitSeconds, log);
  } catch (error) {
    if (!(error instanceof DatabaseUnreachable)) throw error;
    log.error({ database: error.database, error: error.reason }, 'could not reach the database');
    await database.close();
    process.exit(1);
  }
  if (config.migrateOnStart) {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) log.info({ migrations: applied }, 'applied database migrations');
  }

  const transport = createMailTransport(config);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 }) : undefined;
  redis?.on('error', (error) => log.warn({ err: error }, 'Redis is unreachable; rate limits are not being counted'));

  const app = await buildApp({ config, database, transport, sessionSecrets: sessionSecretsFor(config), redis, logStream });

  closeWithGrace({ delay: SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an uncaught error');
    else app.log.info({ signal }, 'shutting down');
    // In order: stop accepting and drain requests, stop the worker (onClose), then the database.
    const cutStragglers = setTimeout(() => {
      app.log.warn('requests still open after 10 s: closing their connections');
      app.server.closeAllConnections();
    }, REQUEST_DRAIN_MS);
    try {
      await app.close();
    } finally {
      clearTimeout(cutStragglers);
      redis?.disconnect();
      await database.close();
    }
    app.log.info('stopped');
  });

  await app.listen({ host: config.host, port: config.port });
  // Start-up leaves garbage that an idle site may not allocate enough to collect for hours: on
  // an empty DATA_DIR, a whole second PGlite (initdb's) with its 128 MB WebAssembly memory. One
  // full collection now returns it (BENCHMARKS.md, "The embedded database's memory"); `gc` is
  // there when node runs with --expose-gc, as npm start runs it.
  (globalThis as { gc?: () => void }).gc?.();
  app.log.info(
    {
      url: config.publicUrl.origin,
      env: config.env,
      database: database.description,
      mail: transport.description,
      redis: config.redisUrl ? maskUrl(config.redisUrl) : 'none (rate limits counted in memory)',
    },
    `Commons is ready at ${config.publicUrl.origin}`,
  );
}

await main();
