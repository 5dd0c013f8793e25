import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { PasswordHasher } from '../src/features/auth/password-hashing.js';
import { Client } from './load.js';
import { benchWithSites, cookiesFrom, envInt, hiddenFields, progress, type Site } from './site.js';
import { mannWhitney, median, quantile } from './stats.js';

/**
 * `npm run bench:timing`: can the time POST /password/forgot or POST /signup takes tell an
 * observer whether an address belongs to a member (issue 15, item 2)? One request at a time,
 * each for an address used once, members and strangers in a shuffled order, over one
 * keep-alive connection to 127.0.0.1; the app runs as the server does (mail worker included).
 * The report gives both medians and a Mann–Whitney U test. Embedded PGlite by default;
 * DATABASE_URL for a fresh database on that server.
 */

const SAMPLES = envInt('BENCH_TIMING_SAMPLES', 60, 40, 1_000);
const WARMUP = envInt('BENCH_TIMING_WARMUP', 20, 0, 1_000);
// Between requests, so the mail worker's work for one request is not counted in the next.
const PAUSE_MS = envInt('BENCH_TIMING_PAUSE_MS', 50, 0, 5_000);
const REQUEST_TIMEOUT_MS = 10_000;
// After the last request, for the mail worker to turn every request into its email.
const MAIL_WAIT_MS = 60_000;

interface Scenario {
  name: string;
  path: string;
  fields: Record<string, string>;
  /** Prefix of the member addresses this scenario asks about (each used once). */
  label: string;
}

const SCENARIOS: Scenario[] = [
  { name: 'POST /password/forgot', path: '/password/forgot', fields: {}, label: 'forgot' },
  { name: 'POST /signup', path: '/signup', fields: { accept_guidelines: 'yes' }, label: 'signup' },
];

/** A fixed shuffle (mulberry32), so each run interleaves members and strangers the same way. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const memberAddress = (label: string, i: number) => `member.${label}.${i}@finance.gov.au`;
const strangerAddress = (label: string, i: number) => `stranger.${label}.${i}@finance.gov.au`;

/** Members straight into the database (one cheap hash shared: neither request hashes). */
async function addMembers(site: Site): Promise<void> {
  const passwordHash = await new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }).hash('not used by this bench at all');
  for (const { label } of SCENARIOS) {
    const rows = Array.from({ length: SAMPLES + WARMUP }, (_, i) => ({
      email: memberAddress(label, i),
      canonical_email: memberAddress(label, i),
      display_name: `Bench member ${i}`,
      handle: `bench_${label}_${i}`,
      password_hash: passwordHash,
      guidelines_version: '1.0',
      guidelines_accepted_at: sql<Date>`now()`,
      verified_at: sql<Date>`now()`,
    }));
    await site.db.insertInto('members').values(rows).execute();
  }
}

interface Timings {
  member: number[];
  stranger: number[];
  statuses: Record<string, number>;
}

async function measure(site: Site, client: Client, scenario: Scenario): Promise<Timings> {
  const form = await client.request({ method: 'GET', path: scenario.path }, true);
  const cookie = cookiesFrom(form.headers);
  const hidden = hiddenFields(form.body);
  if (form.status !== 200 || !hidden._csrf) throw new Error(`GET ${scenario.path} answered ${form.status} without a form`);
  const post = (email: string) =>
    client.request({
      method: 'POST',
      path: scenario.path,
      headers: { cookie, origin: site.origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...hidden, ...scenario.fields, email }).toString(),
    });

  const timings: Timings = { member: [], stranger: [], statuses: {} };
  const asked = [
    ...Array.from({ length: WARMUP }, (_, i) => ({ email: i % 2 ? memberAddress(scenario.label, SAMPLES + i) : strangerAddress(scenario.label, SAMPLES + i), kind: 'warm-up' as const })),
    ...shuffled(
      [...Array.from({ length: SAMPLES }, (_, i) => ({ email: memberAddress(scenario.label, i), kind: 'member' as const })), ...Array.from({ length: SAMPLES }, (_, i) => ({ email: strangerAddress(scenario.label, i), kind: 'stranger' as const }))],
      SAMPLES,
    ),
  ];
  for (const { email, kind } of asked) {
    const started = performance.now();
    const response = await post(email);
    const elapsed = performance.now() - started;
    if (kind !== 'warm-up') {
      timings[kind].push(elapsed);
      timings.statuses[response.status] = (timings.statuses[response.status] ?? 0) + 1;
    }
    if (PAUSE_MS > 0) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
  return timings;
}

/** Emails by kind once the worker has caught up: shows the members were answered. */
async function emailsByKind(site: Site): Promise<string> {
  const started = performance.now();
  let rows: { kind: string; count: number }[] = [];
  // Resets to the members (the odd warm-up addresses are members), and an email for every sign-up.
  const expected = SAMPLES + Math.floor(WARMUP / 2) + 2 * SAMPLES + WARMUP;
  while (performance.now() - started < MAIL_WAIT_MS) {
    rows = await site.db
      .selectFrom('outbound_emails')
      .select(['kind', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('kind')
      .orderBy('kind')
      .execute();
    if (rows.reduce((sum, row) => sum + Number(row.count), 0) >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return rows.map((row) => `${row.kind} ×${row.count}`).join(', ');
}

const ms = (value: number) => value.toFixed(2);

async function run(site: Site): Promise<string> {
  const client = new Client(new URL(site.origin), 1, REQUEST_TIMEOUT_MS);
  try {
    await addMembers(site);
    const loadAtStart = os.loadavg();
    const out: string[] = [];
    const rows: string[] = [];
    for (const scenario of SCENARIOS) {
      progress(`${scenario.name}: ${WARMUP} warm-up, then ${SAMPLES} members and ${SAMPLES} strangers, shuffled`);
      const timings = await measure(site, client, scenario);
      const test = mannWhitney(timings.member, timings.stranger);
      const statuses = Object.entries(timings.statuses)
        .map(([status, count]) => `${status}×${count}`)
        .join(', ');
      rows.push(
        `| ${scenario.name} | ${timings.member.length} / ${timings.stranger.length} | ${ms(median(timings.member))} | ${ms(median(timings.stranger))} | ` +
          `${ms(quantile(timings.member, 0.1))}–${ms(quantile(timings.member, 0.9))} | ${ms(quantile(timings.stranger, 0.1))}–${ms(quantile(timings.stranger, 0.9))} | ` +
          `${test.u.toFixed(0)} | ${test.z.toFixed(2)} | ${test.p < 0.0001 ? test.p.toExponential(1) : test.p.toFixed(4)} | ${(100 * Math.max(test.auc, 1 - test.auc)).toFixed(0)} % | ${statuses} |`,
      );
    }
    const cpus = os.cpus();
    out.push(`### ${site.database.embedded ? 'Embedded database (PGlite)' : 'PostgreSQL server'}`, '');
    out.push(`- Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}; load average at the start ${loadAtStart.map((v) => v.toFixed(2)).join(' ')}, at the end ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
    out.push(`- Database: ${site.databaseLabel}`);
    out.push(`- One request at a time, ${PAUSE_MS} ms apart, ${WARMUP} warm-up requests per form first`);
    out.push('');
    out.push('| Request | Samples (member / stranger) | Median member ms | Median stranger ms | Member p10–p90 | Stranger p10–p90 | U | z | p | One request tells them apart | Statuses |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    out.push(...rows);
    out.push('');
    out.push(`- Emails once the worker caught up: ${await emailsByKind(site)}`);
    return out.join('\n');
  } finally {
    client.close();
  }
}

await benchWithSites({ watchdogMs: 10 * 60_000 }, [run]);
