import { migrateToLatest } from '../db/migrate.js';
import { runCommand } from './run.js';

// `npm run migrate`: applies every migration the database has not run yet.
await runCommand(async (database) => {
  const applied = await migrateToLatest(database.db);
  console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'the database is up to date');
});
