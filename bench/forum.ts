import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { maskUrl } from '../src/config.js';
import { databaseFromPool, serverPool } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { FORUM_PASSWORD, FORUM_SIZES, seedForum, type ForumSizeName, type SeededForum } from './forum-seed.js';
import { postBody, seededRandom } from './forum-text.js';
import { seedLibrary, type SeededLibrary } from './library-seed.js';
import { Client } from './load.js';
import { cpuMillis, sampleResidentMemory, residentBytes, startServer, type ChildServer } from './processes.js';
import { APP_ENV, APP_NODE_ARGS, signIn, type Member } from './signed-in.js';
import { quantile } from './stats.js';
import { envInt, freePort, LogWatch, progress } from './site.js';

/**
 * `npm run bench`: the discussions benchmark of issue 8, with the library's pages of issue 9
 * (bench/library-seed.ts seeds BENCH_RESOURCES resources into each forum). For each size (BENCH_FORUM_SIZES,
 * "full,small"), on a fresh database of the PostgreSQL server at DATABASE_URL: seed the forum
 * (bench/forum-seed.ts), start the real app (dist/src/server.js, in a process of its own, so
 * its memory is its own) and the bare reference route (bench/reference.ts), sign members in
 * through the real /login form, and drive each scenario with autocannon from this process.
 * The report is Markdown on stdout; progress goes to stderr. The older scenarios (anonymous
 * pages, the contact form) are `npm run bench:http`.
 */

const SECONDS = envInt('BENCH_SECONDS', 10, 1, 600);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 50, 1, 500);
// Before each measurement: this many requests (at most WARMUP_LIMIT_MS), so the JIT has compiled
// the route and the templates, and every pooled connection's backend has its caches (the pools
// close idle connections during the pause between scenarios).
const WARMUP_REQUESTS = envInt('BENCH_WARMUP_REQUESTS', 1_500, 0, 100_000);
const WARMUP_LIMIT_MS = 20_000;
const SIGNED_IN = envInt('BENCH_MEMBERS', 50, 1, 1000);
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF?.trim() || undefined;
// Names (or their beginnings) of the scenarios to run, comma-separated; the reference always runs.
const ONLY = process.env.BENCH_SCENARIOS?.split(',').map((name) => name.trim()).filter(Boolean);
// A backend that has just gone idle may keep its counts up to 10 s (PostgreSQL's
// PGSTAT_IDLE_INTERVAL) before pg_stat_database shows them: the wait between scenarios.
const STATS_SETTLE_MS = 11_000;
const WATCHDOG_MS = 60 * 60_000;
const REPLY_TARGETS = 5_000;
const REPLY_BODIES = 50;
// Issue 9: the library's pages are measured with this many resources.
const RESOURCES = envInt('BENCH_RESOURCES', 5_000, 1, 100_000);

const TARGETS = { shareOfReference: 1 / 3, p99Ms: 50, repliesPerSecond: 200, threadPageBytes: 40 * 1024, rssBytes: 200 * 1024 * 1024, searchP95Ms: 50, searchGrowth: 2 };
// Issue 13: "p95 under 50 ms for one- to three-word queries at 10 concurrent searchers".
const SEARCHERS = envInt('BENCH_SEARCHERS', 10, 1, 500);

/**
 * What the search scenario asks, each connection going round the list from its own place: common
 * words of the forum's own sentences, words of the search sentences (bench/forum-text.ts) from
 * their lists' common heads to their rare tails, two and three words (all must match), and quoted
 * phrases. Each must find something at every size; the report shows how much each matched.
 */
const SEARCH_QUERIES: readonly { q: string; about: string }[] = [
  { q: 'comments', about: 'common word' },
  { q: 'records', about: 'common word' },
  { q: 'captions', about: 'common word' },
  { q: 'Facebook', about: 'common word (search sentences and links)' },
  { q: 'moderation guideline', about: 'two common words' },
  { q: 'password manager', about: 'two words of one sentence' },
  { q: 'bushfire season', about: 'two words, titles and posts' },
  { q: 'Bendigo', about: 'place, middling' },
  { q: 'Kununurra', about: 'place, rare' },
  { q: 'Coober Pedy', about: 'two words, rare place' },
  { q: 'locust swarm', about: 'two words, rare event' },
  { q: 'Talkwalker', about: 'tool, rarest of its list' },
  { q: '"holding statement"', about: 'phrase' },
  { q: '"after hours"', about: 'phrase, common' },
  { q: 'live captions press', about: 'three words' },
  { q: 'records retention schedules', about: 'three words' },
  { q: 'TikTok security guidance', about: 'three words, titles and posts' },
];

