import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { databaseFromPool, embeddedPool, serverPool, type Database } from '../../src/db/database.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';

const quietLog = { error: () => undefined };

/** A fresh migrated database for one test file, dropped (or thrown away) by close(). */
export async function createTestDatabase(mode = inject('databaseMode')): Promise<Database> {
  if (mode === 'server') return createServerDatabase();
  return createEmbeddedDatabase();
}

/** A fresh copy of the migrated template on DATABASE_URL's server, with its own URL (for a server process to use). */
export async function createServerDatabase(): Promise<Database & { url: string }> {
  const serverUrl = process.env.DATABASE_URL!;
  const name = `commons_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name} template ${inject('templateDatabase')}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = databaseFromPool(serverPool(url.toString(), 10), `test database ${name}`, false, quietLog, async () => {
    const dropper = new pg.Client({ connectionString: serverUrl });
    await dropper.connect();
    await dropper.query(`drop database if exists ${name} with (force)`);
    await dropper.end();
  });
  return { ...database, url: url.toString() };
}

/** An embedded database started from the migrated template, in memory. */
export async function createEmbeddedDatabase(): Promise<Database> {
  const dump = new Blob([fs.readFileSync(inject('embeddedDumpPath'))]);
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-db-'));
  const embedded = await startEmbeddedPostgres({ socketDir, loadDataDir: dump });
  return databaseFromPool(embeddedPool(embedded.socketDir, embedded.socketPort), 'embedded test database', true, quietLog, async () => {
    await embedded.close();
    fs.rmSync(socketDir, { recursive: true, force: true });
  });
}
