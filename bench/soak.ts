import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { databaseFromPool, serverPool } from '../src/db/database.js';
import { columnChart, escapeXml } from '../src/lib/svg-chart.js';
import { FORUM_SIZES, type ForumSizeName } from './forum-seed.js';
import { seededRandom } from './forum-text.js';
import type { EventLoopFigures } from './event-loop-probe.js';
import { Client, isError } from './load.js';
import { EXPECTED_STATUS, nextRequest, planTraffic, signInPlanned, TRAFFIC_MIX, type TrafficKind } from './mixed-traffic.js';
import { residentBytes, type ChildServer } from './processes.js';
import { seededDatabase, startBenchApp } from './seeded-app.js';
import { quantile } from './stats.js';
import { envInt, LogWatch, progress } from './site.js';

/**
 * `npm run bench:soak`: the real app (dist/src/server.js, in a process of its own, so its memory
 * is its own and the load client does not share its event loop) on a fresh database of the
 * PostgreSQL server at DATABASE_URL, seeded with a forum, driven for SOAK_MINUTES at a steady
 * SOAK_RATE requests a second by SOAK_MEMBERS members signed in through /login: the mix of
 * bench/mixed-traffic.ts. Requests are sent on a fixed schedule whether or not earlier ones have
 * answered (an open loop), so a slow minute shows as latency, not as fewer requests.
 *
 * Each minute it reads the app's RSS (from the operating system), the app's own event-loop delay
 * (bench/event-loop-probe.ts, loaded into the app with --import, answering over IPC), the p50
 * and p99 of the requests sent that minute, and the connections to the database
 * (pg_stat_activity). The report (Markdown) goes to stdout, the plot of memory and p99 to
 * SOAK_SVG (docs/soak.svg), progress to stderr. The database is dropped at the end.
 */

const MINUTES = envInt('SOAK_MINUTES', 30, 1, 24 * 60);
const RATE = envInt('SOAK_RATE', 20, 1, 1_000);
const MEMBERS = envInt('SOAK_MEMBERS', 20, 1, 500);
const SIZE_NAME = (process.env.SOAK_FORUM_SIZE?.trim() || 'small') as ForumSizeName;
const SVG_PATH = path.resolve(process.env.SOAK_SVG?.trim() || 'docs/soak.svg');
// Minutes left out of the flatness verdict while caches, the JIT and the pool fill.
const WARMUP_MINUTES = Math.min(5, Math.floor(MINUTES / 3));
// The verdict compares the mean of the last this-many minutes with the first as many after warm-up.
const WINDOW_MINUTES = Math.max(1, Math.min(10, Math.floor((MINUTES - WARMUP_MINUTES) / 2)));
const FLAT_WITHIN = 0.1;
// Requests still unanswered past this are counted as failures.
const REQUEST_TIMEOUT_MS = 30_000;
// More than this many unanswered at once means the app has fallen behind: new ones are skipped and counted.
const MAX_IN_FLIGHT = 256;
const MINUTE_MS = 60_000;

interface Minute {
  minute: number;
  requests: number;
  failures: number;
  skipped: number;
  p50Ms: number;
  p99Ms: number;
  rssBytes: number;
  eventLoop: EventLoopFigures;
  connections: number;
  /** The machine's one-minute load average as the minute ends: other work shows here. */
  load: number;
}

const mib = (bytes: number) => bytes / 1024 / 1024;
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

let stopRequested = false;
process.once('SIGINT', () => {
  stopRequested = true;
  progress('interrupted: finishing this minute, then cleaning up (Ctrl-C again to kill)');
});

function askEventLoop(app: ChildServer): Promise<EventLoopFigures> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the app did not report its event-loop delay within 10 s')), 10_000);
    app.child.once('message', (figures) => {
      clearTimeout(timer);
      resolve(figures as EventLoopFigures);
    });
    app.child.send('event-loop');
  });
}

