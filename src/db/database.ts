import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely, PostgresDialect, sql } from 'kysely';
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

/** The database did not answer within the wait, or refused us in a way waiting cannot fix. */
export class DatabaseUnreachable extends Error {
  constructor(readonly database: string, readonly reason: string) {
    super(`Could not reach ${database}: ${reason}`);
  }
}

const RETRY_INTERVAL_MS = 1_000;

// The server answered, and no wait will change its answer: a wrong password or role (class 28),
// a database that does not exist (3D000). "Starting up" (57P03) and network errors are retried.
function isFinalRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000');
}

/**
 * Start-up waits up to `seconds` for the database to answer, so a container started beside its
 * database does not crash-loop; one line says it is waiting, and whoever gives up says why.
 */
export async function waitForDatabase(database: Database, seconds: number, log: Pick<FastifyBaseLogger, 'warn'>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await sql`select 1`.execute(database.db);
      return;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (isFinalRefusal(error) || Date.now() + RETRY_INTERVAL_MS > deadline) throw new DatabaseUnreachable(database.description, reason);
      if (attempt === 1) log.warn({ database: database.description, error: reason, waitSeconds: seconds }, 'waiting for the database');
      await sleep(RETRY_INTERVAL_MS);
    }
  }
}

// SECURITY.md, the bar item 11: 2 s to connect, 10 s per statement.
const CONNECT_TIMEOUT_MS = 2_000;
const STATEMENT_TIMEOUT_MS = 10_000;
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 15_000;
// With one embedded connection, a burst queues for it; waiting is not a failure to connect.
const EMBEDDED_ACQUIRE_TIMEOUT_MS = 30_000;

export function databaseFromPool(pool: pg.Pool, description: string, embedded: boolean, log: Logger, onClose?: () => Promise<void>): Database {
  pool.on('error', (error) => log.error({ err: error }, 'an idle database connection failed'));
  // A connection lost while checked out (PostgreSQL crashed or restarted mid-request) emits
  // 'error' on its client, and pg-pool listens only while the client is idle: unheard, the
  // event is an uncaught exception that takes the whole process down. The query in flight is
  // rejected with the same error, and a later one with "not queryable", so the request that
  // held the client answers for it; pg-pool drops the broken client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
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

// Texts named so far, shared by every connection. Each connection keeps a plan for each name it
// has run until it closes (the thread page's takes about 300 KB of the backend's memory), so
// the names are capped: queries whose text varies (an IN list of any length) stop being named
// once the cap is reached, and a bulk insert with hundreds of values never is.
const MAX_NAMED_STATEMENTS = 500;
const MAX_NAMED_PARAMETERS = 100;
const statementNames = new Map<string, string>();
let namesGiven = 0;

function statementName(text: string, parameterCount: number): string | undefined {
  if (parameterCount === 0 || parameterCount > MAX_NAMED_PARAMETERS) return undefined;
  const known = statementNames.get(text);
  if (known !== undefined || statementNames.size >= MAX_NAMED_STATEMENTS) return known;
  return giveName(text);
}

function giveName(text: string): string {
  namesGiven += 1;
  const name = `commons_${namesGiven}`;
  statementNames.set(text, name);
  return name;
}

// After a migration changes the type of a column a statement returns, every connection that
// prepared it refuses to run it again. The statement fails once; the text then gets a new name,
// so each connection prepares it afresh instead of failing until it closes.
function isStalePlan(error: unknown): boolean {
  return (error as { code?: unknown }).code === '0A000' && /cached plan must not change result type/.test(String((error as Error).message));
}

/**
 * A connection that prepares each parameterised statement once and then only binds and runs
 * it. Unnamed, PostgreSQL parses and plans every query afresh, and for the pages here planning
 * cost more than running (the posts of a thread page: 0.66 ms to plan, 0.5–0.9 ms to run);
 * named, it plans a few times, then keeps a generic plan when that costs no more. A query
 * without parameters (migrations, `begin`, `commit`) stays on the simple protocol, which
 * allows several statements in one text.
 */
class PreparingClient extends pg.Client {
  // pg.Client's overloads are many; this one forwards whatever it is given.
  override query(...args: unknown[]): any {
    const [text, values] = args;
    const name = typeof text === 'string' && Array.isArray(values) ? statementName(text, values.length) : undefined;
    const forward = super.query as (...forwarded: unknown[]) => unknown;
    if (name === undefined) return forward.apply(this, args);
    const result = forward.call(this, { name, text, values }, ...args.slice(2));
    if (!(result instanceof Promise)) return result;
    return result.catch((error: unknown) => {
      if (isStalePlan(error) && statementNames.get(text as string) === name) giveName(text as string);
      throw error;
    });
  }
}

export function serverPool(connectionString: string, max: number, prepareStatements = true): pg.Pool {
  return new pg.Pool({
    ...(prepareStatements ? { Client: PreparingClient } : {}),
    connectionString,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    application_name: 'commons',
  });
}

export function embeddedPool(socketDir: string, socketPort: number, prepareStatements = true): pg.Pool {
  const pool = new pg.Pool({
    ...(prepareStatements ? { Client: PreparingClient } : {}),
    host: socketDir,
    port: socketPort,
    user: 'postgres',
    database: 'postgres',
    max: 1,
    connectionTimeoutMillis: EMBEDDED_ACQUIRE_TIMEOUT_MS,
  });
  // PGlite is one backend for every connection the socket takes: statements a closed
  // connection prepared are still there, and a new one preparing the same name would be
  // refused. Each new connection starts by dropping them (it runs before any other query).
  // A failure here means the connection itself is broken, which its next query reports.
  if (prepareStatements) pool.on('connect', (client) => void client.query('deallocate all').catch(() => undefined));
  return pool;
}

/** PostgreSQL at DATABASE_URL, or the embedded one under DATA_DIR (locked to this process). */
export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.databaseUrl) {
    return databaseFromPool(serverPool(config.databaseUrl, config.databasePoolSize, config.databasePreparedStatements), `PostgreSQL at ${maskUrl(config.databaseUrl)}`, false, log);
  }
  ensureDataDir(config.dataDir);
  const unlock = lockDataDir(config.dataDir);
  try {
    const pgdataDir = path.join(config.dataDir, 'pgdata');
    const embedded = await startEmbeddedPostgres({ pgdataDir, socketDir: config.dataDir });
    return databaseFromPool(embeddedPool(embedded.socketDir, embedded.socketPort, config.databasePreparedStatements), `embedded PostgreSQL (PGlite) in ${pgdataDir}`, true, log, async () => {
      await embedded.close();
      unlock();
    });
  } catch (error) {
    unlock();
    throw error;
  }
}
