import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../src/db/schema.js';
import { Client, runLoad, type BenchRequest, type LoadResult } from './load.js';
import { benchWithSites, cookiesFrom, envInt, hiddenFields, progress, type Site } from './site.js';

/**
 * `npm run bench:http`: the real app (as src/server.ts builds it, mail worker included) on a fresh
 * database, listening on 127.0.0.1, driven over HTTP by a keep-alive client in this process.
 * Embedded PGlite by default; with DATABASE_URL, a fresh database on that server, dropped at
 * the end. Every scenario is a fixed number of requests after a warm-up, at a fixed number in
 * flight, and gives up after 120 s. The report is Markdown on stdout; progress goes to stderr.
 */

const REQUESTS = envInt('BENCH_REQUESTS', 5_000, 1, 100_000);
const WARMUP = envInt('BENCH_WARMUP', 500, 0, 100_000);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 32, 1, 256);
// Warm-up and measurement together; no new request starts after this.
const SCENARIO_LIMIT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 30_000;
// Between scenarios, for the mail worker to empty the outbox the last one filled.
const OUTBOX_DRAIN_LIMIT_MS = 120_000;
// The whole run, as a last resort: 5 scenarios and 5 drains at their limits fit well inside.
const WATCHDOG_MS = 25 * 60_000;
const MIXED_POSTERS = 20;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
// With --expose-gc (npm run bench:http passes it), memory is read after a full collection, so heap
// growth from one scenario to the next is memory still held, not garbage yet to be collected.
const gc = (globalThis as { gc?: () => void }).gc;
function memory(): NodeJS.MemoryUsage {
  gc?.();
  return process.memoryUsage();
}
const ms = (value: number) => (Number.isNaN(value) ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(1));

let stopRequested = false;
process.once('SIGINT', () => {
  stopRequested = true;
  progress('interrupted: stopping the scenario and cleaning up (Ctrl-C again to kill)');
});

interface FormSession {
  cookie: string;
  hidden: Record<string, string>;
}

async function openContactForm(client: Client): Promise<FormSession> {
  const response = await client.request({ method: 'GET', path: '/contact' }, true);
  const cookie = cookiesFrom(response.headers);
  const hidden = hiddenFields(response.body);
  if (response.status !== 200 || !cookie || !hidden._csrf) throw new Error(`GET /contact answered ${response.status} without a session and form`);
  return { cookie, hidden };
}

async function outbox(db: Kysely<DB>): Promise<{ waiting: number; sent: number; failed: number }> {
  const rows = await db
    .selectFrom('outbound_emails')
    .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('status')
    .execute();
  const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0);
  return { waiting: count('pending') + count('sending'), sent: count('sent'), failed: count('failed') };
}

async function countRows(db: Kysely<DB>, table: 'sessions' | 'contact_messages' | 'outbound_emails'): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

interface ProbeResult {
  probes: number;
  ok: number;
  /** Status (or failure) counts of the probes that did not answer 200. */
  failures: Record<string, number>;
  slowestMs: number;
}

/**
 * What a load balancer sees while a scenario runs: GET /readyz once a second on a connection
 * of its own. Stop it to get the tally.
 */
