import { parseArgs } from 'node:util';
import type { MoveProgress } from '../features/resources/files/move.js';

/**
 * `npm run files -- move --to s3|postgres`: moves the stored files' contents between
 * PostgreSQL and the object store that S3_* name (docs/decisions/0026-object-storage.md).
 * Exit 0 when every file's contents are at the destination, 1 when some could not be moved
 * (each listed, left where it was), 2 when the command line is wrong, 3 when another move is
 * running (nothing done).
 */
const USAGE = `usage:
  npm run files -- move --to s3 [--limit N]         move files' contents from PostgreSQL to the object store (S3_*)
  npm run files -- move --to postgres [--limit N]   move them back
Each is copied, checked by its SHA-256, and only then removed from where it was; run it again
after an interruption and it carries on. --limit stops after moving N. One move runs at a time.`;

const ANOTHER_MOVE_RUNNING = 3;

// A line this often when the output is not a terminal (a log), else the same line redrawn.
const LINE_EVERY = 100;

function parseCommandLine(argv: string[]): { to: 's3' | 'postgres'; limit: number | undefined } | string {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { to: { type: 'string' }, limit: { type: 'string' } } });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const [command, ...rest] = parsed.positionals;
  if (command !== 'move' || rest.length > 0) return command === undefined ? '' : `unknown command: ${[command, ...rest].join(' ')}`;
  const { to, limit } = parsed.values;
  if (to !== 's3' && to !== 'postgres') return '--to must be s3 or postgres';
  if (limit !== undefined && !/^[1-9]\d{0,8}$/.test(limit)) return '--limit must be a whole number from 1';
  return { to, limit: limit === undefined ? undefined : Number(limit) };
}

function progressLine(progress: MoveProgress): string {
  return `${progress.seen}/${progress.total} looked at: ${progress.moved} moved (${(progress.bytes / 1024 / 1024).toFixed(1)} MB), ${progress.skipped} already there, ${progress.failed.length} left where they are`;
}

const commandLine = parseCommandLine(process.argv.slice(2));
if (typeof commandLine === 'string') {
  console.error(`${commandLine ? `${commandLine}\n` : ''}${USAGE}`);
  process.exitCode = 2;
} else {
  // Loaded only for a command line that makes sense: a typo is answered without the SDK or a database.
  const [{ runCommand }, { pendingMigrations }, { moveContents, whileNoOtherMove }, { S3FileStore }, { PostgresFileStore }] = await Promise.all([
    import('./run.js'),
    import('../db/migrate.js'),
    import('../features/resources/files/move.js'),
    import('../features/resources/files/s3-store.js'),
    import('../features/resources/files/storage.js'),
  ]);
  await runCommand(async (database, config) => {
    if (!config.objectStorage) {
      console.error('No object store is configured: set S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY to the one to move to or from');
      return 1;
    }
    const pending = await pendingMigrations(database.db);
    if (pending.length > 0) {
      console.error(`The database is not up to date (${pending.length} migration(s) pending): run npm run migrate, or start Commons once, first`);
      return 1;
    }
    const postgres = new PostgresFileStore(database.db);
    const objects = new S3FileStore(database.db, config.objectStorage);
    const move = async () => {
      const [from, to] = commandLine.to === 's3' ? [postgres, objects] : [objects, postgres];
      const onTerminal = process.stdout.isTTY;
      const done = await moveContents(database.db, from, to, {
        limit: commandLine.limit,
        onProgress: (progress) => {
          if (onTerminal) process.stdout.write(`\r${progressLine(progress)}`);
          else if (progress.seen % LINE_EVERY === 0) console.log(progressLine(progress));
        },
      });
      if (onTerminal) process.stdout.write('\n');
      console.log(`${progressLine(done)}: files' contents are ${done.moved + done.skipped === done.total ? 'all' : 'not all'} in ${commandLine.to === 's3' ? 'the object store' : 'PostgreSQL'}`);
      for (const failure of done.failed) console.error(`${failure.key}: ${failure.reason}`);
      return done.failed.length > 0 ? 1 : 0;
    };
    try {
      // The embedded database's one connection is this process's alone (its data directory is
      // locked), so no other move can run; a lock's own connection would leave none to move with.
      const outcome = database.embedded ? await move() : await whileNoOtherMove(database.db, move);
      if (outcome !== 'busy') return outcome;
      console.error('Another `npm run files -- move` is running against this database: nothing was moved. Let it finish (or stop it), then run this again.');
      return ANOTHER_MOVE_RUNNING;
    } finally {
      objects.close();
    }
  });
}