// Beyond the bench's usual settings. Posting limits (60 an hour a member) would refuse the
// reply scenarios within a second, and one address signs in every member.
const LIFTED_LIMITS = {
  RATE_LIMIT_POSTS_PER_HOUR: '100000',
  RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '100000',
  RATE_LIMIT_SIGNIN_ATTEMPTS_PER_HOUR: '100000',
  RATE_LIMIT_HASHES_PER_MINUTE: '100000',
};

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const count = (value: number) => value.toLocaleString('en-AU');

let stopRequested = false;
let running: autocannon.Instance | undefined;
process.once('SIGINT', () => {
  stopRequested = true;
  running?.stop();
  progress('interrupted: stopping and cleaning up (Ctrl-C again to kill)');
});

interface Scenario {
  name: string;
  /** What one request does, for the report. */
  about: string;
  server: 'app' | 'reference';
  signedIn: boolean;
  path: string;
  /** A POST: each request's own form (a fresh form_token) and where it goes. */
  form?: (member: Member) => { path: string; body: string };
  /** GETs of these paths in turn (each connection from its own place in the list), each response checked by `check`; `path` is the first. */
  rotation?: { label: string; path: string }[];
  /** What a response of the rotation must hold: undefined if it does, else what is wrong. */
  check?: (body: string) => string | undefined;
  /** Connections, if not BENCH_CONNECTIONS. */
  connections?: number;
}

/** One path of a rotation, measured. */
interface PathMeasured {
  label: string;
  path: string;
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  /** What the first response said of its results (search: the summary line). */
  summary: string;
  failures: number;
}

interface DatabaseCounters {
  transactions: number;
  blocks: number;
  posts: number;
  notifications: number;
}

interface Measured {
  scenario: Scenario;
  skipped?: string;
  requestsPerSecond: number;
  p50: number;
  /** From every measured response's time (autocannon's own percentiles have no p95). */
  p95: number;
  p99: number;
  /** A rotation's paths, each on its own. */
  paths?: PathMeasured[];
  /** The body of one response (GET), or undefined (POST: a redirect). */
  bytes: number | undefined;
  peakRss: number;
  statuses: Record<string, number>;
  unexpected: number;
  transactionsPerRequest: number;
  blocksPerRequest: number;
  /** CPU time per measured request: the server's process (app or reference), and the database's backends. */
  serverCpuMs: number;
  databaseCpuMs: number;
  /** Replies only: notifications the replies made, per reply. */
  notificationsPerPost: number | undefined;
}

interface SizeReport {
  sizeName: ForumSizeName;
  forum: SeededForum;
  library: SeededLibrary;
  rssAfterStart: number;
  peakRss: number;
  measured: Measured[];
  logWarnings: string;
  loadAverages: { start: number[]; end: number[] };
  consistent: boolean;
}

interface Timed {
  result: autocannon.Result;
  /** Every response's time in ms, and for a rotation each path's (by its index) and what its checks found. */
  latencies: number[];
  byPath: { latencies: number[]; failures: number; summary: string | undefined }[];
}

function cannon(scenario: Scenario, origin: string, members: Member[], length: { seconds: number } | { requests: number; limitMs: number }): Promise<Timed> {
  let next = 0;
  const latencies: number[] = [];
  const byPath = (scenario.rotation ?? []).map(() => ({ latencies: [] as number[], failures: 0, summary: undefined as string | undefined }));
  // autocannon calls a request's onResponse and then, at once, emits 'response' with its time:
  // the path answered is handed from the one to the other.
  let answered: number | undefined;
  return new Promise<Timed>((resolve, reject) => {
    running = autocannon(
      {
        url: origin,
        connections: scenario.connections ?? CONNECTIONS,
        ...('seconds' in length ? { duration: length.seconds } : { amount: length.requests }),
        timeout: 30,
        // Each connection is one member: 50 connections, 50 members (their sessions and tokens).
        setupClient: (client) => {
          const member = members[next++ % members.length]!;
          const headers: Record<string, string> = scenario.signedIn ? { cookie: member.cookie } : {};
          if (scenario.rotation) {
            const rotation = scenario.rotation;
            // The connections' starting places spread evenly over the list, so a short run at a
            // few requests per connection still asks each query.
            const connections = scenario.connections ?? CONNECTIONS;
            const start = Math.floor((((next - 1) % connections) * rotation.length) / connections);
            client.setRequests(
              rotation.map((_, i) => {
                const index = (start + i) % rotation.length;
                return {
                  method: 'GET' as const,
                  path: rotation[index]!.path,
                  headers,
                  onResponse: (status: number, body: string) => {
                    answered = index;
                    // Another status is counted as unexpected already (statusCodeStats).
                    const problem = status === 200 ? scenario.check?.(body) : `status ${status}`;
                    const seen = byPath[index]!;
                    if (problem && status === 200) seen.failures += 1;
                    seen.summary ??= problem ?? /<p class="meta" role="status">([^<]*)<\/p>/.exec(body)?.[1] ?? '';
                  },
                };
              }),
            );
            return;
          }
          if (!scenario.form) {
            client.setRequests([{ method: 'GET', path: scenario.path, headers }]);
            return;
          }
          const form = scenario.form;
          client.setRequests([
            { method: 'POST', path: scenario.path, headers: { ...headers, origin, 'content-type': 'application/x-www-form-urlencoded' }, setupRequest: (request) => ({ ...request, ...form(member) }) },
          ]);
        },
      },
      (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolve({ result, latencies, byPath })),
    );
    running.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      if (answered !== undefined) byPath[answered]!.latencies.push(responseTime);
      answered = undefined;
    });
    if ('limitMs' in length) {
      const instance = running;
      const limit = setTimeout(() => instance.stop(), length.limitMs);
      instance.once('done', () => clearTimeout(limit));
    }
  });
}

