import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { Kysely } from 'kysely';
import type { ObjectStorageConfig } from '../../../config.js';
import type { DB } from '../../../db/schema.js';
import { IndexedFileStore, type BlobRow, type BytesHeld } from './blob-index.js';
import type { FileSource } from './storage.js';

const CONNECT_TIMEOUT_MS = 2_000;
const IDLE_TIMEOUT_MS = 60_000;

export function createS3Client(config: ObjectStorageConfig): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    // Checksums only where S3 requires them: put sends the SHA-256 it already has (the key)
    // itself, and not every S3-compatible store takes the SDK's default trailing CRC32.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The SDK waits forever by default: an unreachable store fails fast, as the database does
    // (connectionTimeoutMillis), and a stalled transfer is given up after a silence long enough
    // for a download to a slow reader, whose socket idles while the reply drains.
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS },
  });
}

const isMissing = (error: unknown) => error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404;

/**
 * An S3-compatible object store: one object per blob, named by its key, in one bucket. The
 * file_blobs row stays the index of what is stored (blob-index.ts), so attaching, releasing and
 * housekeeping lock the same rows as with PostgreSQL; only the bytes live elsewhere. Objects are
 * written whole by one PutObject streamed from the upload's temporary file (S3 shows an object
 * only once all of it has arrived, so there is nothing half-written to clean up), and S3 checks
 * them against the SHA-256 sent with them.
 */
export class S3FileStore extends IndexedFileStore {
  constructor(
    db: Kysely<DB>,
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {
    super(db);
  }

  protected async writeContents(_blob: BlobRow, key: string, source: FileSource): Promise<boolean> {
    await this.putObject(key, createReadStream(source.path), source.byteSize);
    return true;
  }

  /** Uploads `body` as the object for `key`; refused by S3 unless its SHA-256 is the key. */
  private async putObject(key: string, body: Readable, byteSize: number): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: byteSize, ContentType: 'application/octet-stream', ChecksumSHA256: Buffer.from(key, 'hex').toString('base64') }),
    );
  }

  protected async bytesHeld(_blob: BlobRow, key: string): Promise<BytesHeld> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return 'all';
    } catch (error) {
      if (isMissing(error)) return 'none';
      throw error;
    }
  }

  protected async readContents(_blob: BlobRow, key: string): Promise<Readable | undefined> {
    return this.getObject(key);
  }

  /** The object's bytes as they arrive, or undefined when there is no such object. */
  private async getObject(key: string): Promise<Readable | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      // In Node the SDK's body is the HTTP response itself, a Readable.
      return object.Body as Readable;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  protected async removeContents(keys: readonly string[]): Promise<void> {
    // One request each: housekeeping removes at most a few dozen at a time, and DeleteObjects
    // needs a checksum header that S3-compatible stores disagree on.
    for (const key of keys) await this.deleteObject(key);
  }

  close(): void {
    this.client.destroy();
  }

  async dropContents(key: string): Promise<void> {
    await this.deleteObject(key);
  }

  /** Deletes the object for `key`; deleting one that is not there is no error. */
  private async deleteObject(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
