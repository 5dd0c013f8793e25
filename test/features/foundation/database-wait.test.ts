import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runNode, waitForOutput, type ServerProcess } from '../../support/process.js';

/**
 * A container started beside its database: the database may not answer yet. Commons waits for
 * it (DATABASE_WAIT_SECONDS), and when it never answers, says which one in one log line and exits 1.
 */
const made: string[] = [];
const running: ServerProcess[] = [];
afterAll(() => {
  for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function start(env: Record<string, string>): ServerProcess {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-db-wait-'));
  made.push(dataDir);
  const server = runNode('server.js', { DATA_DIR: dataDir, ...env });
  running.push(server);
  return server;
}

const PRODUCTION = {
  NODE_ENV: 'production',
  SMTP_URL: 'smtps://relay.example.gov.au',
  SESSION_SECRET: 'x'.repeat(48),
  PUBLIC_URL: 'https://commons.example.gov.au',
  CONTACT_EMAIL: 'operators@example.gov.au',
  TRUST_PROXY: '1',
};

describe('an unreachable database at start-up', () => {
  it('says which database in one JSON line, password masked, and exits 1 without a stack trace', async () => {
    const closedPort = await freePort();
    const server = start({ ...PRODUCTION, PORT: String(await freePort()), DATABASE_URL: `postgres://commons:hunter2-secret@127.0.0.1:${closedPort}/commons`, DATABASE_WAIT_SECONDS: '1' });
    expect(await server.exited).toBe(1);
    const lines = server.output().split('\n').filter(Boolean);
    const failures = lines.filter((line) => line.includes('could not reach the database'));
    expect(failures).toHaveLength(1);
    const failure = JSON.parse(failures[0]!) as Record<string, unknown>;
    expect(failure).toMatchObject({ level: 50, database: `PostgreSQL at postgres://commons:****@127.0.0.1:${closedPort}/commons`, error: expect.stringContaining('ECONNREFUSED') });
    // Every line is a JSON log line: no uncaught error, no stack, no password.
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(server.output()).not.toContain('hunter2-secret');
    expect(server.output()).not.toMatch(/MigrationFailed|\n\s+at /);
  }, 60_000);

  it('waits for a database that comes up later, then starts', async () => {
    const dbPort = await freePort();
    const port = await freePort();
    const server = start({ PORT: String(port), DATABASE_URL: `postgres://postgres@127.0.0.1:${dbPort}/postgres`, DATABASE_POOL_SIZE: '1', DATABASE_WAIT_SECONDS: '120' });
    await waitForOutput(server, 'waiting for the database', 60_000);

    // Standing in for a PostgreSQL server, with the contrib extension the migrations create (0025).
    const pglite = await PGlite.create({ extensions: { pg_trgm } });
    const socket = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: dbPort, maxConnections: 1 });
    await socket.start();
    try {
      await waitForOutput(server, 'Commons is ready', 60_000);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await socket.stop();
      await pglite.close();
    }
  }, 180_000);
});