function searchPath(q: string): string {
  return `/search?${new URLSearchParams({ q }).toString()}`;
}

async function databaseCounters(stats: pg.Client, bench: pg.Client, databaseName: string): Promise<DatabaseCounters> {
  const { rows } = await stats.query<{ transactions: string; blocks: string }>('select xact_commit + xact_rollback as transactions, blks_hit + blks_read as blocks from pg_stat_database where datname = $1', [databaseName]);
  const { rows: counted } = await bench.query<{ posts: string; notifications: string }>('select (select max(id) from posts) as posts, (select max(id) from notifications) as notifications');
  return { transactions: Number(rows[0]!.transactions), blocks: Number(rows[0]!.blocks), posts: Number(counted[0]!.posts), notifications: Number(counted[0]!.notifications ?? 0) };
}

/** CPU milliseconds used so far by each backend connected to the database. */
async function backendCpu(stats: pg.Client, databaseName: string): Promise<Map<number, number>> {
  const { rows } = await stats.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [databaseName]);
  return new Map(rows.flatMap((row) => {
    const ms = cpuMillis(row.pid);
    return ms === undefined ? [] : [[row.pid, ms] as const];
  }));
}

async function runSize(sizeName: ForumSizeName, serverUrl: string): Promise<SizeReport> {
  const size = FORUM_SIZES[sizeName];
  const databaseName = `commons_bench_${randomBytes(6).toString('hex')}`;
  const benchUrl = new URL(serverUrl);
  benchUrl.pathname = `/${databaseName}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-bench-'));
  const stats = new pg.Client({ connectionString: serverUrl });
  const bench = new pg.Client({ connectionString: benchUrl.toString() });
  const servers: ChildServer[] = [];
  const logWatch = new LogWatch();
  await stats.connect();
  await stats.query(`create database ${databaseName}`);
  try {
    progress(`${sizeName}: database ${databaseName}; seeding ${count(size.posts)} posts`);
    const seeding = databaseFromPool(serverPool(benchUrl.toString(), 2), databaseName, false, { error: () => undefined });
    let forum: SeededForum;
    let library: SeededLibrary;
    try {
      await migrateToLatest(seeding.db);
      forum = await seedForum(seeding.db, size, progress);
      library = await seedLibrary(seeding.db, RESOURCES, progress);
    } finally {
      await seeding.close();
    }
    await bench.connect();

    const appOrigin = `http://127.0.0.1:${await freePort()}`;
    const app = await startServer({
      script: new URL('../src/server.js', import.meta.url),
      nodeArgs: [...APP_NODE_ARGS, ...(CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROFILE_DIR)}`] : [])],
      env: {
        ...APP_ENV,
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: new URL(appOrigin).port,
        PUBLIC_URL: appOrigin,
        DATA_DIR: dataDir,
        DATABASE_URL: benchUrl.toString(),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_TRUSTED: '127.0.0.0/8',
        // The seeded hashes' settings, so signing in does not rehash.
        PASSWORD_HASH_MEMORY_KIB: '1024',
        PASSWORD_HASH_TIME_COST: '1',
        ...LIFTED_LIMITS,
        ...(process.env.DATABASE_POOL_SIZE ? { DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE } : {}),
      },
      origin: appOrigin,
      readyPath: '/readyz',
      output: logWatch,
    });
    servers.push(app);
    const rssAfterStart = residentBytes(app.pid);
    const runRss = sampleResidentMemory(app.pid, 250);
    const referenceOrigin = `http://127.0.0.1:${await freePort()}`;
    const reference = await startServer({
      script: new URL('./reference.js', import.meta.url),
      env: { REFERENCE_DATABASE_URL: benchUrl.toString(), REFERENCE_PORT: new URL(referenceOrigin).port, REFERENCE_THREAD_ID: String(forum.longThread.id) },
      origin: referenceOrigin,
      readyPath: '/thread',
      output: process.stderr,
    });
    servers.push(reference);
    progress(`${sizeName}: app at ${appOrigin} (pid ${app.pid}), reference at ${referenceOrigin}`);

    // Members with unread notifications, so the header count and /notifications have something to show.
    const chosen = await bench.query<{ id: string; email: string }>(
      `select m.id, m.email from members m where m.role = 'member' and exists (select 1 from notifications n where n.member_id = m.id and n.read_at is null) order by hashint8(m.id) limit $1`,
      [SIGNED_IN],
    );
    const longPath = `/t/${forum.longThread.id}/${forum.longThread.slug}`;
    const client = new Client(new URL(appOrigin), 8, 30_000);
    const members: Member[] = [];
    try {
      for (const row of chosen.rows) members.push(await signIn(client, appOrigin, row.email, Number(row.id), longPath));
      // An instance in use checks passwords (joining, changing one), and its password-strength
      // dictionaries then stay loaded: about 45 MiB. A refused change loads them before
      // anything is measured, and changes nothing.
      const checker = members[0]!;
      const refused = await client.request({
        method: 'POST',
        path: '/settings/password',
        headers: { cookie: checker.cookie, origin: appOrigin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: checker.csrf, current_password: FORUM_PASSWORD, new_password: 'password password password' }).toString(),
      });
      if (refused.status !== 422) throw new Error(`a too-guessable new password answered ${refused.status}, not 422`);
    } finally {
      client.close();
    }
    progress(`${sizeName}: ${members.length} members signed in through /login; one weak new password refused (the strength check loaded)`);

    const replyThreads = (
      await bench.query<{ id: string }>(
        `select t.id from threads t join categories c on c.id = t.category_id where c.visible_to = 'members' and t.locked_at is null and t.id <> $1 order by hashint8(t.id) limit $2`,
        [forum.longThread.id, REPLY_TARGETS],
      )
    ).rows.map((row) => Number(row.id));
    const handles = (await bench.query<{ handle: string }>(`select handle from members where role = 'member' order by id limit 200`)).rows.map((row) => row.handle);
    const random = seededRandom(8);
    const replyBodies = Array.from({ length: REPLY_BODIES }, () => postBody(random, handles));
    const replyForm = (member: Member, threadId: number) => ({
      path: `/t/${threadId}/reply`,
      body: new URLSearchParams({ _csrf: member.csrf, form_token: randomUUID(), body: replyBodies[Math.floor(Math.random() * replyBodies.length)]! }).toString(),
    });
    const deepPage = Math.ceil(Math.ceil(forum.longThread.postCount / 20) * 0.8);

    const scenarios: Scenario[] = [
      { name: 'reference (bare route)', about: 'one SELECT of the 20 posts on page 1 of the long thread with their authors, rendered with Handlebars; no session', server: 'reference', signedIn: false, path: '/thread' },
      { name: 'thread page 1', about: `the long thread (${count(forum.longThread.postCount)} posts), page 1`, server: 'app', signedIn: true, path: longPath },
      { name: `thread page ${deepPage}`, about: `the long thread, page ${deepPage} of ${Math.ceil(forum.longThread.postCount / 20)}`, server: 'app', signedIn: true, path: `${longPath}?page=${deepPage}` },
      { name: 'category page', about: 'Social media practice, page 1 (30 threads)', server: 'app', signedIn: true, path: '/c/social-media-practice' },
      { name: 'categories (/c)', about: 'every category with its unread count', server: 'app', signedIn: true, path: '/c' },
      { name: 'home (/)', about: 'the signed-in home page', server: 'app', signedIn: true, path: '/' },
      { name: 'notifications', about: 'the member’s notifications', server: 'app', signedIn: true, path: '/notifications' },
      { name: 'resources (/resources)', about: `the library's first page: featured resources, 24 newest, facet counts over ${count(library.resources)} resources`, server: 'app', signedIn: true, path: '/resources' },
      { name: 'resources, three filters', about: `/resources?${library.filtered.query} (${count(library.filtered.matching)} resources match)`, server: 'app', signedIn: true, path: `/resources?${library.filtered.query}` },
      { name: 'resource page', about: `a case study with ${library.page.files} files and ${library.page.replies} replies (${library.page.path})`, server: 'app', signedIn: true, path: library.page.path },
      {
        name: 'reply',
        about: `POST /t/:id/reply to one of ${count(replyThreads.length)} threads at random, a body from ${REPLY_BODIES} (some with @mentions), fresh form_token`,
        server: 'app',
        signedIn: true,
        path: `/t/${replyThreads[0]}/reply`,
        form: (member) => replyForm(member, replyThreads[Math.floor(Math.random() * replyThreads.length)]!),
      },
      { name: 'reply to the long thread', about: 'POST /t/:id/reply, every reply to the long thread (its watchers are notified; replies take its row lock in turn)', server: 'app', signedIn: true, path: `${longPath}/reply`, form: (member) => replyForm(member, forum.longThread.id) },
      {
        name: 'search',
        about: `GET /search?q=, ${SEARCH_QUERIES.length} queries of one to three words in turn (below), ${SEARCHERS} connections (signed-in members); each response must list results`,
        server: 'app',
        signedIn: true,
        path: searchPath(SEARCH_QUERIES[0]!.q),
        rotation: SEARCH_QUERIES.map((query) => ({ label: query.q, path: searchPath(query.q) })),
        check: (body) => (body.includes('class="resource-list__item"') ? undefined : 'no results listed'),
        connections: SEARCHERS,
      },
    ];

    const loadAtStart = os.loadavg();
    const measured: Measured[] = [];
    let counters = await databaseCounters(stats, bench, databaseName);
    for (const scenario of scenarios.filter((s) => s.server === 'reference' || !ONLY || ONLY.some((name) => s.name.startsWith(name)))) {
      if (stopRequested) break;
      const origin = scenario.server === 'app' ? appOrigin : referenceOrigin;
      let bytes: number | undefined;
      if (!scenario.form) {
        const prober = new Client(new URL(origin), 1, 30_000);
        const probe = await prober.request({ method: 'GET', path: scenario.path, headers: scenario.signedIn ? { cookie: members[0]!.cookie } : {} }, true).finally(() => prober.close());
        if (probe.status !== 200) {
          progress(`${scenario.name}: GET ${scenario.path} answered ${probe.status}; skipped`);
          measured.push({ scenario, skipped: `GET ${scenario.path} answered ${probe.status}`, requestsPerSecond: NaN, p50: NaN, p95: NaN, p99: NaN, bytes: undefined, peakRss: NaN, statuses: {}, unexpected: 0, transactionsPerRequest: NaN, blocksPerRequest: NaN, serverCpuMs: NaN, databaseCpuMs: NaN, notificationsPerPost: undefined });
          continue;
        }
        bytes = Buffer.byteLength(probe.body);
      }
      progress(`${sizeName}: ${scenario.name}: ${WARMUP_REQUESTS} requests to warm up, ${SECONDS} s measured, ${scenario.connections ?? CONNECTIONS} connections`);
      const rss = sampleResidentMemory(app.pid);
      const warmup = WARMUP_REQUESTS > 0 ? await cannon(scenario, origin, members, { requests: WARMUP_REQUESTS, limitMs: WARMUP_LIMIT_MS }) : undefined;
      const serverPid = scenario.server === 'app' ? app.pid : reference.pid;
      const serverCpuBefore = cpuMillis(serverPid) ?? NaN;
      const databaseCpuBefore = await backendCpu(stats, databaseName);
      const { result, latencies, byPath } = await cannon(scenario, origin, members, { seconds: SECONDS });
      const serverCpu = (cpuMillis(serverPid) ?? NaN) - serverCpuBefore;
      const databaseCpu = [...(await backendCpu(stats, databaseName))].reduce((sum, [pid, ms]) => sum + ms - (databaseCpuBefore.get(pid) ?? 0), 0);
      const peakRss = rss.stop();
      await sleep(STATS_SETTLE_MS);
      const after = await databaseCounters(stats, bench, databaseName);
      const requests = result.requests.total + (warmup?.result.requests.total ?? 0);
      const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count: n }]) => [status, n ?? 0]));
      const expected = scenario.form ? '303' : '200';
      const posted = after.posts - counters.posts;
      measured.push({
        scenario,
        requestsPerSecond: result.requests.total / result.duration,
        p50: result.latency.p50,
        p95: quantile(latencies, 0.95),
        p99: result.latency.p99,
        paths: scenario.rotation?.map((entry, i) => {
          const seen = byPath[i]!;
          return { ...entry, requests: seen.latencies.length, p50: quantile(seen.latencies, 0.5), p95: quantile(seen.latencies, 0.95), p99: quantile(seen.latencies, 0.99), summary: seen.summary ?? '', failures: seen.failures };
        }),
        bytes,
        peakRss,
        statuses,
        // A rotation's responses that were 200 but failed their check count too.
        unexpected: result.requests.total - (statuses[expected] ?? 0) + result.errors + byPath.reduce((sum, seen) => sum + seen.failures, 0),
        transactionsPerRequest: scenario.server === 'app' ? (after.transactions - counters.transactions) / requests : NaN,
        blocksPerRequest: (after.blocks - counters.blocks) / requests,
        serverCpuMs: serverCpu / result.requests.total,
        databaseCpuMs: databaseCpu / result.requests.total,
        notificationsPerPost: scenario.form && posted > 0 ? (after.notifications - counters.notifications) / posted : undefined,
      });
      const last = measured.at(-1)!;
      progress(`${sizeName}: ${scenario.name}: ${fixed(last.requestsPerSecond, 0)}/s, p50 ${last.p50} ms, p95 ${fixed(last.p95)} ms, p99 ${last.p99} ms, peak RSS ${mib(peakRss)}, statuses ${JSON.stringify(statuses)}`);
      counters = after;
    }
    const loadAtEnd = os.loadavg();
    // The app's counters still agree with the rows after the replies.
    const { rows: drift } = await bench.query<{ threads: string }>('select count(*) as threads from threads t where t.post_count <> (select count(*) from posts p where p.thread_id = t.id)');
    return {
      sizeName,
      forum,
      library,
      rssAfterStart,
      peakRss: runRss.stop(),
      measured,
      logWarnings: `${logWatch.counts.warn} warnings, ${logWatch.counts.error} errors${logWatch.messages.size ? ` (${[...logWatch.messages].map(([message, n]) => `${message} ×${n}`).join('; ')})` : ''}`,
      loadAverages: { start: loadAtStart, end: loadAtEnd },
      consistent: Number(drift[0]!.threads) === 0,
    };
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await bench.end().catch(() => undefined);
    await stats.query(`drop database if exists ${databaseName} with (force)`);
    await stats.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
    progress(`${sizeName}: app and reference stopped, database ${databaseName} dropped`);
  }
}

