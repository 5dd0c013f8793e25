import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { sessionSecretsFor } from '../../src/db/data-dir.js';
import type { Database } from '../../src/db/database.js';
import type { ConcurrencyLimit } from '../../src/features/auth/password-hashing.js';
import { mailboxTransport, type MailTransport } from '../../src/mail/transport.js';
import { createTestDatabase } from './database.js';

export const TEST_ORIGIN = 'http://127.0.0.1:3000';
export const TEST_HOST = '127.0.0.1:3000';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  database: Database;
  db: Database['db'];
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  database?: Database;
  transport?: MailTransport;
  /** Routes to add inside the site's scope (a failing route, a members-only probe). */
  extraSiteRoutes?: FastifyPluginAsync;
  /** The app's clock, for session and lock expiry (see test/support/clock.ts). */
  now?: () => Date;
  /** The password-hashing slots, for a test that holds them. */
  hashingLimit?: ConcurrencyLimit;
}

export function testConfig(env: Record<string, string> = {}, dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-test-'))): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SESSION_SECRET: 'a-test-session-secret-that-is-long-enough-to-use',
    RATE_LIMIT_PAGES_PER_10S: '100000',
    // Every test file's embedded database runs on this thread: a busy machine must not make its
    // queries look like an overloaded site (the production threshold is a second).
    OVERLOAD_EVENT_LOOP_DELAY_MS: '30000',
    RATE_LIMIT_CONTACT_PER_HOUR: '100000',
    RATE_LIMIT_SIGNUPS_PER_HOUR: '100000',
    RATE_LIMIT_SIGNIN_ATTEMPTS_PER_HOUR: '100000',
    RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: '100000',
    RATE_LIMIT_HASHES_PER_MINUTE: '100000',
    // Cheap hashing for speed; one test proves the production defaults.
    PASSWORD_HASH_MEMORY_KIB: '1024',
    PASSWORD_HASH_TIME_COST: '1',
    LOG_LEVEL: 'info',
    ...env,
  });
}

// Each test app's clock, so a helper acting for a person (signIn's authenticator app) reads the time the app reads.
const appClocks = new WeakMap<FastifyInstance, () => Date>();

/** The real app on a fresh database, with its mail going to an on-disk mailbox. */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = testConfig(options.env);
  const database = options.database ?? (await createTestDatabase());
  const logs: Record<string, unknown>[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      callback();
    },
  });
  const transport = options.transport ?? mailboxTransport(path.join(config.dataDir, 'mail'), config.mailFrom);
  const app = await buildApp({ config, database, transport, sessionSecrets: sessionSecretsFor(config), logStream, runJobs: false, extraSiteRoutes: options.extraSiteRoutes, now: options.now, hashingLimit: options.hashingLimit });
  await app.ready();
  if (options.now) appClocks.set(app, options.now);
  return {
    app,
    config,
    database,
    db: database.db,
    logs,
    async close() {
      await app.close();
      if (!options.database) await database.close();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/** A browser's view of the site: cookies kept between requests, same-origin headers sent. */
export class Browser {
  private cookies = new Map<string, string>();

  constructor(private readonly app: FastifyInstance, private readonly host = TEST_HOST) {}

  /** The time by the app's clock (a test's TestClock, or now). */
  now(): Date {
    return appClocks.get(this.app)?.() ?? new Date();
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private remember(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() < Date.now());
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.remember(await this.app.inject({ method: 'GET', url, headers: { host: this.host, cookie: this.cookieHeader, ...headers } }));
  }

  /** Posts a urlencoded form as a browser would from one of our pages. */
  async post(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.postRaw(url, encodeForm(fields), headers);
  }

  /** Posts a body as given; `withOrigin: false` leaves out the Origin header, as some clients do. */
  async postRaw(url: string, payload: string, headers: Record<string, string> = {}, { withOrigin = true } = {}): Promise<LightMyRequestResponse> {
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        headers: { host: this.host, ...(withOrigin ? { origin: `http://${this.host}` } : {}), 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader, ...headers },
        payload,
      }),
    );
  }

  /** Opens a page with a form and returns its hidden fields (CSRF and form tokens). */
  async openForm(url: string): Promise<Record<string, string>> {
    const response = await this.get(url);
    if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}`);
    return hiddenFields(response.body);
  }
}

export function encodeForm(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  return params.toString();
}

export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = match[2]!;
  return fields;
}

export async function countRows(db: Database['db'], table: 'contact_messages' | 'outbound_emails' | 'sessions' | 'audit_events'): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** What a contact-form post can write, to show that a refused one wrote nothing. */
export async function contactRows(db: Database['db']): Promise<{ messages: number; emails: number }> {
  return { messages: await countRows(db, 'contact_messages'), emails: await countRows(db, 'outbound_emails') };
}
