import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import type { ObjectStorageConfig } from '../../src/config.js';
import { useTempDirs } from './temp-dirs.js';

export interface TestObjectStore {
  config: ObjectStorageConfig;
  /** The settings that put an app's files in this store. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A local S3 (s3rver) in this process, on a free port, keeping its objects in a temporary
 * directory removed after the calling scope's tests; the bucket is made empty.
 */
export async function startObjectStore(makeDir: () => string = useTempDirs('s3')): Promise<TestObjectStore> {
  const bucket = 'commons-files';
  // s3rver accepts its own fixed credentials only.
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: makeDir(), configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = (await server.run()) as AddressInfo;
  const config: ObjectStorageConfig = { endpoint: `http://127.0.0.1:${port}`, bucket, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1', forcePathStyle: true };
  return {
    config,
    env: { S3_ENDPOINT: config.endpoint, S3_BUCKET: bucket, S3_ACCESS_KEY_ID: config.accessKeyId, S3_SECRET_ACCESS_KEY: config.secretAccessKey },
    close: () => server.close(),
  };
}
