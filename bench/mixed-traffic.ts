import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../src/db/schema.js';
import { postBody, seededRandom, type Random } from './forum-text.js';
import type { BenchRequest, Client } from './load.js';
import { signIn, type Member } from './signed-in.js';

/**
 * What the long-running benches (bench/soak.ts, bench/embedded-memory.ts) ask of a seeded forum
 * (bench/forum-seed.ts): a mix of what members do, each request as a member signed in through the
 * real /login form sends it, forms with their CSRF token and a fresh form_token, an upload as a
 * browser sends it (multipart, `_csrf` first).
 */

export type TrafficKind = 'thread page' | 'list page' | 'search' | 'notifications' | 'reply' | 'reaction' | 'upload';

/** Each kind's share of the requests, in parts of 100. */
export const TRAFFIC_MIX: Record<TrafficKind, number> = {
  'thread page': 35,
  'list page': 20,
  search: 10,
  notifications: 10,
  reply: 10,
  reaction: 10,
  upload: 5,
};

/** What a request of each kind should answer: pages 200, forms their redirect. */
export const EXPECTED_STATUS: Record<TrafficKind, number> = {
  'thread page': 200,
  'list page': 200,
  search: 200,
  notifications: 200,
  reply: 303,
  reaction: 303,
  upload: 303,
};

export interface TrafficPlan {
  /** Who will sign in. */
  accounts: { id: number; email: string }[];
  threadPaths: string[];
  listPaths: string[];
  /** Threads members may reply to (unlocked, in members' categories). */
  replyThreadIds: number[];
  /** Posts to mark helpful, with their authors (a member cannot mark their own). */
  posts: { id: number; authorId: number }[];
  searchPaths: string[];
  replyBodies: string[];
}

export interface TrafficTargets extends TrafficPlan {
  members: Member[];
}

const SEARCHES = ['comments', 'records retention', 'password manager', 'Bendigo', 'captions', '"holding statement"', 'bushfire season', 'TikTok security guidance'];
const TARGET_THREADS = 2_000;
const TARGET_POSTS = 5_000;
const REPLY_BODIES = 50;
// What the upload attaches: a small plain-text file, as a member shares notes.
const UPLOAD_TEXT = 'Notes from the session on records retention.\n'.repeat(40);

/**
 * Picks `count` members (those with unread notifications, so /notifications has something)
 * and what they will read, reply to and react to, the same for every run.
 */
export async function planTraffic(db: Kysely<DB>, count: number): Promise<TrafficPlan> {
  const chosen = await sql<{ id: number; email: string }>`
    select m.id, m.email from members m
    where m.role = 'member' and exists (select 1 from notifications n where n.member_id = m.id and n.read_at is null)
    order by hashint8(m.id) limit ${count}`.execute(db);
  const threads = await sql<{ id: number; slug: string; locked: boolean }>`
    select t.id, t.slug, t.locked_at is not null as locked from threads t join categories c on c.id = t.category_id
    where c.visible_to = 'members' order by hashint8(t.id) limit ${TARGET_THREADS}`.execute(db);
  const categories = await db.selectFrom('categories').select('slug').where('visible_to', '=', 'members').execute();
  const posts = await sql<{ id: number; author_id: number }>`
    select p.id, p.author_id from posts p join threads t on t.id = p.thread_id join categories c on c.id = t.category_id
    where c.visible_to = 'members' order by hashint8(p.id) limit ${TARGET_POSTS}`.execute(db);
  const handles = (await db.selectFrom('members').select('handle').where('role', '=', 'member').orderBy('id').limit(200).execute()).map((row) => row.handle);
  const random = seededRandom(14);

  if (threads.rows.length === 0 || chosen.rows.length === 0) throw new Error('the forum has no threads or no members with unread notifications: seed it first');
  return {
    accounts: chosen.rows,
    threadPaths: threads.rows.map((thread) => `/t/${thread.id}/${thread.slug}`),
    listPaths: ['/', '/c', ...categories.map((category) => `/c/${category.slug}`)],
    replyThreadIds: threads.rows.filter((thread) => !thread.locked).map((thread) => thread.id),
    posts: posts.rows.map((post) => ({ id: post.id, authorId: post.author_id })),
    searchPaths: SEARCHES.map((q) => `/search?${new URLSearchParams({ q }).toString()}`),
    replyBodies: Array.from({ length: REPLY_BODIES }, () => postBody(random, handles)),
  };
}

/** The plan's members, signed in through the real /login form. */
export async function signInPlanned(plan: TrafficPlan, client: Client, origin: string): Promise<TrafficTargets> {
  const members: Member[] = [];
  for (const account of plan.accounts) members.push(await signIn(client, origin, account.email, account.id, plan.threadPaths[0]!));
  return { ...plan, members };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function kindFor(random: Random): TrafficKind {
  let roll = random() * 100;
  for (const [kind, share] of Object.entries(TRAFFIC_MIX) as [TrafficKind, number][]) {
    roll -= share;
    if (roll < 0) return kind;
  }
  return 'thread page';
}

function multipart(fields: [string, string][], file: { field: string; name: string; type: string; content: string }): { body: string; contentType: string } {
  const boundary = `----commons-bench-${randomUUID()}`;
  const parts = fields.map(([name, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  parts.push(`--${boundary}\r\ncontent-disposition: form-data; name="${file.field}"; filename="${file.name}"\r\ncontent-type: ${file.type}\r\n\r\n${file.content}\r\n`);
  return { body: `${parts.join('')}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** One request of the mix, from a member picked at random. */
export function nextRequest(targets: TrafficTargets, origin: string, random: Random): { kind: TrafficKind; request: BenchRequest } {
  const kind = kindFor(random);
  const member = pick(random, targets.members);
  const headers = { cookie: member.cookie };
  const form = { ...headers, origin, 'content-type': 'application/x-www-form-urlencoded' };
  switch (kind) {
    case 'thread page':
      return { kind, request: { method: 'GET', path: pick(random, targets.threadPaths), headers } };
    case 'list page':
      return { kind, request: { method: 'GET', path: pick(random, targets.listPaths), headers } };
    case 'search':
      return { kind, request: { method: 'GET', path: pick(random, targets.searchPaths), headers } };
    case 'notifications':
      return { kind, request: { method: 'GET', path: '/notifications', headers } };
    case 'reply': {
      const body = new URLSearchParams({ _csrf: member.csrf, form_token: randomUUID(), body: pick(random, targets.replyBodies) }).toString();
      return { kind, request: { method: 'POST', path: `/t/${pick(random, targets.replyThreadIds)}/reply`, headers: form, body } };
    }
    case 'reaction': {
      let post = pick(random, targets.posts);
      while (post.authorId === member.id) post = pick(random, targets.posts);
      const body = new URLSearchParams({ _csrf: member.csrf, helpful: random() < 0.8 ? 'yes' : 'no' }).toString();
      return { kind, request: { method: 'POST', path: `/p/${post.id}/helpful`, headers: form, body } };
    }
    case 'upload': {
      const { body, contentType } = multipart(
        [
          ['_csrf', member.csrf],
          ['form_token', randomUUID()],
          ['body', pick(random, targets.replyBodies)],
        ],
        { field: 'file_1', name: 'session-notes.txt', type: 'text/plain', content: UPLOAD_TEXT },
      );
      return { kind, request: { method: 'POST', path: `/t/${pick(random, targets.replyThreadIds)}/reply`, headers: { ...headers, origin, 'content-type': contentType }, body } };
    }
  }
}
