import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../../db/schema.js';

/**
 * Where file contents live, by key (their SHA-256 in hex), behind an interface small enough for
 * an object store to stand in for PostgreSQL later without the features noticing.
 */
export interface FileStore {
  /** Stores a complete local file under `key`; contents already stored under it are kept as they are. */
  put(key: string, source: FileSource): Promise<void>;
  /** The contents, streamed, or undefined when nothing (complete) is stored under `key`. */
  get(key: string): Promise<Readable | undefined>;
  /** Marks the contents under `key` as wanted by a request in flight, before its put. */
  claim(key: string): void;
  /**
   * Ends a claim. The last one in this process forgets the contents unless a file row names
   * them, so a refused request leaves nothing behind but never takes what another is storing.
   */
  release(key: string): Promise<void>;
}

export interface FileSource {
  path: string;
  byteSize: number;
}

// Big enough that a 25 MB file is 100 statements, small enough that each takes milliseconds.
export const CHUNK_BYTES = 256 * 1024;
// Read back this many at a time: a download holds about a megabyte, whatever the file's size.
const CHUNKS_PER_READ = 4;
// Each chunk is read in slices this big. A bytea arrives as hex text, twice its size, which pg
// turns into a Buffer: as 512 KB strings (a whole chunk) they were the download's memory
// (BENCHMARKS.md, issue 9); as 64 KB ones they are young garbage, gone at the next scavenge.
// PostgreSQL reads a slice of an uncompressed (`storage external`) value without the rest. The
// slices follow each chunk's own length, so chunks cut to another size by an earlier version
// come back whole.
const SLICE_BYTES = 32 * 1024;
// A blob still unfinished after this was left by a crash; a new upload writes it afresh.
const ABANDONED = sql`interval '1 hour'`;
// A blob no file names is kept this long after it was last stored, then removed.
const UNREFERENCED = sql`interval '1 day'`;
const BLOBS_PER_DELETE = 50;

const keyBytes = (key: string) => Buffer.from(key, 'hex');

// PostgreSQL's foreign_key_violation: a chunk written for a blob another process has just forgotten.
const isForeignKeyViolation = (error: unknown) => (error as { code?: unknown }).code === '23503';

/**
 * PostgreSQL: one file_blobs row per distinct content and its chunks in file_blob_chunks. Every
 * statement is short and none is in a transaction with another, so a big file never holds the
 * one connection of the embedded database for more than a chunk's write; `stored_at` is set
 * last, so a blob half written is never served.
 */
export class PostgresFileStore implements FileStore {
  /** Requests in flight in this process, by key; another process's are not seen, hence put's retry. */
  private readonly claims = new Map<string, number>();

  constructor(private readonly db: Kysely<DB>) {}

  async put(key: string, source: FileSource): Promise<void> {
    // A request in another process may forget the blob while this writes it: write it afresh, once.
    if (await this.write(key, source)) return;
    if (!(await this.write(key, source))) throw new Error(`file blob ${key} was forgotten twice while being stored`);
  }