function reportSize(report: SizeReport): string {
  const { forum } = report;
  const out: string[] = [];
  const reference = report.measured.find((m) => m.scenario.server === 'reference');
  out.push(`### ${report.sizeName}: ${count(forum.counts.members)} members, ${count(forum.counts.threads)} threads, ${count(forum.counts.posts)} posts`, '');
  out.push(
    `- Seeded in ${forum.seconds.toFixed(1)} s (${forum.steps.map((s) => `${s.step} ${s.seconds.toFixed(1)} s`).join('; ')}): ` +
      `${count(forum.counts.reactions)} helpful reactions, ${count(forum.counts.answers)} accepted answers, ${count(forum.counts.threadReads)} read positions, ` +
      `${count(forum.counts.threadWatches)} thread watches, ${count(forum.counts.categoryWatches)} category watches, ${count(forum.counts.notifications)} notifications; ` +
      `the long thread has ${count(forum.longThread.postCount)} posts`,
  );
  const { library } = report;
  out.push(
    `- Library seeded in ${library.seconds.toFixed(1)} s: ${count(library.resources)} resources (${count(library.counts.featured)} featured) with ${count(library.counts.tags)} tags, ` +
      `${count(library.counts.files)} files, ${count(library.counts.reactions)} helpful marks, their ${count(library.counts.threads)} threads and ${count(library.counts.posts)} posts`,
  );
  out.push(`- Load average (1, 5, 15 min) at the first scenario: ${report.loadAverages.start.map((v) => v.toFixed(2)).join(' ')}; after the last: ${report.loadAverages.end.map((v) => v.toFixed(2)).join(' ')}`);
  out.push(`- App RSS after start-up ${mib(report.rssAfterStart)}; peak over the whole run (sign-ins and scenarios) ${mib(report.peakRss)}`);
  out.push('');
  out.push('| Scenario | Req/s | × reference | p50 ms | p95 ms | p99 ms | Response | App peak RSS | Server CPU ms / req | DB CPU ms / req | × reference by CPU | DB transactions / req | DB blocks / req | Statuses |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const m of report.measured) {
    if (m.skipped) {
      out.push(`| ${m.scenario.name} | not measured: ${m.skipped} | | | | | | | | | | | | |`);
      continue;
    }
    const ratio = reference && m !== reference ? fixed(m.requestsPerSecond / reference.requestsPerSecond, 2) : '';
    const cpuRatio = reference && m !== reference ? fixed(cpuShare(m, reference), 2) : '';
    const statuses = Object.entries(m.statuses).map(([status, n]) => `${status}×${count(n)}`).join(', ');
    out.push(
      `| ${m.scenario.name} | ${fixed(m.requestsPerSecond, 0)} | ${ratio} | ${m.p50} | ${fixed(m.p95, 0)} | ${m.p99} | ${m.bytes === undefined ? '303' : kb(m.bytes)} | ${m.scenario.server === 'app' ? mib(m.peakRss) : ''} | ${fixed(m.serverCpuMs, 2)} | ${fixed(m.databaseCpuMs, 2)} | ${cpuRatio} | ${fixed(m.transactionsPerRequest)} | ${fixed(m.blocksPerRequest, 0)} | ${statuses}${m.unexpected ? `, **${m.unexpected} unexpected**` : ''} |`,
    );
  }
  out.push('');
  for (const m of report.measured) out.push(`- ${m.scenario.name}: ${m.scenario.about}${m.notificationsPerPost !== undefined ? `; ${fixed(m.notificationsPerPost, 2)} notifications made per reply` : ''}`);
  for (const m of report.measured.filter((m) => m.paths)) {
    out.push('', `${m.scenario.name}, path by path (the same measured run: each connection goes round the paths in turn):`, '');
    out.push('| Path | Requests | p50 ms | p95 ms | p99 ms | Results (the page says) | Failed checks |');
    out.push('|---|---:|---:|---:|---:|---|---:|');
    for (const path of m.paths!) out.push(`| \`${path.path}\` | ${count(path.requests)} | ${fixed(path.p50, 0)} | ${fixed(path.p95, 0)} | ${fixed(path.p99, 0)} | ${path.summary} | ${path.failures} |`);
  }
  out.push(`- Thread post counts agree with their posts after the replies: ${report.consistent ? 'yes' : '**no**'}`);
  out.push(`- App log: ${report.logWarnings}`);
  out.push('', ...targets(report), '');
  return out.join('\n');
}