/** Whether the last window's mean is within FLAT_WITHIN of the first window's after warm-up. */
function flatness(values: number[]): { first: number; last: number; change: number; flat: boolean } {
  const measured = values.slice(WARMUP_MINUTES);
  const first = mean(measured.slice(0, WINDOW_MINUTES));
  const last = mean(measured.slice(-WINDOW_MINUTES));
  const change = (last - first) / first;
  return { first, last, change, flat: Math.abs(change) <= FLAT_WITHIN };
}

/** Memory and p99 by minute, as one SVG file that shows on its own (its own styles for the chart's classes). */
function soakSvg(minutes: Minute[]): string {
  const label = (minute: Minute) => `${minute.minute}`;
  const labelEvery = Math.max(1, Math.ceil(minutes.length / 10));
  const charts = [
    columnChart({ id: 'soak-rss', title: 'App RSS (MiB) by minute', description: `The app's resident memory at the end of each minute of the soak, ${minutes.length} minutes.` }, minutes.map((m) => ({ label: label(m), value: Math.round(mib(m.rssBytes)) })), labelEvery),
    columnChart({ id: 'soak-p99', title: 'p99 latency (ms) by minute', description: `The 99th percentile of the requests sent in each minute of the soak, ${minutes.length} minutes.` }, minutes.map((m) => ({ label: label(m), value: Math.round(m.p99Ms) })), labelEvery),
  ];
  const chartHeight = 184;
  const heading = 20;
  const blocks = charts.map((chart, index) => {
    const top = index * (chartHeight + heading);
    const title = index === 0 ? 'App RSS (MiB), by minute' : 'p99 latency (ms), by minute';
    return [`<text x="4" y="${top + 14}" font-weight="bold">${escapeXml(title)}</text>`, chart.replace('width="100%"', `x="0" y="${top + heading}" width="320" height="${chartHeight}"`)].join('\n');
  });
  const height = charts.length * (chartHeight + heading);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 ${height}" width="640" font-family="sans-serif" font-size="12">`,
    '<style>.chart__bar{fill:#3f6fb0}.chart__axis{stroke:#333}.chart__grid{stroke:#ddd}.chart__tick{fill:#555;font-size:10px}</style>',
    '<rect width="100%" height="100%" fill="#fff"/>',
    ...blocks,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * Without autovacuum every updated row stays behind as a dead one (a thread's counts at each
 * reply, the outbox at each email), and each scan reads more of them each minute: the soak would
 * measure the server's bloat, not Commons. (This machine's own server has it off.)
 */
