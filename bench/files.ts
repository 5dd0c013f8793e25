import { createHash, randomBytes, randomUUID, type Hash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, maskUrl } from '../src/config.js';
import { databaseFromPool, openDatabase, serverPool, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { seedForum } from './forum-seed.js';
import { freshServerDatabase } from './seeded-app.js';
import { Client } from './load.js';
import { residentBytes, sampleResidentMemory, startServer } from './processes.js';
import { APP_ENV, APP_NODE_ARGS, signIn, type Member } from './signed-in.js';
import { envInt, freePort, hiddenFields, LogWatch, progress } from './site.js';

/**
 * `npm run bench:files`: issue 9's memory run. On each database (the embedded one in a fresh
 * DATA_DIR; with DATABASE_URL, also a fresh database on that server; BENCH_FILES_DATABASES
 * picks), start the real app in a process of its own as `npm start` runs it, sign one member in,
 * warm up with one small upload and download, read the app's resident memory while idle, then
 * share FILES resources with one 25 MB file each, TWO_AT_A_TIME, through the real form
 * (multipart, `_csrf` first), and download every file back TWO_AT_A_TIME, checking each one's
 * SHA-256, sampling the app's RSS throughout. The bodies are generated as they are sent and the
 * downloads hashed as they arrive, so this process holds no file either. Markdown on stdout.
 */

const FILES = envInt('BENCH_FILES', 10, 1, 100);
const TWO_AT_A_TIME = envInt('BENCH_FILES_CONCURRENCY', 2, 1, 10);
const FILE_MIB = envInt('BENCH_FILE_MB', 25, 1, 1024);
const RISE_LIMIT = 64 * 1024 * 1024;
const SAMPLE_MS = 50;
const SETTLE_MS = 3_000;
const CHUNK = 64 * 1024;
const MIB = 1024 * 1024;

// Every file has a PDF's signature, which is what the sniffer decides on, and bytes of its own
// after it (distinct contents: deduplication must not hide the cost).
const PDF_HEAD = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
const PDF_TAIL = Buffer.from('\n%%EOF\n', 'latin1');

const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;

/** A file's bytes, made as they are read; `hash` has seen them all once the stream has ended. */
function generatedPdf(byteSize: number): { stream: Readable; hash: Hash } {
  const hash = createHash('sha256');
  const padding = byteSize - PDF_HEAD.length - PDF_TAIL.length;
  async function* bytes() {
    yield PDF_HEAD;
    for (let left = padding; left > 0; left -= CHUNK) yield randomBytes(Math.min(CHUNK, left));
    yield PDF_TAIL;
  }
  const stream = Readable.from(bytes()).map((chunk: Buffer) => {
    hash.update(chunk);
    return chunk;
  });
  return { stream, hash };
}

/** The share form's fields as multipart, `_csrf` first (the app refuses a file before its token). */
function multipartForm(member: Member, fields: [string, string][], file: { name: string; byteSize: number }) {
  const boundary = `----commons-bench-${randomUUID()}`;
  const field = ([name, value]: [string, string]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    [['_csrf', member.csrf] as [string, string], ...fields].map(field).join('') +
      `--${boundary}\r\ncontent-disposition: form-data; name="files"; filename="${file.name}"\r\ncontent-type: application/pdf\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, length: head.length + file.byteSize + tail.length, head, tail };
}

function send(origin: URL, options: http.RequestOptions, body?: Readable): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: origin.hostname, port: origin.port, ...options }, resolve);
    request.setTimeout(120_000, () => request.destroy(new Error('no response within 120 s')));
    request.on('error', reject);
    if (body) body.on('error', (error) => request.destroy(error)).pipe(request);
    else request.end();
  });
}

async function text(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface Shared {
  path: string;
  sha256: string;
  byteSize: number;
}

/** Shares a resource with one generated file through the real form; resolves to its page and the file's hash. */
async function share(origin: URL, member: Member, agencyId: number, n: number, byteSize: number): Promise<Shared> {
  const formPage = await get(origin, member, '/resources/new');
  const formToken = hiddenFields(await text(formPage)).form_token;
  if (formPage.statusCode !== 200 || !formToken) throw new Error(`/resources/new answered ${formPage.statusCode} without a form token`);
  const fields: [string, string][] = [
    ['form_token', formToken],
    ['kind', 'guide'],
    ['title', `Benchmark guide number ${n}`],
    ['summary', 'A large generated file, shared to measure how much memory uploads and downloads take.'],
    ['body', ''],
    ['tags', 'benchmark'],
    ['initiative_types', 'data-and-reporting'],
    ['agency', String(agencyId)],
    ['external_url', ''],
  ];
  const form = multipartForm(member, fields, { name: `benchmark-${n}.pdf`, byteSize });
  const file = generatedPdf(byteSize);
  const body = Readable.from(
    (async function* () {
      yield form.head;
      yield* file.stream;
      yield form.tail;
    })(),
  );
  const response = await send(
    origin,
    { method: 'POST', path: '/resources/new', headers: { cookie: member.cookie, origin: origin.origin, 'content-type': form.contentType, 'content-length': form.length } },
    body,
  );
  const answer = await text(response);
  if (response.statusCode !== 303) throw new Error(`sharing file ${n} answered ${response.statusCode}: ${/<p class="error[^>]*>(.*?)<\/p>|role="alert"[^>]*>([\s\S]*?)</.exec(answer)?.slice(1).find(Boolean) ?? answer.slice(0, 200)}`);
  return { path: response.headers.location!, sha256: file.hash.digest('hex'), byteSize };
}

// GETs the app refused as overloaded (503, its event loop delayed): retried after Retry-After, and reported.
const overloaded = { count: 0 };

async function get(origin: URL, member: Member, path: string): Promise<http.IncomingMessage> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await send(origin, { method: 'GET', path, headers: { cookie: member.cookie } });
    if (response.statusCode !== 503 || attempt === 5) return response;
    overloaded.count += 1;
    response.resume();
    await sleep(1000 * Number(response.headers['retry-after'] ?? 1));
  }
}

/** Finds the file on a resource's page and downloads it, hashing it as it arrives. */
async function download(origin: URL, member: Member, shared: Shared): Promise<void> {
  const page = await get(origin, member, shared.path);
  const href = /href="(\/files\/\d+\/[^"]+)"/.exec(await text(page))?.[1];
  if (page.statusCode !== 200 || !href) throw new Error(`${shared.path} answered ${page.statusCode} without a file link`);
  let response = await get(origin, member, href.replaceAll('&amp;', '&'));
  // The address's name is the app's to choose: it redirects to its own spelling.
  if (response.statusCode === 301 || response.statusCode === 302 || response.statusCode === 303) {
    response.resume();
    response = await get(origin, member, response.headers.location!);
  }
  if (response.statusCode !== 200) throw new Error(`${href} answered ${response.statusCode}`);
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(response, async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  });
  const sha256 = hash.digest('hex');
  if (sha256 !== shared.sha256 || bytes !== shared.byteSize) throw new Error(`${href}: ${bytes} bytes with SHA-256 ${sha256}, not the ${shared.byteSize} uploaded (${shared.sha256})`);
}

