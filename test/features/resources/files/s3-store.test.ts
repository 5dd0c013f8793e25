import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HeadObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl } from '../../../../src/features/resources/files/filename.js';
import { createS3Client, S3FileStore } from '../../../../src/features/resources/files/s3-store.js';
import type { Browser } from '../../../support/app.js';
import { memberWithBrowser } from '../../../support/discussions.js';
import { pdfBytes } from '../../../support/file-fixtures.js';
import { createTestDatabase } from '../../../support/database.js';
import { describeFileStoreContract } from '../../../support/file-store-contract.js';
import type { TestMember } from '../../../support/members.js';
import { filePart, guideFields, resourceIdFrom, shareWithFiles } from '../../../support/resources.js';
import { startObjectStore, type TestObjectStore } from '../../../support/s3.js';
import { useTempDirs } from '../../../support/temp-dirs.js';
import { buildUploadTestApp, type UploadTestApp } from '../../../support/uploads.js';

describeFileStoreContract('S3FileStore', async (database) => {
  const objects = await startObjectStore();
  const client = createS3Client(objects.config);
  const store = new S3FileStore(database.db, objects.config);
  return {
    store,
    // Only "no such object" is false: a store that is down fails the test rather than passing it.
    holdsBytes: async (key) =>
      client.send(new HeadObjectCommand({ Bucket: objects.config.bucket, Key: key })).then(
        () => true,
        (error: unknown) => {
          if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return false;
          throw error;
        },
      ),
    dropBytes: (key) => store.dropContents(key),
    close: async () => {
      store.close();
      client.destroy();
      await objects.close();
    },
  };
});

describe('the site with its files in an object store', () => {
  let objects: TestObjectStore;
  let t: UploadTestApp;
  let sharer: { member: TestMember; browser: Browser };
  let reader: { member: TestMember; browser: Browser };

  beforeAll(async () => {
    objects = await startObjectStore();
    t = await buildUploadTestApp({ env: objects.env });
    sharer = await memberWithBrowser(t.app, t.db);
    reader = await memberWithBrowser(t.app, t.db);
  });
  afterAll(async () => {
    await t?.close();
    await objects?.close();
  });

  it('stores a file shared through the form in the bucket, gives members the same bytes, and refuses those who may not see it', async () => {
    // Several 256 KB chunks' worth, so nothing of PostgreSQL's chunking is at work.
    const pdf = pdfBytes('Payroll lessons. '.repeat(60_000));
    const response = await shareWithFiles(t.app, sharer.browser, guideFields(sharer.member.agencyId), [filePart('Payroll lessons.pdf', pdf)]);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const resourceId = resourceIdFrom(response.headers.location);
    const file = await t.db.selectFrom('files').select(['id', 'name', 'storage_key']).where('resource_id', '=', resourceId).executeTakeFirstOrThrow();
    expect(file.storage_key).toBe(createHash('sha256').update(pdf).digest('hex'));
    expect(await t.db.selectFrom('file_blob_chunks').select('seq').execute()).toEqual([]);
    const client = createS3Client(objects.config);
    const head = await client.send(new HeadObjectCommand({ Bucket: objects.config.bucket, Key: file.storage_key }));
    client.destroy();
    expect(head.ContentLength).toBe(pdf.length);

    const download = await reader.browser.get(fileUrl(file));
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename="Payroll lessons.pdf"');
    expect(download.rawPayload.equals(pdf)).toBe(true);

    const signedOut = await t.app.inject({ method: 'GET', url: fileUrl(file) });
    expect(signedOut.statusCode).toBe(303);
    expect(signedOut.headers.location).toBe(`/login?next=${encodeURIComponent(fileUrl(file))}`);
    await t.db.updateTable('resources').set({ removed_at: sql`now()`, removed_by: sharer.member.id }).where('id', '=', resourceId).execute();
    expect((await reader.browser.get(fileUrl(file))).statusCode).toBe(404);
  });
});

/**
 * A TCP relay to `port` that cuts the first connection carrying a PUT once 64 KB of it has
 * passed, as a network failing mid-upload does; how many it cut.
 */
async function relayCuttingFirstPut(port: number): Promise<{ endpoint: string; cut: () => number; close: () => Promise<void> }> {
  let cut = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let putBytes = 0;
    client.on('data', (chunk: Buffer) => {
      if (putBytes > 0 || chunk.subarray(0, 4).toString() === 'PUT ') putBytes += chunk.length;
      if (cut === 0 && putBytes > 64 * 1024) {
        cut += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      socket.on('error', () => other.destroy());
      socket.on('close', () => other.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut: () => cut,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a PUT cut short by the network', () => {
  const tempDir = useTempDirs('s3-put');

  it('is sent again with the file read afresh, not hung on the spent stream', async () => {
    const database = await createTestDatabase();
    const objects = await startObjectStore();
    const relay = await relayCuttingFirstPut(Number(new URL(objects.config.endpoint).port));
    const store = new S3FileStore(database.db, { ...objects.config, endpoint: relay.endpoint });
    try {
      const bytes = randomBytes(1024 * 1024);
      const key = createHash('sha256').update(bytes).digest('hex');
      const file = path.join(tempDir(), 'upload');
      fs.writeFileSync(file, bytes);
      await store.put(key, { path: file, byteSize: bytes.length });
      expect(relay.cut()).toBe(1);
      const contents = await store.get(key);
      expect(Buffer.concat(await contents!.toArray()).equals(bytes)).toBe(true);
    } finally {
      store.close();
      await relay.close();
      await objects.close();
      await database.close();
    }
  }, 20_000);
});
