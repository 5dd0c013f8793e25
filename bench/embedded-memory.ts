import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { FORUM_SIZES, type ForumSizeName } from './forum-seed.js';
import { seededRandom } from './forum-text.js';
import { Client } from './load.js';
import { EXPECTED_STATUS, nextRequest, planTraffic, signInPlanned, type TrafficKind, type TrafficPlan } from './mixed-traffic.js';
import { residentBytes, sampleResidentMemory, wasmMemory, type ChildServer } from './processes.js';
import { seededDatabase, startBenchApp } from './seeded-app.js';
import { quantile } from './stats.js';
import { APP_ENV, APP_NODE_ARGS } from './signed-in.js';
import { envInt, LogWatch, progress } from './site.js';
import { databaseFromPool, embeddedPool } from '../src/db/database.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { lockDataDir } from '../src/db/data-dir.js';

/**
 * `npm run bench:memory`: the resident memory (RSS) of `npm start` on the embedded database
 * (PGlite), read from the operating system, as the app is started by an operator:
 *
 * 1. the first start, in a fresh empty DATA_DIR (PGlite's initdb, then every migration): at
 *    ready, and after MEMORY_IDLE_SECONDS idle;
 * 2. the app stopped, the forum seeded into that DATA_DIR (MEMORY_FORUM_SIZE, bench/forum-seed.ts),
 *    and the app started again on it: at ready, and idle;
 * 3. MEMORY_REQUESTS requests of bench/mixed-traffic.ts's mix, MEMORY_CONCURRENCY at a time, by
 *    MEMORY_MEMBERS members signed in through /login: the peak, the latency of each kind, and
 *    RSS after MEMORY_IDLE_SECONDS idle.
 *
 * PGlite's own memory (its WebAssembly memory's size, and how much of it is resident) is read
 * from the app's /proc/<pid>/smaps beside each RSS (bench/processes.ts, wasmMemory).
 *
 * The app runs with npm start's node options (bench/signed-in.ts). The report is Markdown on
 * stdout; progress goes to stderr. The temporary DATA_DIR is removed at the end.
 */

const SIZE_NAME = (process.env.MEMORY_FORUM_SIZE?.trim() || 'small') as ForumSizeName;
const REQUESTS = envInt('MEMORY_REQUESTS', 3_000, 1, 1_000_000);
const CONCURRENCY = envInt('MEMORY_CONCURRENCY', 4, 1, 64);
const MEMBERS = envInt('MEMORY_MEMBERS', 20, 1, 500);
const IDLE_SECONDS = envInt('MEMORY_IDLE_SECONDS', 15, 0, 600);
const REQUEST_TIMEOUT_MS = 60_000;
// PGlite's initdb and every migration, or opening a seeded database, on a busy machine.
const START_LIMIT_MS = 300_000;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

interface Reading {
  when: string;
  rss: number;
  /** PGlite's WebAssembly memory: its size and how much of it is resident. */
  wasm: { sizeBytes: number; residentBytes: number } | undefined;
}

const reading = (app: ChildServer, when: string): Reading => ({ when, rss: residentBytes(app.pid), wasm: wasmMemory(app.pid) });

async function idle(app: ChildServer, when: string): Promise<Reading> {
  await sleep(IDLE_SECONDS * 1000);
  return reading(app, when);
}

/**
 * PostgreSQL's memory settings as the embedded database runs them, the database's size, and what
 * the members will do, read while the app is stopped (PGlite takes one process at a time).
 */
async function readStopped(dataDir: string): Promise<{ settings: string; plan: TrafficPlan }> {
  const unlock = lockDataDir(dataDir);
  const embedded = await startEmbeddedPostgres({ pgdataDir: path.join(dataDir, 'pgdata'), socketDir: dataDir });
  const database = databaseFromPool(embeddedPool(embedded.socketDir, embedded.socketPort, false), 'embedded', true, { error: () => undefined }, async () => {
    await embedded.close();
    unlock();
  });
  try {
    const { rows } = await sql<{ name: string; setting: string; unit: string | null }>`
      select name, setting, unit from pg_settings
      where name in ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'temp_buffers', 'wal_buffers', 'max_connections') order by name`.execute(database.db);
    const size = (setting: string, unit: string | null) => (unit === '8kB' ? `${(Number(setting) * 8) / 1024} MB` : unit === 'kB' ? `${Number(setting) / 1024} MB` : setting);
    const { rows: sized } = await sql<{ mb: number }>`select pg_database_size(current_database()) / 1048576 as mb`.execute(database.db);
    const settings = `${rows.map((row) => `${row.name} ${size(row.setting, row.unit)}`).join(', ')}; database ${sized[0]?.mb} MB`;
    return { settings, plan: await planTraffic(database.db, MEMBERS) };
  } finally {
    await database.close();
  }
}

