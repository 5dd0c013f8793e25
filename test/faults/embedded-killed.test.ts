import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseFromPool, embeddedPool, type Database } from '../../src/db/database.js';
import { lockDataDir } from '../../src/db/data-dir.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { runNode, startServer, type ServerProcess } from '../support/process.js';
import { useTempDirs } from '../support/temp-dirs.js';
import { LOAD_SETTINGS, START_LIMIT_MS, openReplyForms, replyInLoop, seedThread, tally, type SentReply } from './support/site.js';

/**
 * `npm start` with nothing configured keeps its data in PGlite under DATA_DIR. The process is
 * killed outright (kill -9, the OOM killer, a pulled plug of a laptop) while members post, twice,
 * at different points: each time it must start again on the same directory, taking over
 * the dead process's lock, and in the end every acknowledged reply is there and the data
 * passes amcheck and agrees with its own counters.
 */
const CLIENTS = 4;
// How long members post before each kill: early in the first writes, and later once they run.
const KILL_AFTER_MS = [1_000, 2_500];

const tempDir = useTempDirs('faults-embedded');
const running: ServerProcess[] = [];
afterAll(() => {
  for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
});

/** The data directory's database, opened as the server opens it (locked, through its socket), for setting up. */
async function withDataDir<T>(dataDir: string, work: (db: Database['db']) => Promise<T>): Promise<T> {
  const unlock = lockDataDir(dataDir);
  const embedded = await startEmbeddedPostgres({ pgdataDir: path.join(dataDir, 'pgdata'), socketDir: tempDir() });
  const database = databaseFromPool(embeddedPool(embedded.socketDir, embedded.socketPort), 'the killed server’s database', true, { error: () => undefined }, () => embedded.close());
  try {
    return await work(database.db);
  } finally {
    await database.close();
    unlock();
  }
}

/** Every problem amcheck, the counters or a table read finds in the data directory; none when it is consistent. */
async function inconsistencies(pgdataDir: string, threadId: number): Promise<string[]> {
  const pglite = await PGlite.create({ dataDir: pgdataDir, extensions: { amcheck, pg_trgm } });
  try {
    const problems: string[] = [];
    await pglite.exec('create extension if not exists amcheck');
    const indexes = await pglite.query<{ name: string }>(
      `select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
        where am.amname = 'btree' and c.relnamespace = 'public'::regnamespace`,
    );
    for (const { name } of indexes.rows) {
      try {
        await pglite.query('select bt_index_check($1::regclass, true)', [name]);
      } catch (error) {
        problems.push(`index ${name}: ${(error as Error).message}`);
      }
    }
    const tables = await pglite.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public'`);
    for (const { name } of tables.rows) {
      try {
        await pglite.query(`select count(*) from "${name}"`);
      } catch (error) {
        problems.push(`table ${name}: ${(error as Error).message}`);
      }
    }
    const counts = await pglite.query<Record<string, number>>(
      `select t.post_count, t.reply_count, c.post_count as category_post_count, c.thread_count as category_thread_count,
              (select count(*)::int from posts p where p.thread_id = t.id) as posts,
              (select count(distinct position)::int from posts p where p.thread_id = t.id) as positions,
              (select max(position) from posts p where p.thread_id = t.id) as last_position
         from threads t join categories c on c.id = t.category_id where t.id = $1`,
      [threadId],
    );
    const row = counts.rows[0]!;
    const expected = { post_count: row.posts, reply_count: row.posts! - 1, category_post_count: row.posts, category_thread_count: 1, positions: row.posts, last_position: row.posts };
    for (const [name, value] of Object.entries(expected)) if (row[name] !== value) problems.push(`${name} is ${row[name]}, ${value} posts say`);
    return problems;
  } finally {
    await pglite.close();
  }
}

describe('the embedded database when its process is killed mid-write', () => {
  it('starts again on the same data directory each time, loses no acknowledged reply and stays consistent', async () => {
    const dataDir = tempDir();
    const lockPath = path.join(dataDir, 'commons.lock');
    const migrate = runNode('cli/migrate.js', { DATA_DIR: dataDir });
    expect(await migrate.exited).toBe(0);
    const { members, threadId } = await withDataDir(dataDir, (db) => seedThread(db, CLIENTS));
    const env = { ...LOAD_SETTINGS, DATA_DIR: dataDir };

    const sent: SentReply[] = [];
    const startSeconds: string[] = [];
    for (const [round, killAfter] of KILL_AFTER_MS.entries()) {
      const startedAt = Date.now();
      const { server, port } = await startServer(env, running, START_LIMIT_MS);
      startSeconds.push(((Date.now() - startedAt) / 1000).toFixed(1));
      const repliers = await openReplyForms(`http://127.0.0.1:${port}`, members, threadId);
      let loading = true;
      let acknowledgedThisRound = false;
      const replies = replyInLoop(repliers, `killed-${round}`, (sentThisRound) => {
        acknowledgedThisRound ||= sentThisRound.some((reply) => reply.status === 303);
        return loading;
      });
      try {
        // The kill comes while replies are being written, however slowly a loaded machine takes the first.
        await expect.poll(() => acknowledgedThisRound, { timeout: 60_000, interval: 50 }).toBe(true);
        await sleep(killAfter);
        server.child.kill('SIGKILL');
        await server.exited;
      } finally {
        loading = false;
        sent.push(...(await replies));
      }
      // The dead process's lock is left behind, for the next start to take over.
      expect(fs.readFileSync(lockPath, 'utf8').trim()).toBe(String(server.child.pid));
    }

    const startedAt = Date.now();
    const { server, port } = await startServer(env, running, START_LIMIT_MS);
    startSeconds.push(((Date.now() - startedAt) / 1000).toFixed(1));
    await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status, { timeout: 10_000, interval: 250 }).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const acknowledged = sent.filter((reply) => reply.status === 303).map((reply) => reply.body);
    const pglite = await PGlite.create({ dataDir: path.join(dataDir, 'pgdata'), extensions: { pg_trgm } });
    const stored = new Set((await pglite.query<{ body_source: string }>('select body_source from posts where thread_id = $1', [threadId])).rows.map((row) => row.body_source));
    await pglite.close();
    const problems = await inconsistencies(path.join(dataDir, 'pgdata'), threadId);
    console.log(
      `Embedded database killed: ${KILL_AFTER_MS.length} kill -9s after ${KILL_AFTER_MS.join(', ')} ms of posting by ${CLIENTS} members; ${sent.length} replies sent, answers ${JSON.stringify(tally(sent))}; ` +
        `${acknowledged.length} acknowledged, ${acknowledged.filter((body) => stored.has(body)).length} of them kept, ${stored.size - 1} replies stored in all; starts took ${startSeconds.join(', ')} s; problems found: ${problems.length}`,
    );

    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter((body) => !stored.has(body))).toEqual([]);
    expect(problems).toEqual([]);
  }, 300_000);
});
