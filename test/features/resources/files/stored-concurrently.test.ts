import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../../src/db/database.js';
import { inTransaction } from '../../../../src/db/transaction.js';
import { insertFiles } from '../../../../src/features/resources/files/queries.js';
import type { ReceivedFile } from '../../../../src/features/resources/files/received-file.js';
import { withStoredFiles } from '../../../../src/features/resources/files/service.js';
import { PostgresFileStore } from '../../../../src/features/resources/files/storage.js';
import { HttpError } from '../../../../src/lib/errors.js';
import { createTestDatabase } from '../../../support/database.js';
import { createMember } from '../../../support/members.js';
import { createResourceRow } from '../../../support/uploads.js';

/**
 * Two requests storing the same bytes at once, one of them refused: the refused one's cleanup
 * must never take contents the other is still writing or about to attach, whether the other is
 * in this process (claims) or another (a second store stands in for it).
 */

let database: Database;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-concurrent-'));

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A PDF-sized upload of random bytes, as receiveForm leaves it. */
function receivedFile(byteSize: number): ReceivedFile & { bytes: Buffer } {
  const bytes = randomBytes(byteSize);
  const tempPath = path.join(dir, randomBytes(8).toString('hex'));
  fs.writeFileSync(tempPath, bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { field: 'file', tempPath, name: 'report.pdf', byteSize, sha256, contentType: 'application/pdf', width: null, height: null, bytes };
}

const blobOf = (key: string) => database.db.selectFrom('file_blobs').select(['id', 'stored_at']).where('sha256', '=', Buffer.from(key, 'hex')).executeTakeFirst();

async function read(store: PostgresFileStore, key: string): Promise<Buffer | undefined> {
  const stream = await store.get(key);
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves once the blob for `key` has chunks but is not yet whole: a put is under way. */
async function whileWriting(key: string): Promise<void> {
  for (;;) {
    const blob = await blobOf(key);
    if (blob && blob.stored_at === null) {
      const chunk = await database.db.selectFrom('file_blob_chunks').select('seq').where('blob_id', '=', blob.id).limit(1).executeTakeFirst();
      if (chunk) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function attachTo(file: ReceivedFile): Promise<number[]> {
  const sharer = await createMember(database.db);
  const resourceId = await createResourceRow(database.db, sharer.id);
  return inTransaction(database.db, (trx) => insertFiles(trx, [file], { resourceId }, sharer.id));
}

const refused = () => Promise.reject(new HttpError(422, 'Refused for its other fields.'));

describe('the same bytes stored by two requests at once', () => {
  it('in one process: a refused request’s cleanup leaves the contents another is writing, and they attach', async () => {
    const store = new PostgresFileStore(database.db);
    const file = receivedFile(16 * 1024 * 1024);
    const attaching = withStoredFiles({ fileStore: store }, [file], () => attachTo(file));
    await whileWriting(file.sha256);
    await expect(withStoredFiles({ fileStore: store }, [file], refused)).rejects.toThrow('Refused for its other fields.');
    expect(await attaching).toHaveLength(1);
    expect((await read(store, file.sha256))!.equals(file.bytes)).toBe(true);
  });

  it('alone, a refused request leaves no blob and no chunk behind', async () => {
    const store = new PostgresFileStore(database.db);
    const file = receivedFile(300 * 1024);
    await expect(withStoredFiles({ fileStore: store }, [file], refused)).rejects.toThrow('Refused for its other fields.');
    expect(await blobOf(file.sha256)).toBeUndefined();
    expect(await database.db.selectFrom('file_blob_chunks').select('blob_id').where('blob_id', 'not in', database.db.selectFrom('file_blobs').select('id')).execute()).toEqual([]);
  });

  it('across processes: contents forgotten while being written are written again', async () => {
    const store = new PostgresFileStore(database.db);
    const otherProcess = new PostgresFileStore(database.db);
    const file = receivedFile(16 * 1024 * 1024);
    const putting = store.put(file.sha256, { path: file.tempPath, byteSize: file.byteSize });
    await whileWriting(file.sha256);
    await otherProcess.release(file.sha256);
    await putting;
    expect((await blobOf(file.sha256))!.stored_at).not.toBeNull();
    expect((await read(store, file.sha256))!.equals(file.bytes)).toBe(true);
  });

  it('across processes: contents forgotten between storing and attaching are stored again and attached', async () => {
    const store = new PostgresFileStore(database.db);
    const otherProcess = new PostgresFileStore(database.db);
    const file = receivedFile(300 * 1024);
    let attempts = 0;
    const ids = await withStoredFiles({ fileStore: store }, [file], async () => {
      attempts += 1;
      if (attempts === 1) await otherProcess.release(file.sha256);
      return attachTo(file);
    });
    expect(ids).toHaveLength(1);
    expect(attempts).toBe(2);
    expect((await read(store, file.sha256))!.equals(file.bytes)).toBe(true);
  });
});