async function requireAutovacuum(serverUrl: string): Promise<void> {
  const server = new pg.Client({ connectionString: serverUrl });
  await server.connect();
  try {
    const { rows } = await server.query<{ autovacuum: string }>('show autovacuum');
    if (rows[0]?.autovacuum !== 'on') throw new Error('autovacuum is off on the server at DATABASE_URL: run the soak against one with it on, as a production server has it (RELIABILITY.md, "Soak")');
  } finally {
    await server.end();
  }
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  if (!serverUrl) throw new Error('npm run bench:soak runs against a PostgreSQL server: set DATABASE_URL (a database on it to connect to; the bench makes its own)');
  if (!(SIZE_NAME in FORUM_SIZES)) throw new Error(`SOAK_FORUM_SIZE must be one of ${Object.keys(FORUM_SIZES).join(', ')}`);
  await requireAutovacuum(serverUrl);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-soak-'));
  progress(`seeding the ${SIZE_NAME} forum`);
  const seeded = await seededDatabase(serverUrl, dataDir, FORUM_SIZES[SIZE_NAME], progress);
  const stats = new pg.Client({ connectionString: serverUrl });
  const logWatch = new LogWatch();
  // For picking what the members do.
  const bench = databaseFromPool(serverPool(seeded.env.DATABASE_URL!, 1), 'soak', false, { error: () => undefined });
  let app: ChildServer | undefined;
  let client: Client | undefined;
  try {
    await stats.connect();
    const probe = new URL('./event-loop-probe.js', import.meta.url).pathname;
    app = await startBenchApp({ dataDir, env: seeded.env, output: logWatch, nodeArgs: ['--import', probe], ipc: true });
    client = new Client(new URL(app.origin), 64, REQUEST_TIMEOUT_MS);
    const targets = await signInPlanned(await planTraffic(bench.db, MEMBERS), client, app.origin);
    progress(`app at ${app.origin} (pid ${app.pid}); ${targets.members.length} members signed in; ${MINUTES} minutes at ${RATE} requests/s`);
    const loadStart = os.loadavg();
    const started = new Date();

    const random = seededRandom(30);
    const minutes: Minute[] = [];
    const unexpected: Partial<Record<TrafficKind, Record<string, number>>> = {};
    await askEventLoop(app);
    let inFlight = 0;
    const interval = 1000 / RATE;
    const origin = app.origin;
    const runStarted = performance.now();
    for (let minute = 1; minute <= MINUTES && !stopRequested; minute += 1) {
      const latencies: number[] = [];
      let failures = 0;
      let skipped = 0;
      const pending: Promise<void>[] = [];
      const minuteStart = runStarted + (minute - 1) * MINUTE_MS;
      for (let sent = 0; ; sent += 1) {
        const due = minuteStart + sent * interval;
        if (due >= minuteStart + MINUTE_MS || stopRequested) break;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (inFlight >= MAX_IN_FLIGHT) {
          skipped += 1;
          continue;
        }
        const { kind, request } = nextRequest(targets, origin, random);
        inFlight += 1;
        const sentAt = performance.now();
        pending.push(
          client
            .request(request)
            .then(
              (response) => {
                latencies.push(performance.now() - sentAt);
                if (response.status === EXPECTED_STATUS[kind] && !isError(response.status)) return;
                failures += 1;
                const byStatus = (unexpected[kind] ??= {});
                byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
              },
              (error: Error) => {
                failures += 1;
                const byStatus = (unexpected[kind] ??= {});
                byStatus[error.message] = (byStatus[error.message] ?? 0) + 1;
              },
            )
            .finally(() => {
              inFlight -= 1;
            }),
        );
      }
      // The minute's figures are read as it ends; its stragglers are waited for (they belong to it) while the next minute's requests go out.
      const rssBytes = residentBytes(app.pid);
      const eventLoop = await askEventLoop(app);
      const { rows } = await stats.query<{ count: string }>('select count(*) from pg_stat_activity where datname = $1', [seeded.databaseName]);
      await Promise.all(pending);
      const row: Minute = { minute, requests: latencies.length, failures, skipped, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), rssBytes, eventLoop, connections: Number(rows[0]!.count), load: os.loadavg()[0]! };
      minutes.push(row);
      progress(`minute ${minute}: ${row.requests} requests (${failures} unexpected, ${skipped} skipped), p50 ${fixed(row.p50Ms)} ms, p99 ${fixed(row.p99Ms)} ms, RSS ${fixed(mib(rssBytes), 0)} MiB, event loop p99 ${fixed(eventLoop.p99Ms)} ms, ${row.connections} connections, load ${fixed(row.load)}`);
    }
    const elapsedMinutes = (performance.now() - runStarted) / MINUTE_MS;
    fs.mkdirSync(path.dirname(SVG_PATH), { recursive: true });
    fs.writeFileSync(SVG_PATH, soakSvg(minutes));
    console.log(report({ minutes, started, elapsedMinutes, seeded, unexpected, loadStart, loadEnd: os.loadavg(), logWatch }));
  } finally {
    client?.close();
    await app?.stop();
    await stats.end().catch(() => undefined);
    await bench.close();
    await seeded.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    progress('cleaned up (app, database, temporary files)');
  }
}

