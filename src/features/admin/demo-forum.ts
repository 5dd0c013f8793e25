import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db, Role } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { memoryCounters } from '../../lib/counters.js';
import { SiteSettings } from '../../site-settings.js';
import { findSetting, upsertSetting } from '../auth/queries.js';
import { setAnswer } from '../discussions/answers.js';
import type { Poster } from '../discussions/posting.js';
import { findCategoryBySlug, type Category } from '../discussions/queries/categories.js';
import { findPostLocation } from '../discussions/queries/posts.js';
import { findIdByFormToken, findThread, type Thread } from '../discussions/queries/threads.js';
import { setHelpful } from '../discussions/reactions.js';
import { replyToThread } from '../discussions/replies.js';
import { startThread } from '../discussions/threads.js';
import { DEMO_MEMBERS } from './demo-data.js';
import { DEMO_THREADS, type DemoPost, type DemoThread } from './demo-forum-content.js';

/**
 * The demo forum for `npm run seed` (development only): DEMO_THREADS posted by the demo members
 * through the discussions services, so counts, read positions, watches and notifications are
 * what the site itself makes, and so are the "helpful" reactions and the accepted answer; then
 * everything is moved back in time so the lists look lived in.
 * Added once: a site setting records it, and every post's form token is fixed, so a run that
 * stopped half-way finishes the job next time without posting anything twice.
 */

const SEEDED = 'demo.forum_seeded';
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export type DemoForumResult = { kind: 'added'; threads: number; replies: number } | { kind: 'already-there' } | { kind: 'missing'; missing: string[] };