/**
 * The share of the reference's throughput the CPU times predict for a machine given to the
 * app and its database alone: the reference's CPU per request over this scenario's.
 */
function cpuShare(m: Measured, reference: Measured): number {
  return (reference.serverCpuMs + reference.databaseCpuMs) / (m.serverCpuMs + m.databaseCpuMs);
}

function targets(report: SizeReport): string[] {
  const find = (prefix: string) => report.measured.find((m) => m.scenario.name.startsWith(prefix) && !m.skipped);
  const reference = find('reference');
  const lines = ['Targets (issues 8 and 9):', ''];
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  for (const m of report.measured.filter((m) => /^(thread page|category page)/.test(m.scenario.name) && !m.skipped)) {
    const share = reference ? m.requestsPerSecond / reference.requestsPerSecond : NaN;
    const byCpu = reference ? cpuShare(m, reference) : NaN;
    lines.push(
      `- ${m.scenario.name}: ${fixed(share, 2)} of the reference's requests/s (target ≥ ${fixed(TARGETS.shareOfReference, 2)}): ${verdict(share >= TARGETS.shareOfReference)} ` +
        `(${fixed(byCpu, 2)} by CPU per request); p99 ${m.p99} ms (target < ${TARGETS.p99Ms}): ${verdict(m.p99 < TARGETS.p99Ms)}`,
    );
  }
  // Issue 9 asks the library's pages for the share of the reference only.
  for (const m of report.measured.filter((m) => m.scenario.name.startsWith('resource') && !m.skipped)) {
    const share = reference ? m.requestsPerSecond / reference.requestsPerSecond : NaN;
    lines.push(`- ${m.scenario.name}: ${fixed(share, 2)} of the reference's requests/s (target ≥ ${fixed(TARGETS.shareOfReference, 2)}): ${verdict(share >= TARGETS.shareOfReference)} (${fixed(reference ? cpuShare(m, reference) : NaN, 2)} by CPU per request)`);
  }
  const search = find('search');
  if (search) lines.push(`- search (issue 13): p95 ${fixed(search.p95, 0)} ms at ${search.scenario.connections} concurrent searchers (target < ${TARGETS.searchP95Ms} ms): ${verdict(search.p95 < TARGETS.searchP95Ms && search.unexpected === 0)}`);
  const reply = find('reply');
  if (reply) lines.push(`- replies: ${fixed(reply.requestsPerSecond, 0)}/s with ${fixed(reply.notificationsPerPost ?? NaN, 2)} notifications each (target ≥ ${TARGETS.repliesPerSecond}/s): ${verdict(reply.requestsPerSecond >= TARGETS.repliesPerSecond && reply.unexpected === 0)}`);
  const thread = find('thread page 1');
  if (thread?.bytes !== undefined) lines.push(`- thread page HTML: ${kb(thread.bytes)} (target < ${kb(TARGETS.threadPageBytes)}): ${verdict(thread.bytes < TARGETS.threadPageBytes)}`);
  lines.push(`- app RSS: peak ${mib(report.peakRss)} (target < ${mib(TARGETS.rssBytes)}): ${verdict(report.peakRss < TARGETS.rssBytes)}`);
  return lines;
}