function report(run: { minutes: Minute[]; started: Date; elapsedMinutes: number; seeded: Awaited<ReturnType<typeof seededDatabase>>; unexpected: Partial<Record<TrafficKind, Record<string, number>>>; loadStart: number[]; loadEnd: number[]; logWatch: LogWatch }): string {
  const { minutes } = run;
  const lines: string[] = [];
  const cpus = os.cpus();
  const counts = run.seeded.forum.counts;
  lines.push(`Soak: ${minutes.length} minutes from ${run.started.toISOString()} (${fixed(run.elapsedMinutes)} min elapsed), ${RATE} requests/s, ${MEMBERS} members signed in.`);
  lines.push(`Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${fixed(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}; load average at start ${run.loadStart.map((v) => v.toFixed(2)).join(' ')}, at end ${run.loadEnd.map((v) => v.toFixed(2)).join(' ')}.`);
  lines.push(`Database: ${run.seeded.label}. Data: the ${SIZE_NAME} forum, ${counts.members.toLocaleString('en-AU')} members, ${counts.threads.toLocaleString('en-AU')} threads, ${counts.posts.toLocaleString('en-AU')} posts, ${counts.notifications.toLocaleString('en-AU')} notifications.`);
  lines.push(`Mix (per 100 requests): ${Object.entries(TRAFFIC_MIX).map(([kind, share]) => `${kind} ${share}`).join(', ')}.`);
  lines.push('');
  lines.push('| Minute | Requests | Unexpected | Skipped | p50 ms | p99 ms | RSS MiB | Event loop mean ms | Event loop p99 ms | Event loop max ms | DB connections | Load |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of minutes) {
    lines.push(`| ${m.minute} | ${m.requests} | ${m.failures} | ${m.skipped} | ${fixed(m.p50Ms)} | ${fixed(m.p99Ms)} | ${fixed(mib(m.rssBytes), 0)} | ${fixed(m.eventLoop.meanMs)} | ${fixed(m.eventLoop.p99Ms)} | ${fixed(m.eventLoop.maxMs)} | ${m.connections} | ${fixed(m.load)} |`);
  }
  lines.push('');
  const unexpected = Object.entries(run.unexpected).map(([kind, byStatus]) => `${kind}: ${Object.entries(byStatus).map(([status, n]) => `${n} × ${status}`).join(', ')}`);
  lines.push(`Unexpected answers: ${unexpected.length === 0 ? 'none' : unexpected.join('; ')}. App log: ${run.logWatch.counts.warn} warnings, ${run.logWatch.counts.error} errors.`);
  if (minutes.length >= WARMUP_MINUTES + 2) {
    const rss = flatness(minutes.map((m) => mib(m.rssBytes)));
    const p99 = flatness(minutes.map((m) => m.p99Ms));
    const verdict = (name: string, unit: string, f: ReturnType<typeof flatness>) =>
      `${name}: first ${WINDOW_MINUTES} min after warm-up ${fixed(f.first)} ${unit}, last ${WINDOW_MINUTES} min ${fixed(f.last)} ${unit} (${f.change >= 0 ? '+' : ''}${fixed(f.change * 100)}%): ${f.flat ? 'flat' : 'NOT flat'}`;
    lines.push(`Flat means the last ${WINDOW_MINUTES} minutes' mean is within ${FLAT_WITHIN * 100}% of the first ${WINDOW_MINUTES} minutes' after a ${WARMUP_MINUTES}-minute warm-up.`);
    lines.push(`- ${verdict('RSS', 'MiB', rss)}`);
    lines.push(`- ${verdict('p99', 'ms', p99)}`);
  }
  lines.push(`Plot: ${path.relative(process.cwd(), SVG_PATH)}.`);
  return lines.join('\n');
}

const watchdog = setTimeout(() => {
  progress('the soak overran its time by 15 minutes: exiting');
  process.exit(2);
}, (MINUTES + 15) * MINUTE_MS);
watchdog.unref();
await main();
