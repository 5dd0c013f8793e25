import type { Readable } from 'node:stream';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../../db/schema.js';
import type { FileSource, FileStore } from './storage.js';

// Big enough that a 25 MB file is 100 statements, small enough that each takes milliseconds.
export const CHUNK_BYTES = 256 * 1024;
// A blob still unfinished after this was left by a crash; a new upload writes it afresh.
const ABANDONED = sql`interval '1 hour'`;
// A blob no file names is kept this long after it was last stored, then removed.
const UNREFERENCED = sql`interval '1 day'`;
const BLOBS_PER_DELETE = 50;

export const keyBytes = (key: string) => Buffer.from(key, 'hex');

export type BytesHeld = 'none' | 'some' | 'all';

/** A file_blobs row: the index of what is stored, whichever store holds the bytes. */
export interface BlobRow {
  id: number;
  chunkCount: number;
}

/**
 * What every store shares: one file_blobs row per distinct content, `stored_at` set once the
 * contents are whole. The row is what insertFiles locks and what release and housekeeping
 * delete, so the rules on who may forget contents are the same wherever the bytes live
 * (docs/decisions/0026-object-storage.md); a store says only how to write, check, read and
 * remove the bytes. The chunk count is kept whatever the store, so contents can move between
 * stores (`npm run files -- move`) without their rows changing.
 */
export abstract class IndexedFileStore implements FileStore {
  /** Requests in flight in this process, by key; another process's are not seen, hence put's retry. */
  private readonly claims = new Map<string, number>();

  constructor(protected readonly db: Kysely<DB>) {}

  /** Writes the bytes of a blob not yet (wholly) in this store; false when its row vanished meanwhile. */
  protected abstract writeContents(blob: BlobRow, key: string, source: FileSource): Promise<boolean>;
  /** How much of a blob's bytes this store holds: they may have moved to the other, or be on their way. */
  protected abstract bytesHeld(blob: BlobRow, key: string): Promise<BytesHeld>;
  protected abstract readContents(blob: BlobRow, key: string): Promise<Readable | undefined>;
  /** Removes the bytes of blobs whose rows are being deleted, while those rows are locked. */
  protected abstract removeContents(keys: readonly string[]): Promise<void>;
  /** Removes this store's bytes for a stored blob, keeping its row: they have been moved to the other store. */
  abstract dropContents(key: string): Promise<void>;
  abstract close(): void;

  async put(key: string, source: FileSource): Promise<void> {
    // A request in another process may forget the blob while this writes it: write it afresh, once.
    if (await this.write(key, source)) return;
    if (!(await this.write(key, source))) throw new Error(`file blob ${key} was forgotten twice while being stored`);
  }

  /** False when the blob vanished before it was whole. */
  private async write(key: string, source: FileSource): Promise<boolean> {
    const blob = await claimBlob(this.db, key, source.byteSize);
    if (blob.stored && (await this.bytesHeld(blob, key)) === 'all') return true;
    if (!(await this.writeContents(blob, key, source))) return false;
    const stored = await this.db.updateTable('file_blobs').set({ stored_at: sql`now()` }).where('id', '=', blob.id).executeTakeFirst();
    return stored.numUpdatedRows > 0n;
  }

  async get(key: string): Promise<Readable | undefined> {
    const blob = await this.findStored(key);
    return blob ? this.readContents(blob, key) : undefined;
  }

  /** How much of the stored contents under `key` this store holds ('none' when none are stored). */
  async held(key: string): Promise<BytesHeld> {
    const blob = await this.findStored(key);
    return blob ? this.bytesHeld(blob, key) : 'none';
  }

  private async findStored(key: string): Promise<BlobRow | undefined> {
    return this.db.selectFrom('file_blobs').select(['id', 'chunk_count as chunkCount']).where('sha256', '=', keyBytes(key)).where('stored_at', 'is not', null).executeTakeFirst();
  }

  claim(key: string): void {
    this.claims.set(key, (this.claims.get(key) ?? 0) + 1);
  }

