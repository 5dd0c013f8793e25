import { pino } from 'pino';
import { InvalidConfig, loadConfig, type Config } from '../config.js';
import { DataDirUnusable } from '../db/data-dir.js';
import { DatabaseUnreachable, openDatabase, waitForDatabase, type Database } from '../db/database.js';

/**
 * Runs an operator command against the configured database. Against the embedded one it
 * refuses while the server holds the data directory (the lock says so, clearly).
 */
export async function runCommand(work: (database: Database, config: Config) => Promise<number | void>): Promise<void> {
  let database: Database | undefined;
  try {
    const config = loadConfig();
    const log = pino({ level: 'warn' });
    database = await openDatabase(config, log);
    await waitForDatabase(database, config.databaseWaitSeconds, log);
    process.exitCode = (await work(database, config)) ?? 0;
  } catch (error) {
    if (error instanceof InvalidConfig || error instanceof DataDirUnusable || error instanceof DatabaseUnreachable) {
      console.error(error.message);
      process.exitCode = 1;
    } else {
      throw error;
    }
  } finally {
    await database?.close();
  }
}
