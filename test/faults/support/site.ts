import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../../../src/db/database.js';
import { hiddenFields } from '../../support/app.js';
import { createCategory, createThreads } from '../../support/forum-rows.js';
import { createMember, type TestMember } from '../../support/members.js';

/**
 * Members of a running server seen from outside, over real sockets: what a fault does to them
 * is what a browser would see, a whole answer, a refused connection, or a cut one.
 */

/** Settings that keep the fault runs about faults: no limit of posts or pages, cheap password hashes. */
export const LOAD_SETTINGS = {
  // The event-loop guard's 503 would look like the database's to these tests, and a loaded
  // 2-core machine stalls the loop past its production 1 s: the faults here are others.
  OVERLOAD_EVENT_LOOP_DELAY_MS: '30000',
  RATE_LIMIT_TRUSTED: '127.0.0.0/8',
  RATE_LIMIT_PAGES_PER_10S: '100000',
  RATE_LIMIT_POSTS_PER_HOUR: '100000',
  RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '100000',
  PASSWORD_HASH_MEMORY_KIB: '1024',
  PASSWORD_HASH_TIME_COST: '1',
};

/**
 * How long a start may take: about 5 s on a quiet machine, but PGlite's start and recovery and
 * the migration check share the CPU with whatever else runs (20 s and more at a load of 24 on 2 cores).
 */
export const START_LIMIT_MS = 90_000;

/**
 * What one request got: a whole answer (its body read to the end), or the network failure's code,
 * with the status too when the failure cut an answer short after its headers had come.
 */
export interface Outcome {
  status?: number;
  retryAfter?: string | null;
  failure?: string;
}

export class SiteClient {
  private cookies = new Map<string, string>();

  constructor(readonly origin: string) {}

  async get(path: string): Promise<Response> {
    return this.remember(await fetch(new URL(path, this.origin), { redirect: 'manual', headers: { cookie: this.cookieHeader } }));
  }

  /**
   * A GET for setting a test up, before any fault: a server just started on a loaded machine
   * may still say it is busy (503, the event-loop guard), which a person would wait out too.
   */
  async getWhenReady(path: string): Promise<Response> {
    for (let attempt = 1; ; attempt += 1) {
      const response = await this.get(path);
      if (response.status !== 503 || attempt === 20) return response;
      await response.arrayBuffer();
      await sleep(500);
    }
  }

  async post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.remember(
      await fetch(new URL(path, this.origin), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: this.cookieHeader, origin: this.origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
    );
  }

  /** A page's hidden fields (CSRF and form tokens). */
  async formOn(path: string): Promise<Record<string, string>> {
    const page = await this.getWhenReady(path);
    const html = await page.text();
    if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}`);
    return hiddenFields(html);
  }

  /** Signs in through the real form, waiting out a busy answer as getWhenReady does. */
  async signIn(member: Pick<TestMember, 'email' | 'password'>): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const hidden = await this.formOn('/login');
      const response = await this.post('/login', { ...hidden, email: member.email, password: member.password });
      await response.arrayBuffer();
      if (response.status === 303) return;
      if (response.status !== 503 || attempt === 20) throw new Error(`signing in ${member.email} answered ${response.status}`);
      await sleep(500);
    }
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private remember(response: Response): Response {
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(';')[0]!;
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      if (value === '' || /max-age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

/** Runs a request and reads its answer to the end; a cut connection or a refused one becomes its error code. */
export async function attempt(request: () => Promise<Response>): Promise<Outcome> {
  const failure = (error: unknown) => {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? String(error);
  };
  let response: Response;
  try {
    response = await request();
  } catch (error) {
    return { failure: failure(error) };
  }
  try {
    await response.arrayBuffer();
    return { status: response.status, retryAfter: response.headers.get('retry-after') };
  } catch (error) {
    return { status: response.status, failure: failure(error) };
  }
}

/** A signed-in member with the thread's reply form open, each reply a fresh form token. */
export interface Replier {
  client: SiteClient;
  threadId: number;
  csrf: string;
}

/** Each member signed in, one after another (a burst of sign-ins is a load test of its own), with the reply form open. */
export async function openReplyForms(origin: string, members: readonly TestMember[], threadId: number): Promise<Replier[]> {
  const repliers: Replier[] = [];
  for (const member of members) repliers.push(await openReplyForm(origin, member, threadId));
  return repliers;
}

async function openReplyForm(origin: string, member: TestMember, threadId: number): Promise<Replier> {
  const client = new SiteClient(origin);
  await client.signIn(member);
  const redirect = await client.getWhenReady(`/t/${threadId}`);
  await redirect.arrayBuffer();
  const csrf = (await client.formOn(redirect.headers.get('location')!))._csrf;
  if (!csrf) throw new Error(`thread ${threadId} has no reply form for ${member.email}`);
  return { client, threadId, csrf };
}

export interface SentReply extends Outcome {
  body: string;
  /** When the answer (or failure) came (Date.now()). */
  at: number;
}

export function sendReply(replier: Replier, body: string): Promise<Outcome> {
  return attempt(() => replier.client.post(`/t/${replier.threadId}/reply`, { _csrf: replier.csrf, form_token: randomUUID(), body }));
}

/**
 * Each replier posts replies one after another, each with a body of its own, until `running()`
 * (told the replies answered so far) says stop; resolves with every reply sent and what it got.
 */
export async function replyInLoop(repliers: Replier[], label: string, running: (sent: readonly SentReply[]) => boolean): Promise<SentReply[]> {
  const sent: SentReply[] = [];
  await Promise.all(
    repliers.map(async (replier, index) => {
      for (let n = 1; running(sent); n += 1) {
        const body = `${label} reply ${index}-${n} ${randomUUID()}`;
        const outcome = await sendReply(replier, body);
        sent.push({ body, at: Date.now(), ...outcome });
        // A refused connection answers at once: pace the retries as a person would, not in a spin.
        if (outcome.failure || outcome.status !== 303) await sleep(100);
      }
    }),
  );
  return sent;
}

/** Members and one thread of their own category to reply to, made straight in the database. */
export async function seedThread(db: Database['db'], memberCount: number): Promise<{ members: TestMember[]; threadId: number }> {
  const members: TestMember[] = [];
  for (let i = 0; i < memberCount; i += 1) members.push(await createMember(db));
  const category = await createCategory(db);
  const [threadId] = await createThreads(db, category.id, members[0]!.id, 1);
  return { members, threadId: threadId! };
}

/** The bodies of `sent` that are not among the posts stored. */
export async function missingReplies(db: Database['db'], sent: readonly SentReply[]): Promise<string[]> {
  if (sent.length === 0) return [];
  const stored = new Set((await db.selectFrom('posts').select('body_source').where('body_source', 'in', sent.map((reply) => reply.body)).execute()).map((row) => row.body_source));
  return sent.map((reply) => reply.body).filter((body) => !stored.has(body));
}

/** How many of `outcomes` got each answer: `303`, `503`, `ECONNREFUSED`… */
export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  return countEach(outcomes.map((outcome) => outcome.failure ?? String(outcome.status)));
}

export function countEach(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