  async release(key: string): Promise<void> {
    const left = (this.claims.get(key) ?? 1) - 1;
    if (left > 0) {
      this.claims.set(key, left);
      return;
    }
    this.claims.delete(key);
    await this.forgetUnlessNamed(key);
  }

  private async forgetUnlessNamed(key: string): Promise<void> {
    // The lock waits for a transaction attaching a file to this blob (insertFiles takes a share
    // lock on it); the second statement's snapshot then sees that file row and keeps the blob.
    // The bytes go while the row is still locked, so a put in another process, whose insert
    // waits for that lock, writes them afresh after they are gone, never before.
    await this.db.transaction().execute(async (trx) => {
      const blob = await trx.selectFrom('file_blobs').select('id').where('sha256', '=', keyBytes(key)).forUpdate().executeTakeFirst();
      if (!blob) return;
      const deleted = await trx
        .deleteFrom('file_blobs')
        .where('id', '=', blob.id)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('files').select('files.id').where('files.storage_key', '=', key))))
        .executeTakeFirst();
      if (deleted.numDeletedRows > 0n) await this.removeContents([key]);
    });
  }

  /**
   * Housekeeping (jobs/maintenance.ts): blobs left unfinished by a crash, and blobs that no file
   * names any more (an upload whose form failed after storing, a post deleted for good).
   */
  async removeAbandoned(now: Date): Promise<number> {
    const removable = sql<boolean>`(b.stored_at is null and b.created_at < ${now}::timestamptz - ${ABANDONED})
      or (b.stored_at < ${now}::timestamptz - ${UNREFERENCED} and not exists (select from files f where f.storage_key = encode(b.sha256, 'hex')))`;
    let removed = 0;
    for (;;) {
      // A few at a time, locked, then checked again by a statement of its own (a new snapshot),
      // so a blob stored again or named meanwhile is spared.
      const deleted = await this.db.transaction().execute(async (trx: Transaction<DB>) => {
        const { rows } = await sql<{ id: number }>`select b.id from file_blobs b where ${removable} limit ${sql.lit(BLOBS_PER_DELETE)} for update skip locked`.execute(trx);
        if (rows.length === 0) return 0;
        const gone = await sql<{ sha256: Buffer }>`delete from file_blobs b where b.id in (${sql.join(rows.map((row) => row.id))}) and (${removable}) returning b.sha256`.execute(trx);
        await this.removeContents(gone.rows.map((row) => row.sha256.toString('hex')));
        return gone.rows.length;
      });
      removed += deleted;
      if (deleted < BLOBS_PER_DELETE) return removed;
    }
  }
}

/** The blob row for `key`, made if need be; an abandoned one is replaced, a stored one touched so housekeeping spares it. */
async function claimBlob(db: Kysely<DB>, key: string, byteSize: number): Promise<BlobRow & { stored: boolean }> {
  const chunkCount = Math.ceil(byteSize / CHUNK_BYTES);
  // Unfinished and abandoned, or cut in chunks of another size by an earlier version.
  await db
    .deleteFrom('file_blobs')
    .where('sha256', '=', keyBytes(key))
    .where('stored_at', 'is', null)
    .where((eb) => eb.or([eb('chunk_count', '!=', chunkCount), eb('created_at', '<', sql<Date>`now() - ${ABANDONED}`)]))
    .execute();
  const inserted = await db
    .insertInto('file_blobs')
    .values({ sha256: keyBytes(key), byte_size: byteSize, chunk_count: chunkCount })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, chunkCount, stored: false };
  const existing = await db
    .updateTable('file_blobs')
    .set({ stored_at: sql`case when stored_at is null then null else now() end` })
    .where('sha256', '=', keyBytes(key))
    .returning(['id', 'chunk_count', 'stored_at'])
    .executeTakeFirstOrThrow();
  return { id: existing.id, chunkCount: existing.chunk_count, stored: existing.stored_at !== null };
}