/** Runs `task` for 0..count-1, `concurrency` at a time. */
async function inTurns<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

interface Run {
  database: string;
  before: number;
  peakUploads: number;
  peakDownloads: number;
  uploadSeconds: number;
  downloadSeconds: number;
  /** GETs answered 503 (overloaded) and retried. */
  overloaded: number;
  log: string;
}

/** A fresh database with one small forum, seeded from here before the app starts; the app's env for it. */
async function freshDatabase(kind: 'postgres' | 'embedded', dataDir: string): Promise<{ env: Record<string, string>; label: string; member: { id: number; email: string; agencyId: number }; drop(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  let database: Database;
  let env: Record<string, string> = {};
  let drop = async () => {};
  let label: string;
  if (kind === 'postgres') {
    const fresh = await freshServerDatabase(serverUrl!);
    database = databaseFromPool(serverPool(fresh.url, 2), fresh.name, false, { error: () => undefined });
    env = { DATABASE_URL: fresh.url };
    label = `PostgreSQL server, fresh database ${fresh.name} at ${maskUrl(serverUrl!)}`;
    drop = fresh.drop;
  } else {
    database = await openDatabase(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }), { error: () => undefined });
    label = `embedded PGlite in a fresh DATA_DIR`;
  }
  try {
    await migrateToLatest(database.db);
    await seedForum(database.db, { members: 20, threads: 10, posts: 20, longThreadPosts: 5 });
    const member = await database.db.selectFrom('members').select(['id', 'email', 'agency_id']).where('role', '=', 'member').orderBy('id').executeTakeFirstOrThrow();
    return { env, label, member: { id: member.id, email: member.email, agencyId: member.agency_id! }, drop };
  } finally {
    await database.close();
  }
}

