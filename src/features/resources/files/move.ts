import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../../db/schema.js';
import type { IndexedFileStore } from './blob-index.js';

// Rows read at a time, in id order: the walk resumes after the last id it read.
const BLOBS_PER_PAGE = 100;

export interface MoveProgress {
  /** Stored contents looked at so far, of `total`. */
  seen: number;
  total: number;
  /** Copied, checked and removed from the source. */
  moved: number;
  /** Already in the destination alone (moved before). */
  skipped: number;
  /** Neither whole in the source nor already checked in the destination: left where they are. */
  failed: { key: string; reason: string }[];
  /** Bytes copied. */
  bytes: number;
}

export interface MoveOptions {
  /** Stop after moving this many (to move in batches, or to test a move cut short). */
  limit?: number;
  onProgress?: (progress: MoveProgress) => void;
}

/**
 * Moves every stored file's contents from one store to the other, one at a time: copied through
 * a temporary file (its SHA-256 checked against the key on the way), read back from the
 * destination and checked again, and only then removed from the source. Nothing is removed that
 * is not whole and checked at the destination, so an interrupted move loses nothing and running
 * it again carries on: contents no longer in the source are passed over, and contents already
 * whole at the destination are checked, not copied again.
 */
export async function moveContents(db: Kysely<DB>, from: IndexedFileStore, to: IndexedFileStore, options: MoveOptions = {}): Promise<MoveProgress> {
  const { total } = await db.selectFrom('file_blobs').select((eb) => eb.fn.countAll<string>().as('total')).where('stored_at', 'is not', null).executeTakeFirstOrThrow();
  const progress: MoveProgress = { seen: 0, total: Number(total), moved: 0, skipped: 0, failed: [], bytes: 0 };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'commons-move-'));
  try {
    let after = 0;
    for (;;) {
      const page = await db.selectFrom('file_blobs').select(['id', 'sha256', 'byte_size']).where('stored_at', 'is not', null).where('id', '>', after).orderBy('id').limit(BLOBS_PER_PAGE).execute();
      for (const blob of page) {
        if (options.limit !== undefined && progress.moved >= options.limit) return progress;
        const key = blob.sha256.toString('hex');
        // One file on disk at a time, whatever the number moved: a site's files may not fit twice.
        const tempPath = path.join(dir, key);
        const outcome = await moveOne(key, blob.byte_size, from, to, tempPath).finally(() => rm(tempPath, { force: true }));
        progress.seen += 1;
        if (outcome === 'moved') {
          progress.moved += 1;
          progress.bytes += blob.byte_size;
        } else if (outcome === 'skipped') {
          progress.skipped += 1;
        } else {
          progress.failed.push({ key, reason: outcome.failed });
        }
        options.onProgress?.(progress);
      }
      if (page.length < BLOBS_PER_PAGE) return progress;
      after = page.at(-1)!.id;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// The one lock every move takes, whichever way: two moves at once (to s3 and to postgres, or the
// same way twice) could each delete the copy the other has just checked, losing both.
const MOVE_LOCK = sql`hashtextextended('commons:files-move', 0)`;

/**
 * Runs `work` holding the move's PostgreSQL session lock on a connection of its own, or answers
 * 'busy' at once when another move holds it. A session lock, not a transaction's: the move is
 * many short statements on other connections, and the lock goes with the connection if the
 * process dies.
 */
export async function whileNoOtherMove<T>(db: Kysely<DB>, work: () => Promise<T>): Promise<T | 'busy'> {
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{ taken: boolean }>`select pg_try_advisory_lock(${MOVE_LOCK}) as taken`.execute(connection);
    if (!rows[0]?.taken) return 'busy';
    try {
      return await work();
    } finally {
      await sql`select pg_advisory_unlock(${MOVE_LOCK})`.execute(connection);
    }
  });
}

type Outcome = 'moved' | 'skipped' | { failed: string };

async function moveOne(key: string, byteSize: number, from: IndexedFileStore, to: IndexedFileStore, tempPath: string): Promise<Outcome> {
  const inSource = await from.held(key);
  if (inSource === 'none') return (await to.held(key)) === 'all' ? 'skipped' : { failed: 'in neither store' };
  // Copied before, or stored there by the site meanwhile: checked, not copied again.
  const inDestination = await to.held(key);
  const alreadyThere = inDestination === 'all' && (await checkedCopy(to, key, byteSize, tempPath)) === undefined;
  if (!alreadyThere) {
    if (inSource !== 'all') return { failed: 'only part of it is in the source' };
    const source = await checkedCopy(from, key, byteSize, tempPath);
    if (source) return { failed: `the source ${source}` };
    // A bad or partial copy there would be kept by put, which trusts what is held: gone first.
    if (inDestination !== 'none') await to.dropContents(key);
    await to.put(key, { path: tempPath, byteSize });
    const copy = await checkedCopy(to, key, byteSize, tempPath);
    if (copy) return { failed: `the copy ${copy}` };
  }
  await from.dropContents(key);
  return 'moved';
}

/** Reads the contents under `key` into `tempPath`; what is wrong with them, or undefined when their SHA-256 is the key. */
async function checkedCopy(store: IndexedFileStore, key: string, byteSize: number, tempPath: string): Promise<string | undefined> {
  const contents = await store.get(key);
  if (!contents) return 'is missing';
  const hash = createHash('sha256');
  let bytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(contents, hashing, createWriteStream(tempPath));
  } catch (error) {
    return `could not be read (${(error as Error).message})`;
  }
  if (bytes !== byteSize) return `has ${bytes} bytes, not ${byteSize}`;
  return hash.digest('hex') === key ? undefined : 'does not match its SHA-256';
}
