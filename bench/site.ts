import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig, maskUrl, type Config } from '../src/config.js';
import { sessionSecretsFor } from '../src/db/data-dir.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { DB } from '../src/db/schema.js';
import { createMailTransport, type MailTransport } from '../src/mail/transport.js';

/**
 * The real app for a benchmark, as src/server.ts builds it (mail worker included), on a fresh
 * database, listening on 127.0.0.1 only: embedded PGlite by default; with DATABASE_URL, a fresh
 * database on that server, dropped by close(). Every bench in this folder starts one.
 */

export const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** A whole number from the environment, within bounds. */
export function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

/** A port nobody listens on right now (the app takes it a moment later). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Warnings and errors the app logs, counted and passed on to stderr. */
export class LogWatch extends Writable {
  readonly counts = { warn: 0, error: 0 };
  readonly messages = new Map<string, number>();

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      process.stderr.write(`${line}\n`);
      let entry: { level?: number; msg?: string; err?: { message?: string } };
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      const level = Number(entry.level);
      if (level >= 50) this.counts.error += 1;
      else if (level >= 40) this.counts.warn += 1;
      if (level >= 40) {
        const key = `${level >= 50 ? 'error' : 'warn'}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
        this.messages.set(key, (this.messages.get(key) ?? 0) + 1);
      }
    }
    callback();
  }
}

export function cookiesFrom(headers: { 'set-cookie'?: string[] | undefined }): string {
  return (headers['set-cookie'] ?? []).map((cookie) => cookie.split(';')[0]!).join('; ');
}

export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = match[2]!;
  return fields;
}

export interface Site {
  app: FastifyInstance;
  config: Config;
  database: Database;
  db: Kysely<DB>;
  transport: MailTransport;
  origin: string;
  /** Which database, in words, for the report. */
  databaseLabel: string;
  logWatch: LogWatch;
  /** Closes the app and the database, drops the bench database and removes the temporary directory. */
  close(): Promise<void>;
}

/** Starts the site with the bench's settings, plus `env` (which wins). */
async function startSite(env: Record<string, string> = {}): Promise<Site> {
  const serverUrl = process.env.DATABASE_URL?.trim() || undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-bench-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;

  let benchDatabase: string | undefined;
  let benchUrl: string | undefined;
  if (serverUrl) {
    benchDatabase = `commons_bench_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`create database ${benchDatabase}`);
    } finally {
      await admin.end();
    }
    const url = new URL(serverUrl);
    url.pathname = `/${benchDatabase}`;
    benchUrl = url.toString();
  }

  let closeOpened = async () => {};
  const cleanUp = async () => {
    const started = performance.now();
    try {
      await closeOpened();
    } finally {
      if (benchDatabase) {
        const dropper = new pg.Client({ connectionString: serverUrl });
        await dropper.connect();
        // pg's pool.end() resolves before its sockets are closed: let the backends go first,
        // so the forced drop does not terminate a connection still closing.
        for (let tries = 0; tries < 50; tries += 1) {
          const { rows } = await dropper.query<{ count: string }>('select count(*) from pg_stat_activity where datname = $1', [benchDatabase]);
          if (Number(rows[0]?.count) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await dropper.query(`drop database if exists ${benchDatabase} with (force)`);
        await dropper.end();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
      progress(`cleaned up (app, database, temporary files) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  };

  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: origin,
      DATA_DIR: dataDir,
      RATE_LIMIT_TRUSTED: '127.0.0.0/8',
      LOG_LEVEL: 'warn',
      ...(benchUrl ? { DATABASE_URL: benchUrl } : {}),
      ...(process.env.DATABASE_POOL_SIZE ? { DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE } : {}),
      ...env,
    });
    const logWatch = new LogWatch();
    const log = pino({ level: config.logLevel, timestamp: pino.stdTimeFunctions.isoTime }, logWatch);

    // As src/server.ts does it.
    const database = await openDatabase(config, log);
    closeOpened = () => database.close();
    await migrateToLatest(database.db);
    const transport = createMailTransport(config);
    const app = await buildApp({ config, database, transport, sessionSecrets: sessionSecretsFor(config), logStream: logWatch, runJobs: true });
    closeOpened = async () => {
      let started = performance.now();
      await app.close();
      progress(`app closed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      started = performance.now();
      await database.close();
      progress(`database closed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    };
    await app.listen({ host: config.host, port: config.port });
    const versionRow = await sql<{ version: string }>`select version()`.execute(database.db);
    const databaseVersion = versionRow.rows[0]?.version.split(' on ')[0] ?? 'unknown';
    const databaseLabel = database.embedded
      ? `embedded PGlite (${databaseVersion}, one connection)`
      : `PostgreSQL server (${databaseVersion}), fresh database ${benchDatabase} at ${maskUrl(serverUrl!)}, pool of ${config.databasePoolSize}`;
    progress(`app at ${origin}; database: ${databaseLabel}; mail: ${transport.description}`);
    return { app, config, database, db: database.db, transport, origin, databaseLabel, logWatch, close: cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/**
 * Runs a bench: each of `runs` on a site of its own, started fresh (so nothing one leaves
 * behind slows the next), printing the Markdown it returns with the app's log summary under
 * it, and always cleaning up. A watchdog ends the process if the bench overruns.
 */
export async function benchWithSites(options: { env?: Record<string, string>; watchdogMs: number }, runs: Array<(site: Site) => Promise<string>>): Promise<void> {
  const watchdog = setTimeout(() => {
    progress(`still running after ${options.watchdogMs / 60_000} minutes: exiting`);
    process.exit(2);
  }, options.watchdogMs);
  watchdog.unref();
  for (const run of runs) {
    const site = await startSite(options.env);
    try {
      const report = await run(site);
      const logLines = [...site.logWatch.messages].map(([message, count]) => `${message} ×${count}`);
      console.log(`${report}\n- App log: ${site.logWatch.counts.warn} warnings, ${site.logWatch.counts.error} errors${logLines.length ? ` (${logLines.join('; ')})` : ''}\n`);
    } finally {
      await site.close();
    }
  }
  // Everything is closed: the process should end on its own. If a handle was left open, say so.
  setTimeout(() => {
    progress('the process is still running 10 s after closing everything: a handle was left open');
    process.exit(1);
  }, 10_000).unref();
}