/** The form token of a demo thread's n-th post (1 is the first): the same on every run. */
export function demoFormToken(threadKey: string, n: number): string {
  const hex = createHash('sha256').update(`commons demo forum\0${threadKey}\0${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A post's place in the plan: where it ended up, when it was "written", who found it helpful. */
interface Written {
  postId: number;
  at: Date;
  helpful: string[];
}

interface Answer {
  postId: number;
  repliedAt: Date;
}

export async function seedDemoForum(deps: Deps): Promise<DemoForumResult> {
  if ((await findSetting(deps.db, SEEDED)) !== undefined) return { kind: 'already-there' };
  const now = deps.now();
  const timeOf = (post: DemoPost) => demoTime(post.at, now, deps.settings.current.TIME_ZONE);
  const cast = await findCast(deps.db);
  if (cast.kind === 'missing') return cast;
  await backdateJoining(deps.db, cast.posters, new Date(Math.min(...DEMO_THREADS.map((thread) => timeOf(thread).getTime())) - 14 * DAY_MS));

  // Seventy-odd posts and a hundred reactions by six members in a few seconds would trip the
  // limits that guard the live site. The demo members post through the same services with the
  // limits lifted, counted on counters of their own, so nothing is left in a shared store
  // (Redis) to hold them back once they sign in.
  const posting = withPostingLimitsLifted(deps);
  const result = { kind: 'added' as const, threads: 0, replies: 0 };
  const written: Written[] = [];
  const threadIds: number[] = [];
  const answers: Answer[] = [];
  for (const demo of DEMO_THREADS) {
    const thread = await postDemoThread(posting, cast, demo, timeOf);
    result.threads += thread.started ? 1 : 0;
    result.replies += thread.repliesAdded;
    threadIds.push(thread.id);
    written.push(...thread.written);
    answers.push(...thread.answers);
  }

  await inTransaction(deps.db, async (trx) => {
    await backdate(trx, { written, answers, threadIds, posters: cast.posters, now });
    await upsertSetting(trx, SEEDED, { at: now.toISOString(), threads: DEMO_THREADS.length });
  });
  return result;
}

interface Cast {
  kind: 'found';
  posters: Map<string, Poster>;
  categories: Map<string, Category>;
}

/** The demo members and the categories the threads go in, or what is missing of them. */
async function findCast(db: Db): Promise<Cast | { kind: 'missing'; missing: string[] }> {
  const posters = await findDemoPosters(db);
  const handles = DEMO_THREADS.flatMap((thread) => [thread, ...thread.replies]).flatMap((post) => [post.author, ...(post.helpful ?? [])]);
  const missing = new Set(handles.filter((handle) => !posters.has(handle)).map((handle) => `member @${handle}`));
  const categories = new Map<string, Category>();
  for (const thread of DEMO_THREADS) {
    const author = posters.get(thread.author);
    if (!author || categories.has(thread.category)) continue;
    const category = await findCategoryBySlug(db, thread.category, author);
    if (category) categories.set(thread.category, category);
    else missing.add(`category ${thread.category}`);
  }
  return missing.size > 0 ? { kind: 'missing', missing: [...missing] } : { kind: 'found', posters, categories };
}

/** One thread and its replies, through the services; what a resubmitted form made is reused. */
async function postDemoThread(posting: Deps, cast: Cast, demo: DemoThread, timeOf: (post: DemoPost) => Date) {
  const author = cast.posters.get(demo.author)!;
  const started = await startThread(posting, author, cast.categories.get(demo.category)!, { title: demo.title, body: demo.body, formToken: demoFormToken(demo.key, 1) });
  if (started.kind !== 'started' && started.kind !== 'duplicate') throw new Error(`demo thread ${demo.key} was refused: ${started.kind}`);
  const thread = await findThread(posting.db, author, started.threadId);
  if (!thread) throw new Error(`demo thread ${demo.key} (${started.threadId}) has been deleted: the demo forum cannot be finished`);
  const postIds = [(await findIdByFormToken(posting.db, 'posts', demoFormToken(demo.key, 1), author.id))!];
  const written: Written[] = [{ postId: postIds[0]!, at: timeOf(demo), helpful: demo.helpful ?? [] }];
  const answers: Answer[] = [];
  let repliesAdded = 0;
  for (const [index, reply] of demo.replies.entries()) {
    const replier = cast.posters.get(reply.author)!;
    const replyToPostId = reply.replyTo === undefined ? undefined : postIds[reply.replyTo - 1];
    if (reply.replyTo !== undefined && replyToPostId === undefined) throw new Error(`demo thread ${demo.key}: reply ${index + 2} answers post ${reply.replyTo}, which comes after it`);
    const result = await replyToThread(posting, replier, thread, { body: reply.body, replyToPostId, formToken: demoFormToken(demo.key, index + 2) });
    if (result.kind !== 'posted' && result.kind !== 'duplicate') throw new Error(`demo reply ${index + 2} in ${demo.key} was refused: ${result.kind}`);
    repliesAdded += result.kind === 'posted' ? 1 : 0;
    postIds.push(result.postId);
    written.push({ postId: result.postId, at: timeOf(reply), helpful: reply.helpful ?? [] });
    if (reply.answer) answers.push({ postId: result.postId, repliedAt: timeOf(reply) });
  }
  await markDemoPosts(posting, cast, { author, thread, written, answers });
  return { id: thread.id, started: started.kind === 'started', repliesAdded, written, answers };
}

/**
 * Who found each post helpful, and the answer the thread's author accepted, through the services:
 * a mark is a state wanted, so marking again changes nothing.
 */
async function markDemoPosts(posting: Deps, cast: Cast, { author, thread, written, answers }: { author: Poster; thread: Thread; written: Written[]; answers: Answer[] }): Promise<void> {
  for (const post of written) {
    for (const handle of post.helpful) {
      const member = cast.posters.get(handle)!;
      const marked = await setHelpful(posting, member, (await findPostLocation(posting.db, member, post.postId))!, true);
      if (marked.kind !== 'done') throw new Error(`demo thread ${thread.slug}: @${handle} could not find post ${post.postId} helpful: ${marked.kind}`);
    }
  }
  for (const answer of answers) {
    const marked = await setAnswer(posting, author, thread, (await findPostLocation(posting.db, author, answer.postId))!, true);
    if (marked.kind !== 'done') throw new Error(`demo thread ${thread.slug}: post ${answer.postId} could not be its answer: ${marked.kind}`);
  }
}

/** The demo members who may post, by handle (found by address: the seed may have left a handle alone). */
export async function findDemoPosters(db: Db): Promise<Map<string, Poster>> {
  const rows = await db
    .selectFrom('members')
    .select(['id', 'canonical_email', 'role', 'created_at'])
    .where('canonical_email', 'in', DEMO_MEMBERS.map((member) => member.email))
    .where('deactivated_at', 'is', null)
    .execute();
  return new Map(rows.map((row) => [DEMO_MEMBERS.find((member) => member.email === row.canonical_email)!.handle, { id: row.id, role: row.role as Role, joinedAt: row.created_at }]));
}

// Members joined before their first post: the unread markers count only what came after joining.
async function backdateJoining(db: Db, posters: Map<string, Poster>, joinedBy: Date): Promise<void> {
  const ids = [...posters.values()].map((poster) => poster.id);
  await db.updateTable('members').set({ created_at: joinedBy }).where('id', 'in', ids).where('created_at', '>', joinedBy).execute();
  for (const poster of posters.values()) if (poster.joinedAt > joinedBy) poster.joinedAt = joinedBy;
}

/**
 * Posts take their planned times; an answer is accepted, and a post found helpful, a little
 * after it was written. Threads, categories, notifications and reading follow them.
 */
async function backdate(trx: Db, plan: { written: Written[]; answers: Answer[]; threadIds: number[]; posters: Map<string, Poster>; now: Date }): Promise<void> {
  const { written, answers, threadIds, now } = plan;
  for (const post of written) {
    await trx.updateTable('posts').set({ created_at: post.at }).where('id', '=', post.postId).execute();
    for (const [index, handle] of post.helpful.entries()) {
      await trx
        .updateTable('post_reactions')
        .set({ created_at: later(post.at, 20 + 35 * index, now) })
        .where('post_id', '=', post.postId)
        .where('member_id', '=', plan.posters.get(handle)!.id)
        .execute();
    }
  }
  for (const answer of answers) await trx.updateTable('posts').set({ answered_at: later(answer.repliedAt, 45, now) }).where('id', '=', answer.postId).execute();
  await trx
    .updateTable('notifications')
    .set({ created_at: sql`(select case when notifications.kind = 'answer' then p.answered_at else p.created_at end from posts p where p.id = notifications.post_id)` })
    .where('post_id', 'in', written.map((post) => post.postId))
    .execute();
  await trx
    .updateTable('threads')
    .set({
      created_at: sql`(select p.created_at from posts p where p.thread_id = threads.id and p.position = 1)`,
      last_posted_at: sql`(select max(p.created_at) from posts p where p.thread_id = threads.id)`,
      updated_at: sql`(select max(p.created_at) from posts p where p.thread_id = threads.id)`,
    })
    .where('id', 'in', threadIds)
    .execute();
  await trx
    .updateTable('categories')
    .set({ last_posted_at: sql`(select max(t.last_posted_at) from threads t where t.category_id = categories.id)` })
    .where('id', 'in', (eb) => eb.selectFrom('threads').select('category_id').where('id', 'in', threadIds))
    .execute();
  // A member's read position and watch date from their own last post in the thread.
  for (const table of ['thread_reads', 'thread_watches'] as const) {
    await trx
      .updateTable(table)
      .set({ updated_at: sql`coalesce((select max(p.created_at) from posts p where p.thread_id = ${sql.table(table)}.thread_id and p.author_id = ${sql.table(table)}.member_id), ${sql.table(table)}.updated_at)` })
      .where('thread_id', 'in', threadIds)
      .execute();
  }
}

function later(at: Date, minutes: number, now: Date): Date {
  return new Date(Math.min(at.getTime() + minutes * MINUTE_MS, now.getTime() - MINUTE_MS));
}

/** Deps whose members may post and react without limit, counted on counters of their own. */
export function withPostingLimitsLifted(deps: Deps): Deps {
  const unlimited = Number.MAX_SAFE_INTEGER;
  const settings = { ...deps.settings.current, RATE_LIMIT_POSTS_PER_HOUR: unlimited, RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: unlimited, RATE_LIMIT_REACTIONS_PER_HOUR: unlimited };
  return { ...deps, counters: memoryCounters(), settings: new SiteSettings(deps.db, settings, deps.now) };
}

/** '19d 09:40': nineteen days before `now`, at 9:40 on the clocks of `timeZone`. */
export function demoTime(at: string, now: Date, timeZone: string): Date {
  const match = /^(\d{1,3})d ([01]\d|2[0-3]):([0-5]\d)$/.exec(at);
  if (!match) throw new Error(`demo forum: "${at}" is not a time like "19d 09:40"`);
  const today = wallClock(now, timeZone);
  // The wanted wall-clock time read as if it were UTC, then moved by the zone's offset then.
  const asIfUtc = Date.UTC(today.year, today.month - 1, today.day - Number(match[1]), Number(match[2]), Number(match[3]));
  const offset = wallClockAsUtc(new Date(asIfUtc), timeZone) - asIfUtc;
  return new Date(asIfUtc - offset);
}

function wallClock(date: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-AU', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
  return { year: part('year'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute') };
}

function wallClockAsUtc(date: Date, timeZone: string): number {
  const clock = wallClock(date, timeZone);
  return Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute);
}

