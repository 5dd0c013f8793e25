import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedPool, type Database } from '../../../src/db/database.js';
import { startEmbeddedPostgres } from '../../../src/db/embedded.js';
import { createTestDatabase } from '../../support/database.js';

// The pool names every parameterised statement, so PostgreSQL prepares it once per connection
// (src/db/database.ts). These are the ways a prepared statement can outlive what it was made for.

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('prepared statements', () => {
  it('on the embedded database, a new connection prepares again what a closed one had prepared', async () => {
    const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-prepared-'));
    const embedded = await startEmbeddedPostgres({ socketDir });
    const pool = embeddedPool(embedded.socketDir, embedded.socketPort);
    closers.push(async () => {
      await pool.end();
      await embedded.close();
      fs.rmSync(socketDir, { recursive: true, force: true });
    });
    const first = await pool.connect();
    expect((await first.query('select $1::int + 1 as answer', [41])).rows).toEqual([{ answer: 42 }]);
    // Closed, as the pool closes an idle or failed connection; PGlite, one backend for every
    // connection, still holds what it prepared.
    first.release(true);
    // The socket serves one connection at a time: the next is taken once this one has gone.
    await sleep(500);
    const second = await pool.connect();
    try {
      expect((await second.query('select $1::int + 1 as answer', [41])).rows).toEqual([{ answer: 42 }]);
    } finally {
      second.release();
    }
  });

  it('fails once, not at every request, after a migration changes the type of a column a statement returns', async () => {
    const database: Database = await createTestDatabase();
    closers.push(() => database.close());
    await sql`create table stale_plan (id integer primary key, amount integer)`.execute(database.db);
    await sql`insert into stale_plan values (1, 7)`.execute(database.db);
    const amount = () => sql<{ amount: unknown }>`select amount from stale_plan where id = ${1}`.execute(database.db);
    for (let i = 0; i < 3; i += 1) expect((await amount()).rows).toEqual([{ amount: 7 }]);

    await sql`alter table stale_plan alter column amount type text`.execute(database.db);
    await expect(amount()).rejects.toMatchObject({ code: '0A000' });
    expect((await amount()).rows).toEqual([{ amount: '7' }]);
    expect((await amount()).rows).toEqual([{ amount: '7' }]);
  });
});
