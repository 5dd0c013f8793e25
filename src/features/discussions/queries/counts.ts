import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../../db/types.js';

/*
 * The counts members see (a thread's replies and latest poster, a category's threads and posts)
 * are kept in their rows, so lists never count. Posting adds to them one at a time; everything
 * else that changes what members see (deleting, hiding, holding, moving, merging, splitting)
 * goes through settleCounts below, which recounts the threads it touched from their rows, so
 * there is one definition of "counted" instead of one per action.
 */

/** A post (alias `p`) members count: not deleted, hidden, or waiting for a moderator. */
export function countedPost(alias = 'p'): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  return sql<boolean>`(${column('deleted_at')} is null and ${column('hidden_at')} is null and ${column('held_at')} is null)`;
}

/**
 * Whether thread `alias`'s first post is held (waiting, or rejected and kept held so its author
 * reads why): the thread exists only for its author and staff. A lookup by posts_thread_position.
 */
export function firstPostHeld(alias = 't'): RawBuilder<boolean> {
  return sql<boolean>`exists (select from posts held_first where held_first.thread_id = ${sql.ref(`${alias}.id`)} and held_first.position = 1 and held_first.held_at is not null)`;
}

/**
 * A thread (alias `t`) its category counts: not deleted (merged threads are deleted too), not
 * hidden, and not waiting for a moderator (its first post held).
 */
export function countedThread(alias = 't'): RawBuilder<boolean> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  return sql<boolean>`(${column('deleted_at')} is null and ${column('hidden_at')} is null and not ${firstPostHeld(alias)})`;
}

/** What one thread adds to its category's counts. */
interface Contribution {
  threadId: number;
  categoryId: number;
  threads: number;
  posts: number;
  lastPostedAt: Date | null;
}

/** What the threads add to their categories' counts now, from their rows. */
export async function countContributions(db: Db, threadIds: number[]): Promise<Contribution[]> {
  if (threadIds.length === 0) return [];
  const rows = await db
    .selectFrom('threads as t')
    .select([
      't.id',
      't.category_id',
      sql<boolean>`${countedThread()}`.as('counted'),
      sql<string>`(select count(*) from posts p where p.thread_id = t.id and ${countedPost()})`.as('posts'),
      sql<Date | null>`(select max(p.created_at) from posts p where p.thread_id = t.id and ${countedPost()})`.as('last_posted_at'),
    ])
    .where('t.id', 'in', threadIds)
    .execute();
  return rows.map((row) => ({
    threadId: row.id,
    categoryId: row.category_id,
    threads: row.counted ? 1 : 0,
    posts: row.counted ? Number(row.posts) : 0,
    lastPostedAt: row.counted ? row.last_posted_at : null,
  }));
}

/**
 * After an action changed what members see of some threads: each thread's own counts and
 * latest poster recounted from its posts, and each category moved by the difference between
 * what its threads added before (`before`, from countContributions ahead of the change) and
 * now. A thread the action created is simply missing from `before`. The caller holds the
 * threads' row locks, so nothing else changes these counts in between.
 */
export async function settleCounts(db: Db, before: Contribution[], threadIds: number[]): Promise<void> {
  for (const threadId of threadIds) await recountThread(db, threadId);
  const after = await countContributions(db, threadIds);
  const changes = new Map<number, { threads: number; posts: number; lastPostedAt: Date | null }>();
  const add = (contribution: Contribution, sign: 1 | -1) => {
    const change = changes.get(contribution.categoryId) ?? { threads: 0, posts: 0, lastPostedAt: null };
    change.threads += sign * contribution.threads;
    change.posts += sign * contribution.posts;
    if (sign === 1 && contribution.lastPostedAt && (!change.lastPostedAt || contribution.lastPostedAt > change.lastPostedAt)) change.lastPostedAt = contribution.lastPostedAt;
    changes.set(contribution.categoryId, change);
  };
  for (const contribution of before) add(contribution, -1);
  for (const contribution of after) add(contribution, 1);
  for (const [categoryId, change] of changes) {
    if (change.threads === 0 && change.posts === 0) continue;
    await db
      .updateTable('categories')
      .set((eb) => ({
        thread_count: eb('thread_count', '+', change.threads),
        post_count: eb('post_count', '+', change.posts),
        ...(change.lastPostedAt ? { last_posted_at: sql<Date>`greatest(last_posted_at, ${change.lastPostedAt})` } : {}),
        updated_at: sql`now()`,
      }))
      .where('id', '=', categoryId)
      .execute();
  }
}

/**
 * A thread's own counts made true to its posts: positions handed out (held posts take one),
 * replies members can read, and the latest post members can read (kept as it was when none is
 * left, so the thread keeps its place in lists).
 */
async function recountThread(db: Db, threadId: number): Promise<void> {
  await sql`
    update threads set
      post_count = coalesce((select max(position) from posts where thread_id = ${threadId}), 0),
      reply_count = (select count(*) from posts p where p.thread_id = ${threadId} and p.position > 1 and ${countedPost()}),
      last_posted_at = coalesce((select max(p.created_at) from posts p where p.thread_id = ${threadId} and ${countedPost()}), threads.last_posted_at),
      last_poster_id = coalesce((select p.author_id from posts p where p.thread_id = ${threadId} and ${countedPost()} order by p.created_at desc, p.id desc limit 1), threads.last_poster_id)
    where id = ${threadId}
  `.execute(db);
}

/** Locks the threads' rows until the transaction ends, in id order (so two lockers of one pair wait rather than deadlock). */
export async function lockThreads(db: Db, threadIds: number[]): Promise<void> {
  await db.selectFrom('threads').select('id').where('id', 'in', threadIds).orderBy('id').forNoKeyUpdate().execute();
}

/**
 * Locks the row of the thread a post is in, then the post's: every path that changes both takes
 * them in this order (a merge locks its threads, then moves their posts), so two moderators
 * acting at once wait for each other instead of deadlocking. A post moved to another thread
 * between the two reads is looked up again. Undefined when there is no such post.
 */
export async function lockThreadOfPost(db: Db, postId: number): Promise<number | undefined> {
  for (;;) {
    const thread = await db
      .selectFrom('threads as t')
      .innerJoin('posts as p', 'p.thread_id', 't.id')
      .select('t.id')
      .where('p.id', '=', postId)
      .forNoKeyUpdate('t')
      .executeTakeFirst();
    if (!thread) return undefined;
    const post = await db.selectFrom('posts').select('id').where('id', '=', postId).where('thread_id', '=', thread.id).forNoKeyUpdate().executeTakeFirst();
    if (post) return thread.id;
  }
}
