import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import { embeddedPool } from './database.js';
import { startEmbeddedPostgres } from './embedded.js';
import { migrateToLatest } from './migrate.js';

/**
 * A throw-away migrated database in memory, for work that needs the schema but no data:
 * writing the DB type, and the template that each test database starts from.
 */
export async function withScratchDatabase<T>(tmpRoot: string, work: (db: Kysely<any>, dump: () => Promise<Blob>) => Promise<T>): Promise<T> {
  const socketDir = fs.mkdtempSync(path.join(tmpRoot, 'commons-scratch-'));
  const embedded = await startEmbeddedPostgres({ socketDir });
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: embeddedPool(embedded.socketDir, embedded.socketPort) }) });
  try {
    await migrateToLatest(db);
    return await work(db, () => embedded.dump());
  } finally {
    await db.destroy();
    await embedded.close();
    fs.rmSync(socketDir, { recursive: true, force: true });
  }
}
