import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { PasswordHasher } from '../src/features/auth/password-hashing.js';
import { listMailbox } from '../src/mail/mailbox.js';
import { Client } from './load.js';
import { benchWithSites, cookiesFrom, envInt, hiddenFields, progress, type Site } from './site.js';
import { median, quantile } from './stats.js';

/**
 * `npm run bench:flood`: how long a member waits to sign in while others make the app hash
 * passwords (issue 15, item 3). Production hash settings (argon2id, 64 MiB, t = 3), no trusted
 * ranges, every client on its own loopback address (127.0.0.2 and up; nothing but 127.0.0.1's
 * interface is contacted). A member signs in once a second, each time as another member from
 * another address, first alone, then while an attack runs. Bounded: each phase has a fixed
 * length, attackers keep a fixed number of requests in flight at most, and every request gives
 * up after 60 s.
 */

const BASELINE_SECONDS = envInt('BENCH_FLOOD_BASELINE_SECONDS', 10, 5, 120);
const ATTACK_SECONDS = envInt('BENCH_FLOOD_SECONDS', 30, 5, 120);
const REPLAYERS = envInt('BENCH_FLOOD_REPLAYERS', 2, 1, 50);
const SIGNIN_FLOODERS = envInt('BENCH_FLOOD_SIGNIN_ADDRESSES', 40, 1, 250);
const MEMBER_EVERY_MS = 1_000;
const REPLAY_EVERY_MS = 200;
// 10 a minute from each address: RATE_LIMIT_HASHES_PER_MINUTE's default, and over 30 s well
// under the 30 failed sign-ins an hour each address may make.
const SIGNIN_EVERY_MS = 6_000;
const MAX_IN_FLIGHT_PER_CLIENT = 50;
const REQUEST_TIMEOUT_MS = 60_000;
const MEMBERS = Math.ceil(((BASELINE_SECONDS + ATTACK_SECONDS) * 1000) / MEMBER_EVERY_MS) + 10;
const MEMBER_PASSWORD = 'kettle-harbour-violet-57-ledger';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const count = (tally: Record<string, number>, key: string) => (tally[key] = (tally[key] ?? 0) + 1);
const tallyText = (tally: Record<string, number>) =>
  Object.entries(tally)
    .map(([key, n]) => `${key}×${n}`)
    .join(', ') || 'none';

interface Form {
  cookie: string;
  hidden: Record<string, string>;
}

async function openForm(client: Client, path: string): Promise<Form> {
  const response = await client.request({ method: 'GET', path }, true);
  const hidden = hiddenFields(response.body);
  if (response.status !== 200 || !hidden._csrf) throw new Error(`GET ${path} answered ${response.status} without a form`);
  return { cookie: cookiesFrom(response.headers), hidden };
}

function postForm(client: Client, site: Site, path: string, form: Form, fields: Record<string, string>) {
  return client.request({
    method: 'POST',
    path,
    headers: { cookie: form.cookie, origin: site.origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form.hidden, ...fields }).toString(),
  });
}

/** Sends `send` every `everyMs` until `until`, with at most MAX_IN_FLIGHT_PER_CLIENT unanswered. */
async function repeat(everyMs: number, until: () => boolean, send: () => Promise<{ status: number }>, tally: Record<string, number>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  while (!until()) {
    if (inFlight.size < MAX_IN_FLIGHT_PER_CLIENT) {
      const request = send().then(
        (response) => void count(tally, String(response.status)),
        (error: Error) => void count(tally, `failed: ${error.message}`),
      );
      inFlight.add(request);
      void request.then(() => inFlight.delete(request));
    } else count(tally, 'not sent (too many in flight)');
    await sleep(everyMs);
  }
  await Promise.all(inFlight);
}

interface MemberPhase {
  /** How long each sign-in that succeeded (303) took. */
  seconds: number[];
  statuses: Record<string, number>;
}

