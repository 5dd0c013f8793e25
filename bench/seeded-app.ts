import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import pg from 'pg';
import { loadConfig, maskUrl } from '../src/config.js';
import { databaseFromPool, openDatabase, serverPool, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { seedForum, type ForumSize, type SeededForum } from './forum-seed.js';
import { startServer, type ChildServer } from './processes.js';
import { APP_ENV, APP_NODE_ARGS } from './signed-in.js';
import { freePort } from './site.js';

/**
 * A seeded forum (bench/forum-seed.ts) on a fresh database, and the real app (dist/src/server.js)
 * started on it in a process of its own, for benches that measure the app from outside over time.
 */

export interface SeededDatabase {
  /** DATABASE_URL for the app, or nothing for the embedded database in its DATA_DIR. */
  env: Record<string, string>;
  label: string;
  /** The fresh database's name on the server (for pg_stat_activity), or undefined when embedded. */
  databaseName: string | undefined;
  forum: SeededForum;
  drop(): Promise<void>;
}

/** A new commons_bench_… database on the server at `serverUrl`, and how to drop it. */
export async function freshServerDatabase(serverUrl: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `commons_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

/**
 * A fresh database seeded with `size`: on the PostgreSQL server at `serverUrl` (a new
 * commons_bench_… database that drop() removes), or, without it, embedded PGlite in `dataDir`.
 */
export async function seededDatabase(serverUrl: string | undefined, dataDir: string, size: ForumSize, progress: (message: string) => void): Promise<SeededDatabase> {
  let database: Database;
  let env: Record<string, string> = {};
  let drop = async () => {};
  let label: string;
  let databaseName: string | undefined;
  if (serverUrl) {
    const fresh = await freshServerDatabase(serverUrl);
    database = databaseFromPool(serverPool(fresh.url, 2), fresh.name, false, { error: () => undefined });
    env = { DATABASE_URL: fresh.url };
    label = `PostgreSQL server, fresh database ${fresh.name} at ${maskUrl(serverUrl)}`;
    databaseName = fresh.name;
    drop = fresh.drop;
  } else {
    database = await openDatabase(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }), { error: () => undefined });
    label = 'embedded PGlite in a fresh DATA_DIR';
  }
  let forum: SeededForum;
  try {
    await migrateToLatest(database.db);
    forum = await seedForum(database.db, size, progress);
  } catch (error) {
    await database.close();
    await drop();
    throw error;
  }
  await database.close();
  return { env, label, databaseName, forum, drop };
}

/** The app as the benches run it: loopback only, quiet logs, the seed's cheap hashes, posting limits lifted. */
export async function startBenchApp(options: { dataDir: string; env: Record<string, string>; output: Writable; nodeArgs?: string[]; ipc?: boolean; readyLimitMs?: number }): Promise<ChildServer> {
  const origin = `http://127.0.0.1:${await freePort()}`;
  return startServer({
    script: new URL('../src/server.js', import.meta.url),
    nodeArgs: [...APP_NODE_ARGS, ...(options.nodeArgs ?? [])],
    env: {
      ...APP_ENV,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: new URL(origin).port,
      PUBLIC_URL: origin,
      DATA_DIR: options.dataDir,
      TMPDIR: os.tmpdir(),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_TRUSTED: '127.0.0.0/8',
      RATE_LIMIT_POSTS_PER_HOUR: '100000',
      RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '100000',
      RATE_LIMIT_SIGNIN_ATTEMPTS_PER_HOUR: '100000',
      RATE_LIMIT_REACTIONS_PER_HOUR: '100000',
      // The seeded hashes' settings, so signing in does not rehash.
      PASSWORD_HASH_MEMORY_KIB: '1024',
      PASSWORD_HASH_TIME_COST: '1',
      ...options.env,
    },
    origin,
    readyPath: '/readyz',
    output: options.output,
    ...(options.ipc ? { ipc: true } : {}),
    ...(options.readyLimitMs ? { readyLimitMs: options.readyLimitMs } : {}),
  });
}