async function measure(kind: 'postgres' | 'embedded'): Promise<Run> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-bench-files-'));
  const fresh = await freshDatabase(kind, dataDir);
  const origin = new URL(`http://127.0.0.1:${await freePort()}`);
  const logWatch = new LogWatch();
  const app = await startServer({
    script: new URL('../src/server.js', import.meta.url),
    nodeArgs: APP_NODE_ARGS,
    env: {
      ...APP_ENV,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: origin.port,
      PUBLIC_URL: origin.origin,
      DATA_DIR: dataDir,
      TMPDIR: os.tmpdir(),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_TRUSTED: '127.0.0.0/8',
      RATE_LIMIT_POSTS_PER_HOUR: '100000',
      PASSWORD_HASH_MEMORY_KIB: '1024',
      PASSWORD_HASH_TIME_COST: '1',
      UPLOAD_MAX_FILE_MB: String(FILE_MIB),
      ...fresh.env,
    },
    origin: origin.origin,
    readyPath: '/readyz',
    output: logWatch,
  });
  try {
    progress(`${kind}: app at ${origin.origin} (pid ${app.pid}) on ${fresh.label}`);
    const client = new Client(origin, 2, 30_000);
    const member = await signIn(client, origin.origin, fresh.member.email, fresh.member.id, '/resources/new').finally(() => client.close());
    // Warm-up: the form, the upload path, the store and a download have all run once.
    await download(origin, member, await share(origin, member, fresh.member.agencyId, 0, MIB));
    await sleep(SETTLE_MS);
    const before = residentBytes(app.pid);
    const byteSize = FILE_MIB * MIB;
    progress(`${kind}: RSS idle ${mib(before)}; sharing ${FILES} files of ${FILE_MIB} MiB, ${TWO_AT_A_TIME} at a time`);

    let rss = sampleResidentMemory(app.pid, SAMPLE_MS);
    let started = performance.now();
    const shared = await inTurns(FILES, TWO_AT_A_TIME, (index) => share(origin, member, fresh.member.agencyId, index + 1, byteSize));
    const uploadSeconds = (performance.now() - started) / 1000;
    const peakUploads = rss.stop();
    progress(`${kind}: uploads in ${uploadSeconds.toFixed(1)} s, peak RSS ${mib(peakUploads)}; downloading them back`);

    rss = sampleResidentMemory(app.pid, SAMPLE_MS);
    started = performance.now();
    await inTurns(FILES, TWO_AT_A_TIME, (index) => download(origin, member, shared[index]!));
    const downloadSeconds = (performance.now() - started) / 1000;
    const peakDownloads = rss.stop();
    progress(`${kind}: downloads in ${downloadSeconds.toFixed(1)} s, peak RSS ${mib(peakDownloads)}; every SHA-256 matched`);
    const retried = overloaded.count;
    overloaded.count = 0;
    const log = `${logWatch.counts.warn} warnings, ${logWatch.counts.error} errors${logWatch.messages.size ? ` (${[...logWatch.messages].map(([message, n]) => `${message} ×${n}`).join('; ')})` : ''}`;
    return { database: fresh.label, before, peakUploads, peakDownloads, uploadSeconds, downloadSeconds, overloaded: retried, log };
  } finally {
    await app.stop();
    await fresh.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(runs: Run[]): string {
  const totalMiB = FILES * FILE_MIB;
  const cpus = os.cpus();
  const out = [
    '## Files: memory while uploading and downloading (npm run bench:files)',
    '',
    `- Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM; Node ${process.version}; the app as \`npm start\` runs it (node ${[...APP_NODE_ARGS, 'dist/src/server.js'].join(' ')})`,
    `- ${FILES} resources shared through POST /resources/new (multipart, \`_csrf\` first), each with one generated ${FILE_MIB} MiB PDF of its own bytes, ${TWO_AT_A_TIME} at a time; then each file downloaded from the link on its resource's page, ${TWO_AT_A_TIME} at a time, its SHA-256 checked`,
    `- RSS of the app's process from /proc every ${SAMPLE_MS} ms; "before" is read idle ${SETTLE_MS / 1000} s after a warm-up (one 1 MiB file shared and downloaded); the rise is the higher peak less "before" (limit ${mib(RISE_LIMIT)})`,
    '',
    '| Database | RSS before | Peak uploading | Peak downloading | Rise | ≤ 64 MiB | Upload MiB/s | Download MiB/s | GETs answered 503 (retried) |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const run of runs) {
    const rise = Math.max(run.peakUploads, run.peakDownloads) - run.before;
    out.push(`| ${run.database} | ${mib(run.before)} | ${mib(run.peakUploads)} | ${mib(run.peakDownloads)} | ${mib(rise)} | ${rise <= RISE_LIMIT ? 'pass' : '**fail**'} | ${(totalMiB / run.uploadSeconds).toFixed(1)} | ${(totalMiB / run.downloadSeconds).toFixed(1)} | ${run.overloaded} |`);
  }
  out.push('', ...runs.map((run) => `- App log on ${run.database}: ${run.log}`), '');
  return out.join('\n');
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  const kinds = (process.env.BENCH_FILES_DATABASES ?? (serverUrl ? 'postgres,embedded' : 'embedded')).split(',').map((kind) => kind.trim());
  for (const kind of kinds) if (kind !== 'postgres' && kind !== 'embedded') throw new Error(`BENCH_FILES_DATABASES: unknown ${kind} (postgres, embedded)`);
  if (kinds.includes('postgres') && !serverUrl) throw new Error('the PostgreSQL run needs DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
  const runs: Run[] = [];
  for (const kind of kinds as ('postgres' | 'embedded')[]) runs.push(await measure(kind));
  console.log(report(runs));
}

await main();
