import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * The embedded PostgreSQL: PGlite in this process, served on a unix socket that only this
 * account can open, so the app reaches it through `pg` exactly as it reaches a real server.
 * PGlite is one backend: the pool in front of it must hold exactly one connection.
 */
export interface EmbeddedPostgres {
  /** The directory holding the socket, for pg's `host`. */
  socketDir: string;
  socketPort: number;
  /** The whole data directory as a tarball (PGlite's dumpDataDir), to start copies from. */
  dump(): Promise<Blob>;
  close(): Promise<void>;
}

// pg finds a unix socket as `${host}/.s.PGSQL.${port}`; the port is only part of the file name.
const SOCKET_PORT = 5432;
// sun_path holds 108 bytes on Linux; leave room for the file name.
const MAX_SOCKET_DIR_LENGTH = 90;

export interface EmbeddedOptions {
  /** Where PGlite keeps its files; undefined keeps them in memory (tests). */
  pgdataDir?: string;
  /** Where the socket goes; falls back to a private temporary directory when the path is too long. */
  socketDir: string;
  /** A data directory dump to start from (tests start every database from one migrated template). */
  loadDataDir?: Blob;
}

/**
 * PostgreSQL's settings for the one embedded backend, chosen for memory (BENCHMARKS.md,
 * "The embedded database's memory"). PGlite's WebAssembly memory grows and never shrinks,
 * and PGlite's initdb sizes shared_buffers as for a server (128 MB); nearly all of it became
 * resident. The data of a trial forum is cached by the operating system's page cache as well,
 * so a smaller pool costs a read() rather than a disk seek. maintenance_work_mem bounds what
 * one CREATE INDEX or VACUUM (a migration, autovacuum) could add to the memory for good.
 */
const EMBEDDED_SETTINGS = {
  shared_buffers: '16MB',
  maintenance_work_mem: '16MB',
};

const EMBEDDED_START_PARAMS = [...PGlite.defaultStartParams, ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])];

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const db = await PGlite.create({
    // Trigram matching (search's near misses, migration 0025): a contrib extension PGlite loads on request.
    extensions: { pg_trgm },
    startParams: EMBEDDED_START_PARAMS,
    ...(options.pgdataDir ? { dataDir: options.pgdataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  let socketDir = options.socketDir;
  let ownsSocketDir = false;
  if (socketDir.length > MAX_SOCKET_DIR_LENGTH) {
    socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-'));
    ownsSocketDir = true;
  }
  const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  fs.rmSync(socketPath, { force: true });
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 1 });
  const previousUmask = process.umask(0o177);
  try {
    await server.start();
  } finally {
    process.umask(previousUmask);
  }
  fs.chmodSync(socketPath, 0o600);

  return {
    socketDir,
    socketPort: SOCKET_PORT,
    dump: () => db.dumpDataDir('none') as Promise<Blob>,
    async close() {
      await server.stop();
      await db.close();
      fs.rmSync(socketPath, { force: true });
      if (ownsSocketDir) fs.rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