/** Members sign in once a second, each from an address of its own, until `until`. */
async function membersSignIn(site: Site, next: () => number, until: () => boolean): Promise<MemberPhase> {
  const phase: MemberPhase = { seconds: [], statuses: {} };
  const running: Promise<void>[] = [];
  while (!until()) {
    const i = next();
    running.push(
      (async () => {
        const client = new Client(new URL(site.origin), 1, REQUEST_TIMEOUT_MS, `127.0.1.${(i % 250) + 1}`);
        try {
          const form = await openForm(client, '/login');
          const started = performance.now();
          const response = await postForm(client, site, '/login', form, { email: `flood.member.${i}@finance.gov.au`, password: MEMBER_PASSWORD });
          if (response.status === 303) phase.seconds.push((performance.now() - started) / 1000);
          count(phase.statuses, String(response.status));
        } catch (error) {
          count(phase.statuses, `failed: ${(error as Error).message}`);
        } finally {
          client.close();
        }
      })(),
    );
    await sleep(MEMBER_EVERY_MS);
  }
  await Promise.all(running);
  return phase;
}

async function addMembers(site: Site): Promise<void> {
  // One real hash with the app's settings, shared: every member signs in with the same password.
  const passwordHash = await new PasswordHasher(site.config.passwordHash).hash(MEMBER_PASSWORD);
  const rows = Array.from({ length: MEMBERS }, (_, i) => ({
    email: `flood.member.${i}@finance.gov.au`,
    canonical_email: `flood.member.${i}@finance.gov.au`,
    display_name: `Flood member ${i}`,
    handle: `flood_member_${i}`,
    password_hash: passwordHash,
    guidelines_version: '1.0',
    guidelines_accepted_at: sql<Date>`now()`,
    verified_at: sql<Date>`now()`,
  }));
  await site.db.insertInto('members').values(rows).execute();
}

/** The path of the verify link emailed to `email`, read from the mailbox as its owner would. */
async function verifyLinkFor(site: Site, email: string): Promise<string> {
  const started = performance.now();
  while (performance.now() - started < 30_000) {
    const message = listMailbox(path.join(site.config.dataDir, 'mail')).find((m) => m.to === email);
    const link = message && /https?:\/\/\S+\/verify\/\S+/.exec(message.text)?.[0];
    if (link) return new URL(link).pathname;
    await sleep(100);
  }
  throw new Error(`no verify link for ${email} within 30 s`);
}

interface Attack {
  name: string;
  /** How BENCH_FLOOD_ATTACKS names it. */
  key: string;
  description: string;
  /** Gets the attackers ready (links, forms) and returns one sender per attacking client. */
  prepare: (site: Site) => Promise<Array<{ client: Client; everyMs: number; send: () => Promise<{ status: number }> }>>;
}

const ATTACKS: Attack[] = [
  {
    name: 'step-2 replay',
    key: 'replay',
    description: `${REPLAYERS} clients each replay POST /verify/:token with a handle already taken, 5 a second (the probe's attack)`,
    async prepare(site) {
      return Promise.all(
        Array.from({ length: REPLAYERS }, async (_, k) => {
          const client = new Client(new URL(site.origin), MAX_IN_FLIGHT_PER_CLIENT, REQUEST_TIMEOUT_MS, `127.0.0.${k + 2}`);
          const email = `replayer.${k}@finance.gov.au`;
          const signup = await openForm(client, '/signup');
          const asked = await postForm(client, site, '/signup', signup, { email, accept_guidelines: 'yes' });
          if (asked.status !== 200) throw new Error(`POST /signup answered ${asked.status}`);
          const path = await verifyLinkFor(site, email);
          const form = await openForm(client, path);
          const fields = { display_name: 'Replayer', handle: 'flood_member_0', job_title: '', password: 'quartz-lantern-meadow-48-otter' };
          return { client, everyMs: REPLAY_EVERY_MS, send: () => postForm(client, site, path, form, fields) };
        }),
      );
    },
  },
  {
    name: 'sign-in flood',
    key: 'signin',
    description: `${SIGNIN_FLOODERS} addresses each try a wrong password on an unknown address every ${SIGNIN_EVERY_MS / 1000} s (within every per-address limit)`,
    async prepare(site) {
      return Promise.all(
        Array.from({ length: SIGNIN_FLOODERS }, async (_, k) => {
          const client = new Client(new URL(site.origin), MAX_IN_FLIGHT_PER_CLIENT, REQUEST_TIMEOUT_MS, `127.0.2.${k + 1}`);
          const form = await openForm(client, '/login');
          let n = 0;
          return { client, everyMs: SIGNIN_EVERY_MS, send: () => postForm(client, site, '/login', form, { email: `nobody.${k}.${(n += 1)}@finance.gov.au`, password: 'not-the-password-at-all-17' }) };
        }),
      );
    },
  },
];

