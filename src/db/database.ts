import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import { maskUrl, type Config } from '../config.js';
import { ensureDataDir, lockDataDir } from './data-dir.js';
import { startEmbeddedPostgres } from './embedded.js';
import type { DB } from './schema.js';

// int8 (counts, ids) as numbers: no id or count here nears 2^53. Set once, for every pool.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export interface Database {
  db: Kysely<DB>;
  /** What the start-up log says about it, with any password masked. */
  description: string;
  embedded: boolean;
  close(): Promise<void>;
}

type Logger = Pick<FastifyBaseLogger, 'error'>;

// SECURITY.md, the bar item 11: 2 s to connect, 10 s per statement.
const CONNECT_TIMEOUT_MS = 2_000;
const STATEMENT_TIMEOUT_MS = 10_000;
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 15_000;
// With one embedded connection, a burst queues for it; waiting is not a failure to connect.
const EMBEDDED_ACQUIRE_TIMEOUT_MS = 30_000;

export function databaseFromPool(pool: pg.Pool, description: string, embedded: boolean, log: Logger, onClose?: () => Promise<void>): Database {
  pool.on('error', (error) => log.error({ err: error }, 'an idle database connection failed'));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    description,
    embedded,
    async close() {
      await db.destroy();
      await onClose?.();
    },
  };
}

export function serverPool(connectionString: string, max: number): pg.Pool {
  return new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    application_name: 'commons',
  });
}

export function embeddedPool(socketDir: string, socketPort: number): pg.Pool {
  return new pg.Pool({
    host: socketDir,
    port: socketPort,
    user: 'postgres',
    database: 'postgres',
    max: 1,
    connectionTimeoutMillis: EMBEDDED_ACQUIRE_TIMEOUT_MS,
  });
}

/** PostgreSQL at DATABASE_URL, or the embedded one under DATA_DIR (locked to this process). */
export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.databaseUrl) {
    return databaseFromPool(serverPool(config.databaseUrl, config.databasePoolSize), `PostgreSQL at ${maskUrl(config.databaseUrl)}`, false, log);
  }
  ensureDataDir(config.dataDir);
  const unlock = lockDataDir(config.dataDir);
  try {
    const pgdataDir = path.join(config.dataDir, 'pgdata');
    const embedded = await startEmbeddedPostgres({ pgdataDir, socketDir: config.dataDir });
    return databaseFromPool(embeddedPool(embedded.socketDir, embedded.socketPort), `embedded PostgreSQL (PGlite) in ${pgdataDir}`, true, log, async () => {
      await embedded.close();
      unlock();
    });
  } catch (error) {
    unlock();
    throw error;
  }
}
