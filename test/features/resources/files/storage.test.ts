import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../src/db/database.js';
import { removeStaleUploads } from '../../../../src/features/resources/files/multipart.js';
import { CHUNK_BYTES, keyBytes } from '../../../../src/features/resources/files/blob-index.js';
import { PostgresFileStore } from '../../../../src/features/resources/files/storage.js';
import { runMaintenance } from '../../../../src/jobs/maintenance.js';
import { createTestDatabase } from '../../../support/database.js';
import { describeFileStoreContract } from '../../../support/file-store-contract.js';
import { buildUploadTestApp } from '../../../support/uploads.js';

let database: Database;
let store: PostgresFileStore;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-store-'));

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresFileStore(database.db);
});
afterAll(async () => {
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Random bytes in a local file, as an upload leaves them; the key they are stored under. */
function localFile(byteSize: number): { key: string; bytes: Buffer; source: { path: string; byteSize: number } } {
  const bytes = randomBytes(byteSize);
  const file = path.join(dir, randomBytes(8).toString('hex'));
  fs.writeFileSync(file, bytes);
  return { key: createHash('sha256').update(bytes).digest('hex'), bytes, source: { path: file, byteSize } };
}

async function read(key: string): Promise<Buffer | undefined> {
  const stream = await store.get(key);
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const blobOf = (key: string) => database.db.selectFrom('file_blobs').select(['id', 'chunk_count', 'byte_size', 'stored_at', 'created_at']).where('sha256', '=', Buffer.from(key, 'hex')).executeTakeFirst();
const chunkCount = async (blobId: number) => Number((await database.db.selectFrom('file_blob_chunks').select((eb) => eb.fn.countAll<number>().as('n')).where('blob_id', '=', blobId).executeTakeFirstOrThrow()).n);


describeFileStoreContract('PostgresFileStore', async (database) => {
  const chunksOf = (key: string) => database.db.selectFrom('file_blob_chunks').select('seq').where('blob_id', 'in', database.db.selectFrom('file_blobs').select('id').where('sha256', '=', keyBytes(key)));
  const store = new PostgresFileStore(database.db);
  return {
    store,
    holdsBytes: async (key) => (await chunksOf(key).execute()).length > 0,
    dropBytes: (key) => store.dropContents(key),
    close: async () => {},
  };
});

describe('PostgresFileStore', () => {
  it('stores a file in 256 KB chunks and streams it back whole', async () => {
    const file = localFile(2 * CHUNK_BYTES + 1000);
    await store.put(file.key, file.source);
    const blob = await blobOf(file.key);
    expect(blob).toMatchObject({ chunk_count: 3, byte_size: file.bytes.length });
    expect(blob!.stored_at).not.toBeNull();
    expect(await chunkCount(blob!.id)).toBe(3);
    expect((await read(file.key))!.equals(file.bytes)).toBe(true);
    expect(await read('0'.repeat(64))).toBeUndefined();
  });

  it('gives back every byte of chunks cut to another size by an earlier version, and of sizes around the read slices', async () => {
    for (const size of [1, 32 * 1024 - 1, 32 * 1024, 32 * 1024 + 1, CHUNK_BYTES, CHUNK_BYTES + 1, 5 * CHUNK_BYTES - 1]) {
      const file = localFile(size);
      await store.put(file.key, file.source);
      expect((await read(file.key))?.equals(file.bytes), `${size} bytes`).toBe(true);
    }
    const bytes = randomBytes(CHUNK_BYTES + 1000);
    const key = createHash('sha256').update(bytes).digest('hex');
    const blob = await database.db.insertInto('file_blobs').values({ sha256: Buffer.from(key, 'hex'), byte_size: bytes.length, chunk_count: 1, stored_at: new Date() }).returning('id').executeTakeFirstOrThrow();
    await database.db.insertInto('file_blob_chunks').values({ blob_id: blob.id, seq: 0, data: bytes }).execute();
    expect((await read(key))?.equals(bytes)).toBe(true);
  });

  it('reads ahead only a few chunks while nobody takes them', async () => {
    const file = localFile(12 * CHUNK_BYTES);
    await store.put(file.key, file.source);
    const stream = (await store.get(file.key))!;
    stream.pause();
    stream.read(0);
    await sleep(200);
    expect(stream.readableLength).toBeLessThanOrEqual(4 * CHUNK_BYTES);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(file.bytes)).toBe(true);
  });

});

describe('housekeeping', () => {
  it('runs with the hourly maintenance, leaving no chunk without its blob', async () => {
    const unnamed = localFile(300);
    await store.put(unnamed.key, unnamed.source);
    await database.db.updateTable('file_blobs').set({ stored_at: sql`now() - interval '25 hours'` }).where('sha256', '=', Buffer.from(unnamed.key, 'hex')).execute();
    expect((await runMaintenance(database.db, store, 30, new Date())).fileBlobs).toBe(1);
    expect(await blobOf(unnamed.key)).toBeUndefined();
    expect(await database.db.selectFrom('file_blob_chunks').select('blob_id').where('blob_id', 'not in', database.db.selectFrom('file_blobs').select('id')).execute()).toEqual([]);
  });

  it('keeps uploads in a directory of the app’s own, removed when it stops', async () => {
    const app = await buildUploadTestApp();
    expect(app.uploadsDir.startsWith(path.join(os.tmpdir(), 'commons-uploads-'))).toBe(true);
    expect(fs.statSync(app.uploadsDir).mode & 0o777).toBe(0o700);
    await app.close();
    expect(fs.existsSync(app.uploadsDir)).toBe(false);
  });

  it('sweeps an upload every other cleanup missed, an hour on', async () => {
    const uploads = fs.mkdtempSync(path.join(dir, 'uploads-'));
    fs.writeFileSync(path.join(uploads, 'old'), 'x');
    fs.writeFileSync(path.join(uploads, 'new'), 'x');
    const hourAgo = new Date(Date.now() - 61 * 60 * 1000);
    fs.utimesSync(path.join(uploads, 'old'), hourAgo, hourAgo);
    expect(await removeStaleUploads(uploads)).toBe(1);
    expect(fs.readdirSync(uploads)).toEqual(['new']);
  });
});