  /** False when the blob vanished before it was whole. */
  private async write(key: string, source: FileSource): Promise<boolean> {
    const chunkCount = Math.ceil(source.byteSize / CHUNK_BYTES);
    const blob = await this.claimBlob(key, source.byteSize, chunkCount);
    if (blob.stored) return true;
    const file = await open(source.path, 'r');
    try {
      const buffer = Buffer.alloc(CHUNK_BYTES);
      for (let seq = 0; seq < chunkCount; seq += 1) {
        const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, seq * CHUNK_BYTES);
        // Another upload of the same bytes may be writing the same chunks: theirs are equal to ours.
        await this.db
          .insertInto('file_blob_chunks')
          .values({ blob_id: blob.id, seq, data: buffer.subarray(0, bytesRead) })
          .onConflict((oc) => oc.columns(['blob_id', 'seq']).doNothing())
          .execute();
      }
    } catch (error) {
      if (isForeignKeyViolation(error)) return false;
      throw error;
    } finally {
      await file.close();
    }
    const stored = await this.db.updateTable('file_blobs').set({ stored_at: sql`now()` }).where('id', '=', blob.id).executeTakeFirst();
    return stored.numUpdatedRows > 0n;
  }

  /** The blob row for `key`, made if need be; an abandoned one is replaced, a stored one touched so housekeeping spares it. */
  private async claimBlob(key: string, byteSize: number, chunkCount: number): Promise<{ id: number; stored: boolean }> {
    // Unfinished and abandoned, or cut in chunks of another size by an earlier version.
    await this.db
      .deleteFrom('file_blobs')
      .where('sha256', '=', keyBytes(key))
      .where('stored_at', 'is', null)
      .where((eb) => eb.or([eb('chunk_count', '!=', chunkCount), eb('created_at', '<', sql<Date>`now() - ${ABANDONED}`)]))
      .execute();
    const inserted = await this.db
      .insertInto('file_blobs')
      .values({ sha256: keyBytes(key), byte_size: byteSize, chunk_count: chunkCount })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: inserted.id, stored: false };
    const existing = await this.db
      .updateTable('file_blobs')
      .set({ stored_at: sql`case when stored_at is null then null else now() end` })
      .where('sha256', '=', keyBytes(key))
      .returning(['id', 'stored_at'])
      .executeTakeFirstOrThrow();
    return { id: existing.id, stored: existing.stored_at !== null };
  }

  async get(key: string): Promise<Readable | undefined> {
    const blob = await this.db.selectFrom('file_blobs').select(['id', 'chunk_count']).where('sha256', '=', keyBytes(key)).where('stored_at', 'is not', null).executeTakeFirst();
    if (!blob) return undefined;
    const db = this.db;
    let next = 0;
    return new Readable({
      highWaterMark: CHUNK_BYTES * CHUNKS_PER_READ,
      // Called again only once what was pushed has been taken: a slow reader slows the reads.
      read() {
        if (next >= blob.chunk_count) {
          this.push(null);
          return;
        }
        const from = next;
        next = Math.min(blob.chunk_count, from + CHUNKS_PER_READ);
        sql<{ seq: number; data: Buffer }>`
          select c.seq, substring(c.data from s.start for ${sql.lit(SLICE_BYTES)}) as data
          from file_blob_chunks c cross join lateral generate_series(1, length(c.data), ${sql.lit(SLICE_BYTES)}) as s(start)
          where c.blob_id = ${blob.id} and c.seq >= ${from} and c.seq < ${next}
          order by c.seq, s.start`
          .execute(db)
          .then(({ rows }) => {
            const seqs = [...new Set(rows.map((row) => row.seq))];
            if (seqs.length !== next - from || seqs.some((seq, index) => seq !== from + index)) throw new Error(`file blob ${blob.id} is missing chunks ${from}-${next - 1}`);
            for (const row of rows) this.push(row.data);
          })
          .catch((error: unknown) => this.destroy(error as Error));
      },
    });
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
    await this.db.transaction().execute(async (trx) => {
      const blob = await trx.selectFrom('file_blobs').select('id').where('sha256', '=', keyBytes(key)).forUpdate().executeTakeFirst();
      if (!blob) return;
      await trx
        .deleteFrom('file_blobs')
        .where('id', '=', blob.id)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('files').select('files.id').where('files.storage_key', '=', key))))
        .execute();
    });
  }
}

/**
 * Housekeeping (jobs/maintenance.ts): blobs left unfinished by a crash, and blobs that no file
 * names any more (an upload whose form failed after storing, a post deleted for good).
 */
export async function removeAbandonedBlobs(db: Kysely<DB>, now: Date): Promise<number> {
  // Checked again on each row as it is deleted, so a blob stored again meanwhile (its stored_at
  // touched by put) is spared.
  const removable = sql`(b.stored_at is null and b.created_at < ${now}::timestamptz - ${ABANDONED})
    or (b.stored_at < ${now}::timestamptz - ${UNREFERENCED} and not exists (select from files f where f.storage_key = encode(b.sha256, 'hex')))`;
  let removed = 0;
  for (;;) {
    // A few at a time: each takes its chunks with it.
    const result = await sql`delete from file_blobs b where b.id in (select b.id from file_blobs b where ${removable} limit ${sql.lit(BLOBS_PER_DELETE)}) and (${removable})`.execute(db);
    const count = Number(result.numAffectedRows ?? 0);
    removed += count;
    if (count < BLOBS_PER_DELETE) return removed;
  }
}