function reportGrowth(reports: SizeReport[]): string {
  if (reports.length < 2) return '';
  const [large, small] = [...reports].sort((a, b) => b.forum.counts.posts - a.forum.counts.posts);
  const out = [`### Growth: ${large!.sizeName} (${count(large!.forum.counts.posts)} posts) against ${small!.sizeName} (${count(small!.forum.counts.posts)} posts)`, ''];
  out.push('| Scenario | Req/s small | Req/s large | large ÷ small | p95 ms small | p95 ms large | p95 large ÷ small | p99 ms small | p99 ms large | CPU ms / req (server + DB) small | large | DB blocks / req small | large |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of large!.measured) {
    // Deep pages differ in number between sizes (80 % of the way through the long thread).
    const key = (name: string) => name.replace(/^thread page (?!1$)\d+$/, 'thread page deep');
    const other = small!.measured.find((s) => key(s.scenario.name) === key(m.scenario.name));
    if (!other || m.skipped || other.skipped) continue;
    out.push(`| ${key(m.scenario.name)} | ${fixed(other.requestsPerSecond, 0)} | ${fixed(m.requestsPerSecond, 0)} | ${fixed(m.requestsPerSecond / other.requestsPerSecond, 2)} | ${fixed(other.p95, 0)} | ${fixed(m.p95, 0)} | ${fixed(m.p95 / other.p95, 2)} | ${other.p99} | ${m.p99} | ${fixed(other.serverCpuMs + other.databaseCpuMs, 2)} | ${fixed(m.serverCpuMs + m.databaseCpuMs, 2)} | ${fixed(other.blocksPerRequest, 0)} | ${fixed(m.blocksPerRequest, 0)} |`);
  }
  const search = large!.measured.find((m) => m.scenario.name === 'search' && !m.skipped);
  const smallSearch = small!.measured.find((m) => m.scenario.name === 'search' && !m.skipped);
  if (search && smallSearch) {
    const growth = search.p95 / smallSearch.p95;
    out.push('', `- search (issue 13): p95 ${fixed(search.p95, 0)} ms at ${count(large!.forum.counts.posts)} posts against ${fixed(smallSearch.p95, 0)} ms at ${count(small!.forum.counts.posts)}: ${fixed(growth, 2)}× (target within ${TARGETS.searchGrowth}×): ${growth <= TARGETS.searchGrowth ? 'met' : '**missed**'}`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  if (!serverUrl) {
    console.error('npm run bench measures discussions on a PostgreSQL server: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench');
    process.exitCode = 1;
    return;
  }
  const sizeNames = (process.env.BENCH_FORUM_SIZES ?? 'full,small').split(',').map((name) => name.trim()) as ForumSizeName[];
  const unknown = sizeNames.filter((name) => !(name in FORUM_SIZES));
  if (unknown.length > 0) throw new Error(`BENCH_FORUM_SIZES: unknown ${unknown.join(', ')} (known: ${Object.keys(FORUM_SIZES).join(', ')})`);
  const watchdog = setTimeout(() => {
    progress(`still running after ${WATCHDOG_MS / 60_000} minutes: exiting (a commons_bench_ database may be left on the server)`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  const started = performance.now();
  const reports: SizeReport[] = [];
  for (const sizeName of sizeNames) {
    if (stopRequested) break;
    reports.push(await runSize(sizeName, serverUrl));
  }
  const cpus = os.cpus();
  const server = new pg.Client({ connectionString: serverUrl });
  await server.connect();
  const version = (await server.query<{ version: string }>('select version()')).rows[0]!.version.split(' on ')[0];
  await server.end();
  console.log(
    [
      '## Discussions (npm run bench)',
      '',
      `- Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}; Node ${process.version}`,
      `- Database: ${version} at ${maskUrl(serverUrl)} (a fresh database per size, dropped after)`,
      `- Load: autocannon from this process, ${CONNECTIONS} connections, ${WARMUP_REQUESTS} requests to warm up (at most ${WARMUP_LIMIT_MS / 1000} s) then ${SECONDS} s measured per scenario; the app (node ${[...APP_NODE_ARGS, 'dist/src/server.js'].join(' ')}) and the reference each in a process of their own`,
      `- ${SIGNED_IN} members signed in through the real /login form (one per connection); the app runs with ${Object.entries(LIFTED_LIMITS).map(([k, v]) => `${k}=${v}`).join(', ')} (posting limits lifted for the reply scenarios), RATE_LIMIT_TRUSTED=127.0.0.0/8 (the page budget), and the seeded hashes' argon2 settings`,
      '- Server CPU and DB CPU per request: the CPU time (user + system, from /proc) of the app’s or the reference’s process and of the database backends serving it, over the measured requests; "× reference by CPU" is the reference’s total over this one’s, the share of its throughput to expect on a machine given to them alone',
      `- DB transactions and blocks per request: pg_stat_database (xact_commit + xact_rollback, blks_hit + blks_read) over warm-up and measurement, read ${STATS_SETTLE_MS / 1000} s after each scenario; every statement outside a transaction is one transaction`,
      `- Whole run: ${((performance.now() - started) / 60_000).toFixed(1)} minutes`,
      '',
      ...reports.map(reportSize),
      reportGrowth(reports),
      CPU_PROFILE_DIR ? `\nCPU profiles of the app: ${path.resolve(CPU_PROFILE_DIR)}` : '',
    ].join('\n'),
  );
}

await main();
