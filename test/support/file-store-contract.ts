import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { CHUNK_BYTES } from '../../src/features/resources/files/blob-index.js';
import type { FileStore } from '../../src/features/resources/files/storage.js';
import { createTestDatabase } from './database.js';
import { createMember } from './members.js';
import { useTempDirs } from './temp-dirs.js';
import { createResourceRow } from './uploads.js';

export interface StoreUnderTest {
  store: FileStore;
  /** Whether the store's own bytes for `key` are there (chunks, an object), whatever the index says. */
  holdsBytes(key: string): Promise<boolean>;
  /** Takes the bytes away behind the index's back, as moving them to the other store does. */
  dropBytes(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface LocalFile {
  key: string;
  bytes: Buffer;
  source: { path: string; byteSize: number };
}

/** Random bytes in a local file, as an upload leaves them, and the key they are stored under. */
export function localFileMaker(dir: () => string): (byteSize: number) => LocalFile {
  return (byteSize) => {
    const bytes = randomBytes(byteSize);
    const file = path.join(dir(), 'upload');
    fs.writeFileSync(file, bytes);
    return { key: createHash('sha256').update(bytes).digest('hex'), bytes, source: { path: file, byteSize } };
  };
}

export async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer | undefined> {
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * What every FileStore must do, run against each (PostgreSQL's and the object store's), each on
 * a database of its own: the features rely on exactly this and nothing store-specific.
 */
export function describeFileStoreContract(name: string, makeStore: (database: Database) => Promise<StoreUnderTest>): void {
  describe(`${name}: the FileStore contract`, () => {
    const localFile = localFileMaker(useTempDirs('store'));
    let database: Database;
    let subject: StoreUnderTest;
    let store: FileStore;

    beforeAll(async () => {
      database = await createTestDatabase();
      subject = await makeStore(database);
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.close();
      await database?.close();
    });

    const blobOf = (key: string) => database.db.selectFrom('file_blobs').select(['id', 'stored_at']).where('sha256', '=', Buffer.from(key, 'hex')).executeTakeFirst();
    const read = async (key: string) => readAll(await store.get(key));

    async function attachRow(key: string, byteSize: number) {
      const sharer = await createMember(database.db);
      const resourceId = await createResourceRow(database.db, sharer.id);
      await database.db.insertInto('files').values({ storage_key: key, byte_size: byteSize, content_type: 'application/pdf', name: 'a.pdf', resource_id: resourceId, uploaded_by: sharer.id }).execute();
    }

    it('streams back every byte of a file of several chunks, and of sizes around a chunk', async () => {
      for (const size of [1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 1000]) {
        const file = localFile(size);
        await store.put(file.key, file.source);
        expect((await read(file.key))?.equals(file.bytes), `${size} bytes`).toBe(true);
      }
    });

    it('answers undefined for a key nothing is stored under', async () => {
      expect(await store.get('0'.repeat(64))).toBeUndefined();
    });

    it('keeps contents stored once when they are put again, touching them so housekeeping spares them', async () => {
      const file = localFile(CHUNK_BYTES + 10);
      await store.put(file.key, file.source);
      const first = (await blobOf(file.key))!;
      await database.db.updateTable('file_blobs').set({ stored_at: sql`now() - interval '2 days'` }).where('id', '=', first.id).execute();
      await store.put(file.key, file.source);
      const again = (await blobOf(file.key))!;
      expect(again.id).toBe(first.id);
      expect(Date.now() - again.stored_at!.getTime()).toBeLessThan(60_000);
      expect((await read(file.key))!.equals(file.bytes)).toBe(true);
    });

    it('never serves contents not yet whole, and stores them when the same bytes come again', async () => {
      const file = localFile(2 * CHUNK_BYTES);
      await database.db.insertInto('file_blobs').values({ sha256: Buffer.from(file.key, 'hex'), byte_size: file.bytes.length, chunk_count: 2 }).execute();
      expect(await store.get(file.key)).toBeUndefined();
      await store.put(file.key, file.source);
      expect((await read(file.key))!.equals(file.bytes)).toBe(true);
    });

    it('answers undefined for contents whose bytes are gone though their row says stored, and writes them again when put', async () => {
      const file = localFile(CHUNK_BYTES + 700);
      await store.put(file.key, file.source);
      await subject.dropBytes(file.key);
      expect(await store.get(file.key)).toBeUndefined();
      await store.put(file.key, file.source);
      expect(await subject.holdsBytes(file.key)).toBe(true);
      expect((await read(file.key))!.equals(file.bytes)).toBe(true);
    });

    it('forgets contents only when no file names them and the last claim on them is released', async () => {
      const named = localFile(500);
      const unnamed = localFile(600);
      for (const file of [named, unnamed]) {
        store.claim(file.key);
        store.claim(file.key);
        await store.put(file.key, file.source);
      }
      await attachRow(named.key, 500);
      for (const file of [named, unnamed]) await store.release(file.key);
      expect(await read(unnamed.key)).toBeDefined();
      for (const file of [named, unnamed]) await store.release(file.key);
      await store.release('f'.repeat(64));
      expect((await read(named.key))!.equals(named.bytes)).toBe(true);
      expect(await store.get(unnamed.key)).toBeUndefined();
      expect(await blobOf(unnamed.key)).toBeUndefined();
      expect(await subject.holdsBytes(unnamed.key)).toBe(false);
    });

    it('stores the same bytes put by concurrent requests once, and keeps them until the last claim goes', async () => {
      const file = localFile(2 * CHUNK_BYTES + 5);
      const requests = 4;
      for (let n = 0; n < requests; n += 1) store.claim(file.key);
      await Promise.all(Array.from({ length: requests }, () => store.put(file.key, file.source)));
      expect((await read(file.key))!.equals(file.bytes)).toBe(true);
      await Promise.all(Array.from({ length: requests - 1 }, () => store.release(file.key)));
      expect((await read(file.key))!.equals(file.bytes)).toBe(true);
      await store.release(file.key);
      expect(await store.get(file.key)).toBeUndefined();
      expect(await subject.holdsBytes(file.key)).toBe(false);
    });

    it('housekeeping removes contents left unfinished for an hour, and stored contents no file has named for a day', async () => {
      const now = new Date();
      const [unfinishedOld, unfinishedNew, unnamedOld, unnamedNew, namedOld] = [1, 2, 3, 4, 5].map((n) => localFile(100 + n)) as [LocalFile, LocalFile, LocalFile, LocalFile, LocalFile];
      for (const file of [unfinishedOld, unfinishedNew]) {
        await database.db.insertInto('file_blobs').values({ sha256: Buffer.from(file.key, 'hex'), byte_size: file.bytes.length, chunk_count: 1 }).execute();
      }
      for (const file of [unnamedOld, unnamedNew, namedOld]) await store.put(file.key, file.source);
      await attachRow(namedOld.key, namedOld.bytes.length);
      const age = async (file: LocalFile, column: 'created_at' | 'stored_at', interval: string) =>
        database.db.updateTable('file_blobs').set({ [column]: sql`now() - ${interval}::interval` }).where('sha256', '=', Buffer.from(file.key, 'hex')).execute();
      await age(unfinishedOld, 'created_at', '61 minutes');
      await age(unnamedOld, 'stored_at', '25 hours');
      await age(namedOld, 'stored_at', '400 days');

      expect(await store.removeAbandoned(now)).toBeGreaterThanOrEqual(2);
      expect(await blobOf(unfinishedOld.key)).toBeUndefined();
      expect(await blobOf(unnamedOld.key)).toBeUndefined();
      expect(await subject.holdsBytes(unnamedOld.key)).toBe(false);
      for (const kept of [unfinishedNew, unnamedNew, namedOld]) expect(await blobOf(kept.key)).toBeDefined();
      for (const kept of [unnamedNew, namedOld]) expect((await read(kept.key))!.equals(kept.bytes)).toBe(true);
      expect(await store.removeAbandoned(now)).toBe(0);
    });
  });
}
