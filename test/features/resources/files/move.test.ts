import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../src/db/database.js';
import { fileUrl } from '../../../../src/features/resources/files/filename.js';
import { CHUNK_BYTES, type IndexedFileStore } from '../../../../src/features/resources/files/blob-index.js';
import { moveContents, type MoveProgress } from '../../../../src/features/resources/files/move.js';
import { createS3Client, S3FileStore } from '../../../../src/features/resources/files/s3-store.js';
import { PostgresFileStore } from '../../../../src/features/resources/files/storage.js';
import { buildTestApp } from '../../../support/app.js';
import { createTestDatabase } from '../../../support/database.js';
import { memberWithBrowser } from '../../../support/discussions.js';
import { pdfBytes } from '../../../support/file-fixtures.js';
import { runNode } from '../../../support/process.js';
import { filePart, guideFields, resourceIdFrom, shareWithFiles } from '../../../support/resources.js';
import { startObjectStore, type TestObjectStore } from '../../../support/s3.js';
import { useTempDirs } from '../../../support/temp-dirs.js';

const tempDir = useTempDirs('move');

let database: Database;
let objects: TestObjectStore;
let postgres: PostgresFileStore;
let bucket: S3FileStore;
beforeAll(async () => {
  database = await createTestDatabase();
  objects = await startObjectStore();
  postgres = new PostgresFileStore(database.db);
  bucket = new S3FileStore(database.db, objects.config);
});
afterAll(async () => {
  bucket?.close();
  await objects?.close();
  await database?.close();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const chunkRows = async () => (await database.db.selectFrom('file_blob_chunks').select('blob_id').execute()).length;

/** Shares one resource per file through the form of a site on `env`'s store; the files' download addresses. */
async function shareThrough(env: Record<string, string>, files: Buffer[]): Promise<string[]> {
  const t = await buildTestApp({ database, env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000', ...env } });
  try {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const urls: string[] = [];
    for (const [index, bytes] of files.entries()) {
      const response = await shareWithFiles(t.app, browser, guideFields(member.agencyId), [filePart(`report-${index}.pdf`, bytes)]);
      expect(response.statusCode, response.body.slice(0, 300)).toBe(303);
      const file = await t.db.selectFrom('files').select(['id', 'name']).where('resource_id', '=', resourceIdFrom(response.headers.location)).executeTakeFirstOrThrow();
      urls.push(fileUrl(file));
    }
    return urls;
  } finally {
    await t.close();
  }
}

const moveDirs = () => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('commons-move-'));

/** Files in the temporary directories made since `before` was read (the move's own, not this file's useTempDirs). */
function temporaryCopies(before: string[]): number {
  return moveDirs()
    .filter((name) => !before.includes(name))
    .reduce((count, name) => count + fs.readdirSync(path.join(os.tmpdir(), name)).length, 0);
}

/** What a member downloads from each address, from a site on `env`'s store. */
async function downloadThrough(env: Record<string, string>, urls: string[]): Promise<Buffer[]> {
  const t = await buildTestApp({ database, env });
  try {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const bodies: Buffer[] = [];
    for (const url of urls) {
      const response = await browser.get(url);
      expect(response.statusCode, url).toBe(200);
      bodies.push(response.rawPayload);
    }
    return bodies;
  } finally {
    await t.close();
  }
}

describe('moving files between PostgreSQL and the object store', () => {
  it('moves to the object store, checked and resumable; the site on it serves the same bytes; and moves back', async () => {
    const files = [pdfBytes('Payroll lessons. '.repeat(40_000)), pdfBytes('Shared services'), pdfBytes('Minutes'), pdfBytes('Budget')];
    const urls = await shareThrough({}, files);
    expect(await chunkRows()).toBeGreaterThan(files.length);

    // Cut short after one, then after a copy whose source was not yet removed.
    const first = await moveContents(database.db, postgres, bucket, { limit: 1 });
    expect(first).toMatchObject({ total: 4, moved: 1, skipped: 0, failed: [] });
    const copiedOnly = path.join(tempDir(), 'copied');
    fs.writeFileSync(copiedOnly, files[1]!);
    await bucket.put(sha256(files[1]!), { path: copiedOnly, byteSize: files[1]!.length });
    expect([await postgres.held(sha256(files[1]!)), await bucket.held(sha256(files[1]!))]).toEqual(['all', 'all']);
    const seen: number[] = [];
    const copiesOnDisk: number[] = [];
    const dirsBefore = moveDirs();
    const rest = await moveContents(database.db, postgres, bucket, {
      onProgress: (progress) => {
        seen.push(progress.seen);
        copiesOnDisk.push(temporaryCopies(dirsBefore));
      },
    });
    // Each file's temporary copy goes once it is moved: a move never holds the site's files twice.
    expect(copiesOnDisk.every((count) => count === 0)).toBe(true);
    expect(rest).toMatchObject({ total: 4, moved: 3, skipped: 1, failed: [], bytes: files.slice(1).reduce((sum, bytes) => sum + bytes.length, 0) });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(await chunkRows()).toBe(0);
    expect(await moveContents(database.db, postgres, bucket)).toMatchObject({ moved: 0, skipped: 4, failed: [] });

    const fromObjects = await downloadThrough(objects.env, urls);
    expect(fromObjects.map((bytes) => sha256(bytes))).toEqual(files.map(sha256));
    // Uploads go on meanwhile: a site on the object store adds one there.
    const [added] = await shareThrough(objects.env, [pdfBytes('Added while moving')]);

    const back = await moveContents(database.db, bucket, postgres);
    expect(back).toMatchObject({ total: 5, moved: 5, skipped: 0, failed: [] });
    for (const bytes of files) expect(await bucket.held(sha256(bytes))).toBe('none');
    const fromPostgres = await downloadThrough({}, [...urls, added!]);
    expect(fromPostgres.slice(0, 4).map((bytes) => sha256(bytes))).toEqual(files.map(sha256));
    expect(fromPostgres[4]!.toString()).toContain('Added while moving');
    // Four sites built and closed, three moves: a busy machine needs more than the default.
  }, 120_000);

  it('leaves contents the source holds only part of where they are, and says so', async () => {
    const [url] = await shareThrough({}, [pdfBytes('Half moved. '.repeat(50_000))]);
    const file = await database.db.selectFrom('files').select('storage_key').where('id', '=', Number(url!.split('/')[2])).executeTakeFirstOrThrow();
    await database.db.deleteFrom('file_blob_chunks').where('seq', '=', 1).where('blob_id', 'in', database.db.selectFrom('file_blobs').select('id').where('sha256', '=', Buffer.from(file.storage_key, 'hex'))).execute();
    const moved = await moveContents(database.db, postgres, bucket);
    expect(moved.failed).toEqual([{ key: file.storage_key, reason: 'only part of it is in the source' }]);
    expect(await postgres.held(file.storage_key)).toBe('some');
    expect(await bucket.held(file.storage_key)).toBe('none');
  });
});

describe('a bad copy at the destination', () => {
  /** Shares `bytes` through a site on PostgreSQL; their key. */
  const shared = async (bytes: Buffer) => {
    await shareThrough({}, [bytes]);
    return sha256(bytes);
  };
  const failureOf = (progress: MoveProgress, key: string) => progress.failed.find((failure) => failure.key === key);
  const holdsRightBytes = async (store: IndexedFileStore, key: string) => {
    const contents = await store.get(key);
    return contents ? sha256(Buffer.concat(await contents.toArray())) === key : false;
  };

  it('is replaced by the source\'s contents and checked, in the object store and in PostgreSQL', async () => {
    const key = await shared(pdfBytes('Planted wrong in the bucket. '.repeat(20_000)));
    const client = createS3Client(objects.config);
    await client.send(new PutObjectCommand({ Bucket: objects.config.bucket, Key: key, Body: Buffer.from('not the file') }));
    client.destroy();
    const there = await moveContents(database.db, postgres, bucket);
    expect(failureOf(there, key)).toBeUndefined();
    expect(await holdsRightBytes(bucket, key)).toBe(true);
    expect(await postgres.held(key)).toBe('none');

    // Chunks of the right sizes and wrong bytes, as a copy cut short and damaged would leave.
    const blob = await database.db.selectFrom('file_blobs').select(['id', 'byte_size', 'chunk_count']).where('sha256', '=', Buffer.from(key, 'hex')).executeTakeFirstOrThrow();
    for (let seq = 0; seq < blob.chunk_count; seq += 1) {
      const size = Math.min(CHUNK_BYTES, blob.byte_size - seq * CHUNK_BYTES);
      await database.db.insertInto('file_blob_chunks').values({ blob_id: blob.id, seq, data: Buffer.alloc(size, 'x') }).execute();
    }
    expect(await postgres.held(key)).toBe('all');
    const back = await moveContents(database.db, bucket, postgres);
    expect(failureOf(back, key)).toBeUndefined();
    expect(await holdsRightBytes(postgres, key)).toBe(true);
    expect(await bucket.held(key)).toBe('none');
  }, 60_000);

  it('that cannot be removed leaves the source where it is', async () => {
    const key = await shared(pdfBytes('Planted wrong for good.'));
    const client = createS3Client(objects.config);
    await client.send(new PutObjectCommand({ Bucket: objects.config.bucket, Key: key, Body: Buffer.from('not the file') }));
    client.destroy();
    class KeepingEverything extends S3FileStore {
      override async dropContents(): Promise<void> {}
    }
    const keeping = new KeepingEverything(database.db, objects.config);
    try {
      const moved = await moveContents(database.db, postgres, keeping);
      expect(failureOf(moved, key)).toEqual({ key, reason: expect.stringMatching(/^the copy /) });
      expect(await holdsRightBytes(postgres, key)).toBe(true);
    } finally {
      keeping.close();
    }
  }, 60_000);
});

describe('an object store that refuses access', () => {
  it('is not taken to be missing the object, and the error says what to check', async () => {
    const key = await (async () => {
      const bytes = pdfBytes('Refused.');
      await shareThrough(objects.env, [bytes]);
      return sha256(bytes);
    })();
    const refused = new S3FileStore(database.db, { ...objects.config, accessKeyId: 'NOT-S3RVER' });
    try {
      await expect(refused.held(key)).rejects.toThrow(/\(403\).*s3:ListBucket/);
      await expect(refused.get(key)).rejects.toThrow(/\(403\).*s3:ListBucket/);
    } finally {
      refused.close();
    }
  });
});

describe('npm run files', () => {
  it('refuses a command line it does not understand, before opening any database', async () => {
    for (const args of [[], ['move', '--to', 'sideways'], ['move', '--to', 's3', '--limit', '0']]) {
      const run = runNode('cli/files.js', {}, args);
      expect(await run.exited, args.join(' ')).toBe(2);
      expect(run.output()).toContain('usage:');
    }
    // Three processes started one after another.
  }, 60_000);
});
