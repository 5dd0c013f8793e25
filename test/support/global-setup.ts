import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrate.js';
import { withScratchDatabase } from '../../src/db/scratch.js';
import { PROJECT_ROOT } from '../../src/lib/paths.js';

/**
 * One migrated template per run: a PostgreSQL database when DATABASE_URL is set (each test
 * file copies it with CREATE DATABASE … TEMPLATE), otherwise a dump of an embedded one (each
 * test file starts its own PGlite from it). Also builds dist/, which the process tests run,
 * unless TEST_PREBUILT=1 says the caller has just built it.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    databaseMode: 'server' | 'embedded';
    templateDatabase: string;
    embeddedDumpPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // CI builds once and runs suites side by side: two builds writing dist/ at once would race.
  if (process.env.TEST_PREBUILT !== '1') {
    execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  }

  // The embedded template is made in every mode: some tests are about the embedded database.
  const dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-template-'));
  const dumpPath = path.join(dumpDir, 'pgdata.tar');
  const dump = await withScratchDatabase(os.tmpdir(), async (_db, dumpDataDir) => dumpDataDir());
  fs.writeFileSync(dumpPath, Buffer.from(await dump.arrayBuffer()));
  project.provide('embeddedDumpPath', dumpPath);
  const removeDump = async () => fs.rmSync(dumpDir, { recursive: true, force: true });

  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    project.provide('databaseMode', 'embedded');
    project.provide('templateDatabase', '');
    return removeDump;
  }
  const template = `commons_template_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${template}`);
  const url = new URL(serverUrl);
  url.pathname = `/${template}`;
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 1 }) }) });
  await migrateToLatest(db);
  await db.destroy();
  project.provide('databaseMode', 'server');
  project.provide('templateDatabase', template);
  return async () => {
    await admin.query(`drop database if exists ${template} with (force)`);
    await admin.end();
    await removeDump();
  };
}
