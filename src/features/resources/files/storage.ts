import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { CHUNK_BYTES, IndexedFileStore, keyBytes, type BlobRow, type BytesHeld } from './blob-index.js';

/**
 * Where file contents live, by key (their SHA-256 in hex), behind an interface small enough for
 * an object store (s3-store.ts) to stand in for PostgreSQL without the features noticing.
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
  /** Housekeeping: removes contents left unfinished for an hour or named by no file for a day; how many. */
  removeAbandoned(now: Date): Promise<number>;
  /** Lets go of the connections the store holds of its own, as the app closes. */
  close(): void;
}

export interface FileSource {
  path: string;
  byteSize: number;
}

// Read back this many at a time: a download holds about a megabyte, whatever the file's size.
const CHUNKS_PER_READ = 4;
// Each chunk is read in slices this big. A bytea arrives as hex text, twice its size, which pg
// turns into a Buffer: as 512 KB strings (a whole chunk) they were the download's memory
// (BENCHMARKS.md, issue 9); as 64 KB ones they are young garbage, gone at the next scavenge.
// PostgreSQL reads a slice of an uncompressed (`storage external`) value without the rest. The
// slices follow each chunk's own length, so chunks cut to another size by an earlier version
// come back whole.
const SLICE_BYTES = 32 * 1024;

// PostgreSQL's foreign_key_violation: a chunk written for a blob another process has just forgotten.
const isForeignKeyViolation = (error: unknown) => (error as { code?: unknown }).code === '23503';

/**
 * PostgreSQL: the blob's chunks in file_blob_chunks. Every statement is short and none is in a
 * transaction with another, so a big file never holds the one connection of the embedded
 * database for more than a chunk's write; `stored_at` is set last, so a blob half written is
 * never served. Chunks go with their blob row (a cascading foreign key).
 */
export class PostgresFileStore extends IndexedFileStore {
  protected async writeContents(blob: BlobRow, _key: string, source: FileSource): Promise<boolean> {
    const file = await open(source.path, 'r');
    try {
      const buffer = Buffer.alloc(CHUNK_BYTES);
      for (let seq = 0; seq < blob.chunkCount; seq += 1) {
        const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, seq * CHUNK_BYTES);
        // Another upload of the same bytes may be writing the same chunks: theirs are equal to ours.
        await this.db
          .insertInto('file_blob_chunks')
          .values({ blob_id: blob.id, seq, data: buffer.subarray(0, bytesRead) })
          .onConflict((oc) => oc.columns(['blob_id', 'seq']).doNothing())
          .execute();
      }
      return true;
    } catch (error) {
      if (isForeignKeyViolation(error)) return false;
      throw error;
    } finally {
      await file.close();
    }
  }

  protected async bytesHeld(blob: BlobRow): Promise<BytesHeld> {
    const { chunks } = await this.db.selectFrom('file_blob_chunks').select((eb) => eb.fn.countAll<string>().as('chunks')).where('blob_id', '=', blob.id).executeTakeFirstOrThrow();
    return Number(chunks) === blob.chunkCount ? 'all' : Number(chunks) > 0 ? 'some' : 'none';
  }

  protected async readContents(blob: BlobRow): Promise<Readable | undefined> {
    // Moved to the object store, or on their way back from it (npm run files): not found, not a download cut short.
    if ((await this.bytesHeld(blob)) !== 'all') return undefined;
    const db = this.db;
    let next = 0;
    return new Readable({
      highWaterMark: CHUNK_BYTES * CHUNKS_PER_READ,
      // Called again only once what was pushed has been taken: a slow reader slows the reads.
      read() {
        if (next >= blob.chunkCount) {
          this.push(null);
          return;
        }
        const from = next;
        next = Math.min(blob.chunkCount, from + CHUNKS_PER_READ);
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

  protected async removeContents(): Promise<void> {
    // The chunks go with their blob row.
  }

  async dropContents(key: string): Promise<void> {
    await this.db.deleteFrom('file_blob_chunks').where('blob_id', 'in', this.db.selectFrom('file_blobs').select('id').where('sha256', '=', keyBytes(key))).execute();
  }

  close(): void {
    // Its connections are the database's, closed with it.
  }
}