async function main(): Promise<void> {
  if (!(SIZE_NAME in FORUM_SIZES)) throw new Error(`MEMORY_FORUM_SIZE must be one of ${Object.keys(FORUM_SIZES).join(', ')}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-memory-'));
  const logWatch = new LogWatch();
  const readings: Reading[] = [];
  const loadStart = os.loadavg();
  let app: ChildServer | undefined;
  let client: Client | undefined;
  try {
    // 1. The first start: initdb and every migration in the app's own process.
    app = await startBenchApp({ dataDir, env: {}, output: logWatch, readyLimitMs: START_LIMIT_MS });
    readings.push(reading(app, 'first start (empty DATA_DIR): ready'));
    readings.push(await idle(app, `first start: after ${IDLE_SECONDS} s idle`));
    await app.stop();
    app = undefined;

    // 2. The forum, seeded while the app is stopped (PGlite takes one process at a time).
    progress(`seeding the ${SIZE_NAME} forum into the embedded database`);
    const seeded = await seededDatabase(undefined, dataDir, FORUM_SIZES[SIZE_NAME], progress);
    const { settings, plan } = await readStopped(dataDir);
    app = await startBenchApp({ dataDir, env: {}, output: logWatch, readyLimitMs: START_LIMIT_MS });
    readings.push(reading(app, 'started on the seeded forum: ready'));
    readings.push(await idle(app, `seeded: after ${IDLE_SECONDS} s idle`));

    // 3. Traffic, then idle.
    client = new Client(new URL(app.origin), CONCURRENCY, REQUEST_TIMEOUT_MS);
    const peak = sampleResidentMemory(app.pid, 250);
    const targets = await signInPlanned(plan, client, app.origin);
    const random = seededRandom(6);
    const latencies = new Map<TrafficKind, number[]>();
    const unexpected: Record<string, number> = {};
    let issued = 0;
    const started = performance.now();
    const origin = app.origin;
    const worker = async () => {
      while (issued < REQUESTS) {
        issued += 1;
        const { kind, request } = nextRequest(targets, origin, random);
        const sentAt = performance.now();
        const response = await client!.request(request);
        (latencies.get(kind) ?? latencies.set(kind, []).get(kind)!).push(performance.now() - sentAt);
        if (response.status !== EXPECTED_STATUS[kind]) unexpected[`${kind} ${response.status}`] = (unexpected[`${kind} ${response.status}`] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;
    readings.push(reading(app, `right after ${REQUESTS.toLocaleString('en-AU')} requests`));
    const peakRss = peak.stop();
    readings.push(await idle(app, `after the requests and ${IDLE_SECONDS} s idle`));

    const lines: string[] = [];
    const cpus = os.cpus();
    lines.push(`Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}; load average at start ${loadStart.map((v) => v.toFixed(2)).join(' ')}, at end ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}.`);
    const environment = Object.entries(APP_ENV).map(([name, value]) => `${name}=${value}`).join(' ') || 'nothing';
    lines.push(`App: dist/src/server.js with node ${APP_NODE_ARGS.join(' ')} and ${environment} in its environment (BENCH_APP_NODE_ARGS and BENCH_APP_ENV, or npm start's), embedded PGlite. Data: the ${SIZE_NAME} forum (${seeded.forum.counts.members.toLocaleString('en-AU')} members, ${seeded.forum.counts.threads.toLocaleString('en-AU')} threads, ${seeded.forum.counts.posts.toLocaleString('en-AU')} posts).`);
    lines.push(`PostgreSQL settings: ${settings}.`);
    lines.push('');
    lines.push("| When | RSS | WebAssembly memory: size | resident |");
    lines.push('|---|---:|---:|---:|');
    for (const read of readings) lines.push(`| ${read.when} | ${mib(read.rss)} | ${read.wasm ? mib(read.wasm.sizeBytes) : '–'} | ${read.wasm ? mib(read.wasm.residentBytes) : '–'} |`);
    lines.push(`| peak during the requests | ${mib(peakRss)} | | |`);
    lines.push('');
    lines.push(`${REQUESTS.toLocaleString('en-AU')} requests, ${CONCURRENCY} at a time, in ${fixed(seconds)} s (${fixed(REQUESTS / seconds)}/s). Unexpected answers: ${Object.keys(unexpected).length === 0 ? 'none' : Object.entries(unexpected).map(([what, n]) => `${n} × ${what}`).join(', ')}.`);
    lines.push('');
    lines.push('| Kind | Requests | p50 ms | p99 ms |');
    lines.push('|---|---:|---:|---:|');
    for (const [kind, values] of latencies) lines.push(`| ${kind} | ${values.length} | ${fixed(quantile(values, 0.5))} | ${fixed(quantile(values, 0.99))} |`);
    lines.push('');
    lines.push(`App log: ${logWatch.counts.warn} warnings, ${logWatch.counts.error} errors.`);
    console.log(lines.join('\n'));
  } finally {
    client?.close();
    await app?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    progress('cleaned up (app, temporary DATA_DIR)');
  }
}

await main();