function startReadinessProbe(origin: URL): { stop(): Promise<ProbeResult> } {
  const client = new Client(origin, 1, 5_000);
  const result: ProbeResult = { probes: 0, ok: 0, failures: {}, slowestMs: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      let key: string;
      try {
        key = String((await client.request({ method: 'GET', path: '/readyz' })).status);
      } catch (error) {
        key = `failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
      }
      result.probes += 1;
      if (key === '200') result.ok += 1;
      else result.failures[key] = (result.failures[key] ?? 0) + 1;
      result.slowestMs = Math.max(result.slowestMs, performance.now() - started);
      while (!stopped && performance.now() - started < 1_000) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      client.close();
      return result;
    },
  };
}

interface Scenario {
  name: string;
  /** What one request does to the database. */
  work: string;
  prepare?: () => Promise<void>;
  next: (i: number) => BenchRequest;
}

interface ScenarioReport {
  scenario: Scenario;
  result: LoadResult;
  warmupErrors: number;
  rss: number;
  heapUsed: number;
  /** This process's CPU time (app, PGlite when embedded, and the client) per measured request. */
  cpuMsPerRequest: number;
  probe: ProbeResult;
  outboxWaitingAtEnd: number;
  drainSeconds: number | undefined;
}

async function run(site: Site): Promise<string> {
  const client = new Client(new URL(site.origin), CONCURRENCY, REQUEST_TIMEOUT_MS);
  try {
    const { config, database, db, origin, databaseLabel } = site;
    const memoryAtStart = memory();
    const loadAtStart = os.loadavg();

    const formHeaders = (cookie: string) => ({ cookie, origin, 'content-type': 'application/x-www-form-urlencoded' });
    const contactBody = (hidden: Record<string, string>, i: number) =>
      new URLSearchParams({
        ...hidden,
        form_token: randomUUID(),
        name: `Bench member ${i}`,
        email: `bench${i}@finance.gov.au`,
        subject: `Benchmark message ${i}`,
        message: `Message number ${i} from the HTTP benchmark.\nIt has two lines.`,
      }).toString();

    let poster: FormSession | undefined;
    let posters: FormSession[] = [];
    let reader: FormSession | undefined;

    const scenarios: Scenario[] = [
      { name: 'GET /', work: 'none (no cookie, so no session)', next: () => ({ method: 'GET', path: '/' }) },
      { name: 'GET /readyz', work: '`select 1`', next: () => ({ method: 'GET', path: '/readyz' }) },
      { name: 'GET /contact', work: 'a new session row (insert)', next: () => ({ method: 'GET', path: '/contact' }) },
      {
        name: 'POST /contact',
        work: 'session read, then one transaction (insert message, insert queued email); the mail worker then claims each email, writes it to the mailbox and marks it sent',
        prepare: async () => {
          poster = await openContactForm(client);
        },
        next: (i) => ({ method: 'POST', path: '/contact', headers: formHeaders(poster!.cookie), body: contactBody(poster!.hidden, i) }),
      },
      {
        name: 'mixed',
        work: 'as test/features/foundation/embedded-load.test.ts: 1/5 POST /contact from 20 sessions (as above), 1/5 GET /contact with no cookie (session insert), 1/5 GET /contact, 1/5 GET / and 1/5 GET /guidelines with one reader\'s cookie (a session read each)',
        prepare: async () => {
          posters = await Promise.all(Array.from({ length: MIXED_POSTERS }, () => openContactForm(client)));
          reader = await openContactForm(client);
        },
        next: (i) => {
          const slot = i % 5;
          if (slot === 0) {
            const session = posters[i % posters.length]!;
            return { method: 'POST', path: '/contact', headers: formHeaders(session.cookie), body: contactBody(session.hidden, i) };
          }
          if (slot === 1) return { method: 'GET', path: '/contact' };
          const headers = { cookie: reader!.cookie };
          if (slot === 2) return { method: 'GET', path: '/contact', headers };
          return { method: 'GET', path: slot === 3 ? '/' : '/guidelines', headers };
        },
      },
    ];

    const reports: ScenarioReport[] = [];
    for (const scenario of scenarios) {
      if (stopRequested) break;
      const deadline = performance.now() + SCENARIO_LIMIT_MS;
      progress(`${scenario.name}: warm-up ${WARMUP}, then ${REQUESTS} requests, ${CONCURRENCY} in flight`);
      await scenario.prepare?.();
      const warmup = WARMUP > 0 ? await runLoad({ client, count: WARMUP, concurrency: CONCURRENCY, deadline, next: scenario.next, stopRequested: () => stopRequested }) : undefined;
      const probe = startReadinessProbe(new URL(origin));
      const cpuBefore = process.cpuUsage();
      const result = await runLoad({ client, count: REQUESTS, concurrency: CONCURRENCY, deadline, next: scenario.next, stopRequested: () => stopRequested });
      const cpu = process.cpuUsage(cpuBefore);
      const probeResult = await probe.stop();
      const used = memory();
      const waiting = (await outbox(db)).waiting;
      let drainSeconds: number | undefined;
      if (waiting > 0) {
        const drainStarted = performance.now();
        while (performance.now() - drainStarted < OUTBOX_DRAIN_LIMIT_MS && !stopRequested) {
          if ((await outbox(db)).waiting === 0) {
            drainSeconds = (performance.now() - drainStarted) / 1000;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      progress(
        `${scenario.name}: ${result.requests} requests, ${result.errors} errors, ${result.perSecond.toFixed(0)}/s, p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms` +
          (waiting > 0 ? `; outbox ${waiting} waiting, ${drainSeconds === undefined ? 'not drained' : `drained in ${drainSeconds.toFixed(1)} s`}` : ''),
      );
      reports.push({ scenario, result, warmupErrors: warmup?.errors ?? 0, rss: used.rss, heapUsed: used.heapUsed, cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / Math.max(1, result.requests), probe: probeResult, outboxWaitingAtEnd: waiting, drainSeconds });
    }

    const memoryAtEnd = memory();
    const rows = {
      sessions: await countRows(db, 'sessions'),
      contactMessages: await countRows(db, 'contact_messages'),
      outboundEmails: await countRows(db, 'outbound_emails'),
    };
    const finalOutbox = await outbox(db);
    const sizeRow = await sql<{ size: number }>`select pg_database_size(current_database())::int8 as size`.execute(db);
    const mailFiles = fs.readdirSync(path.join(config.dataDir, 'mail')).filter((name) => name.endsWith('.json')).length;

    // The report.
    const cpus = os.cpus();
    const out: string[] = [];
    out.push(`## ${database.embedded ? 'Embedded database (PGlite)' : 'PostgreSQL server'}`, '');
    out.push(`- Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}`);
    const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
    out.push(`- Load average (1, 5, 15 min) at the start: ${load(loadAtStart)}; at the end: ${load(os.loadavg())} (anything else running on the machine shows here)`);
    out.push(`- Node ${process.version}; client and app in one process; ${CONCURRENCY} requests in flight over keep-alive connections`);
    out.push(`- Database: ${databaseLabel}`);
    out.push(`- Each scenario: ${WARMUP} warm-up requests, then ${REQUESTS} measured; abandoned after ${SCENARIO_LIMIT_MS / 1000} s`);
    out.push(`- Memory after start-up: RSS ${mib(memoryAtStart.rss)}, heap used ${mib(memoryAtStart.heapUsed)}; memory is read ${gc ? 'after a forced full GC' : 'without forcing a GC (run node with --expose-gc to force one)'}`);
    out.push(`- Memory at the end (outbox sent, before closing): RSS ${mib(memoryAtEnd.rss)}, heap used ${mib(memoryAtEnd.heapUsed)}`);
    out.push('');
    out.push('| Scenario | Requests | Errors | Req/s | p50 ms | p95 ms | p99 ms | max ms | CPU ms/req | RSS | Heap used | Statuses |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const { scenario, result, rss, heapUsed, cpuMsPerRequest } of reports) {
      const statuses = Object.entries(result.statuses)
        .map(([status, count]) => `${status}×${count}`)
        .join(', ');
      out.push(
        `| ${scenario.name}${result.aborted ? ' (stopped early)' : ''} | ${result.requests} | ${result.errors} | ${result.perSecond.toFixed(0)} | ${ms(result.p50)} | ${ms(result.p95)} | ${ms(result.p99)} | ${ms(result.max)} | ${cpuMsPerRequest.toFixed(2)} | ${mib(rss)} | ${mib(heapUsed)} | ${statuses} |`,
      );
    }
    out.push('');
    out.push(`CPU ms/req is this process's CPU time (user + system) over the measured requests: the app${database.embedded ? ', the load client and PGlite' : ' and the load client (not the PostgreSQL server)'}. Memory is read at the end of each scenario.`);
    out.push('');
    out.push('Database work per request:', '');
    for (const { scenario } of reports) out.push(`- ${scenario.name}: ${scenario.work}`);
    out.push('');
    const warmupErrors = reports.filter((r) => r.warmupErrors > 0);
    if (warmupErrors.length > 0) out.push(`Warm-up errors: ${warmupErrors.map((r) => `${r.scenario.name} ${r.warmupErrors}`).join(', ')}`, '');
    const probeLines = reports.map(({ scenario, probe }) => {
      const failures = Object.entries(probe.failures).map(([status, count]) => `${status}×${count}`);
      return `${scenario.name} ${probe.ok}/${probe.probes}${failures.length ? ` (${failures.join(', ')})` : ''}, slowest ${ms(probe.slowestMs)} ms`;
    });
    out.push(`- Readiness probe (GET /readyz once a second beside the load; answered 200 / sent): ${probeLines.join('; ')}`);
    for (const r of reports.filter((report) => report.outboxWaitingAtEnd > 0)) {
      out.push(
        `- Mail after ${r.scenario.name}: ${r.outboxWaitingAtEnd} emails still queued when the last response came back; ` +
          (r.drainSeconds === undefined ? `not sent within ${OUTBOX_DRAIN_LIMIT_MS / 1000} s` : `the worker sent them in a further ${r.drainSeconds.toFixed(1)} s`),
      );
    }
    out.push(
      `- Rows at the end: ${rows.sessions} sessions, ${rows.contactMessages} contact messages, ${rows.outboundEmails} outbound emails ` +
        `(${finalOutbox.sent} sent, ${finalOutbox.waiting} waiting, ${finalOutbox.failed} failed; ${mailFiles} mailbox files); database size ${mib(Number(sizeRow.rows[0]?.size ?? 0))}`,
    );
    return out.join('\n');
  } finally {
    client.close();
  }
}

await benchWithSites({ watchdogMs: WATCHDOG_MS }, [run]);
