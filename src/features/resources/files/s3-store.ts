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
// Until the reply's headers: a HEAD, a DELETE, or a GET before its body streams.
const REPLY_TIMEOUT_MS = 30_000;
// A PUT's reply comes once its body is sent: the same, plus the body at a rate any store manages.
const PUT_MIN_BYTES_PER_SECOND = 1024 * 1024;
const PUT_ATTEMPTS = 3;

/**
 * A client for `config`'s store. `maxAttempts` 1 for puts: the SDK retries a PUT by sending its
 * body again, and a stream body, already read, never ends (aws-sdk-js-v3 issue 5479), so
 * S3FileStore retries puts itself, each time with the file opened afresh.
 */
export function createS3Client(config: ObjectStorageConfig, maxAttempts?: number): S3Client {
  return new S3Client({
    maxAttempts,
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
    // for a download to a slow reader, whose socket idles while the reply drains. A request whose
    // reply has not begun in time fails too, so no call holds the row lock and pooled connection
    // of a release or housekeeping for long (docs/decisions/0026-object-storage.md).
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS, requestTimeout: REPLY_TIMEOUT_MS, throwOnRequestTimeout: true },
  });
}

const statusOf = (error: unknown) => (error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined);
const isMissing = (error: unknown) => statusOf(error) === 404;
// Refused by the store (a bad request, a wrong checksum, no access): sending it again changes nothing.
const isRefused = (error: unknown) => {
  const status = statusOf(error);
  return status !== undefined && status >= 400 && status < 500;
};

/**
 * Amazon S3 answers 403, not 404, for a missing object when the key may not list the bucket.
 * A 403 is never taken for "missing" (a move would then copy over, or delete, what is there):
 * the operator is told what to check instead.
 */
function explained(error: unknown, key: string): unknown {
  if (statusOf(error) !== 403) return error;
  return new Error(
    `the object store refused access to ${key} (403): check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, and that the key may get, put and delete objects in S3_BUCKET and list the bucket (s3:ListBucket; without it Amazon S3 answers 403 for a missing object)`,
    { cause: error },
  );
}

/**
 * An S3-compatible object store: one object per blob, named by its key, in one bucket. The
 * file_blobs row stays the index of what is stored (blob-index.ts), so attaching, releasing and
 * housekeeping lock the same rows as with PostgreSQL; only the bytes live elsewhere. Objects are
 * written whole by one PutObject streamed from the upload's temporary file (S3 shows an object
 * only once all of it has arrived, so there is nothing half-written to clean up), and S3 checks
 * them against the SHA-256 sent with them.
 */
export class S3FileStore extends IndexedFileStore {
  private readonly client: S3Client;
  private readonly putClient: S3Client;
  private readonly bucket: string;

  constructor(db: Kysely<DB>, config: ObjectStorageConfig) {
    super(db);
    this.client = createS3Client(config);
    this.putClient = createS3Client(config, 1);
    this.bucket = config.bucket;
  }

  protected async writeContents(_blob: BlobRow, key: string, source: FileSource): Promise<boolean> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.putObject(key, createReadStream(source.path), source.byteSize);
        return true;
      } catch (error) {
        if (attempt >= PUT_ATTEMPTS || isRefused(error)) throw explained(error, key);
      }
    }
  }

  /** Uploads `body` as the object for `key`; refused by S3 unless its SHA-256 is the key. */
  private async putObject(key: string, body: Readable, byteSize: number): Promise<void> {
    await this.putClient.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: byteSize, ContentType: 'application/octet-stream', ChecksumSHA256: Buffer.from(key, 'hex').toString('base64') }),
      { requestTimeout: REPLY_TIMEOUT_MS + Math.ceil((byteSize / PUT_MIN_BYTES_PER_SECOND) * 1000) },
    );
  }

  protected async bytesHeld(_blob: BlobRow, key: string): Promise<BytesHeld> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return 'all';
    } catch (error) {
      if (isMissing(error)) return 'none';
      throw explained(error, key);
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
      throw explained(error, key);
    }
  }

  protected async removeContents(keys: readonly string[]): Promise<void> {
    // One request each: housekeeping removes at most a few dozen at a time, and DeleteObjects
    // needs a checksum header that S3-compatible stores disagree on.
    for (const key of keys) await this.deleteObject(key);
  }

  close(): void {
    this.client.destroy();
    this.putClient.destroy();
  }

  async dropContents(key: string): Promise<void> {
    await this.deleteObject(key);
  }

  /** Deletes the object for `key`; deleting one that is not there is no error. */
  private async deleteObject(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw explained(error, key);
    }
  }
}