const s = (seconds: number[], q: number) => (seconds.length ? quantile(seconds, q).toFixed(2) : '–');
const total = (tally: Record<string, number>) => Object.values(tally).reduce((sum, n) => sum + n, 0);

/** One attack on a fresh site: members alone, then members under the attack. */
async function run(site: Site, attack: Attack): Promise<string> {
  progress(`hash settings: ${JSON.stringify(site.config.passwordHash)}; making ${MEMBERS} members`);
  await addMembers(site);
  const loadAtStart = os.loadavg();
  let nextMember = 0;
  progress(`${attack.name}: ${BASELINE_SECONDS} s of members alone`);
  let end = performance.now() + BASELINE_SECONDS * 1000;
  const alone = await membersSignIn(site, () => nextMember++, () => performance.now() >= end);
  const attackers = await attack.prepare(site);
  progress(`${attack.name}: ${ATTACK_SECONDS} s under attack: ${attack.description}`);
  end = performance.now() + ATTACK_SECONDS * 1000;
  const attackTally: Record<string, number> = {};
  const until = () => performance.now() >= end;
  // Spread the attackers' first requests over their period, as independent clients would be.
  const flood = Promise.all(attackers.map(async (attacker, k) => (await sleep((attacker.everyMs * k) / attackers.length), repeat(attacker.everyMs, until, attacker.send, attackTally))));
  const underAttack = await membersSignIn(site, () => nextMember++, until);
  await flood;
  for (const attacker of attackers) attacker.client.close();
  const row = (phase: string, result: MemberPhase, attackText: string) =>
    `| ${phase} | ${total(result.statuses)} | ${result.seconds.length} | ${result.seconds.length ? median(result.seconds).toFixed(2) : '–'} | ${s(result.seconds, 0.9)} | ${s(result.seconds, 1)} | ${tallyText(result.statuses)} | ${attackText} |`;
  const cpus = os.cpus();
  return [
    `### ${attack.name}: ${site.database.embedded ? 'embedded database (PGlite)' : 'PostgreSQL server'}`,
    '',
    `- ${attack.description}`,
    `- Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}; load average at the start ${loadAtStart.map((v) => v.toFixed(2)).join(' ')}, at the end ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`,
    `- Database: ${site.databaseLabel}; hashing: argon2id m = ${site.config.passwordHash.memoryCost} KiB, t = ${site.config.passwordHash.timeCost}`,
    `- ${BASELINE_SECONDS} s of member sign-ins alone, then ${ATTACK_SECONDS} s under attack; a member signs in every ${MEMBER_EVERY_MS / 1000} s; the times are those of the POST /login of the sign-ins that succeeded (303)`,
    '',
    '| Phase | Member sign-ins | Signed in | Median s | p90 s | Max s | Member statuses | Attack requests |',
    '|---|---:|---:|---:|---:|---:|---|---|',
    row('alone', alone, '–'),
    row('under attack', underAttack, tallyText(attackTally)),
    '',
  ].join('\n');
}

// No trusted ranges: every per-address limit applies, as it would to strangers on the internet.
// BENCH_FLOOD_ATTACKS=replay or =signin runs one: a process that ends takes any hashes still
// queued with it, where the next site in the same process would share the CPU with them.
const chosen = (process.env.BENCH_FLOOD_ATTACKS ?? 'replay,signin').split(',').map((key) => key.trim());
await benchWithSites(
  { env: { RATE_LIMIT_TRUSTED: '' }, watchdogMs: 20 * 60_000 },
  ATTACKS.filter((attack) => chosen.includes(attack.key)).map((attack) => (site: Site) => run(site, attack)),
);
