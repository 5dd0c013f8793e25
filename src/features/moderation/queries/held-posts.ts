import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../../db/types.js';
import type { Viewer } from '../../discussions/access.js';
import { firstPostHeld, lockThreadOfPost } from '../../discussions/queries/counts.js';

export type HoldReason = 'first_posts' | 'repeated_text';

/**
 * Whether a post (alias `p`) exists for a member who is not staff: a post waiting for a
 * moderator exists only for its author. Staff callers leave the filter out.
 */
export function heldPostShownTo(viewer: Viewer, alias = 'p'): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${alias}.held_at`)} is null or ${sql.ref(`${alias}.author_id`)} = ${viewer.id})`;
}

/**
 * Whether a post (alias `p`, in thread `t`) waits in the review queue: held and not yet decided
 * (a rejected post stays held, deleted, so its author still reads why), in a thread that was not
 * deleted since. The queue's list and its counts (queue-count.ts) both go by this.
 */
export function heldPostListed(post = 'p', thread = 't'): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${post}.held_at`)} is not null and ${sql.ref(`${post}.deleted_at`)} is null and ${sql.ref(`${thread}.deleted_at`)} is null)`;
}

/**
 * Whether a thread (alias `t`) exists for a member who is not staff: one whose first post waits
 * for a moderator is its author's alone. A lookup by posts_thread_position per thread.
 */
export function heldThreadShownTo(viewer: Viewer, alias = 't'): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${alias}.author_id`)} = ${viewer.id} or not ${firstPostHeld(alias)})`;
}

/**
 * Held posts in thread `t` past the viewer's read position that the viewer cannot see: a held
 * reply takes a position (posts.position is the thread's count), so "unread" subtracts these.
 * Staff see held posts, so for them it is 0.
 */
export function heldPostsUnseenBy(viewer: Viewer, staff: boolean, readPosition: RawBuilder<number | null>): RawBuilder<number> {
  if (staff) return sql<number>`0`;
  return sql<number>`(select count(*)::int from posts held_unseen where held_unseen.thread_id = t.id and held_unseen.held_at is not null and held_unseen.author_id <> ${viewer.id} and held_unseen.position > coalesce(${readPosition}, 0))`;
}

/** How many of the member's posts a moderator has let stand (posted or approved, not deleted). */
/** One posting at a time per member, until the transaction ends (an advisory lock: no row is held). */
export async function lockMemberPosting(db: Db, memberId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`posting:${memberId}`}, 0))`.execute(db);
}

export async function countApprovedPosts(db: Db, authorId: number, upTo: number): Promise<number> {
  const row = await db
    .selectFrom((eb) => eb.selectFrom('posts').select('id').where('author_id', '=', authorId).where('held_at', 'is', null).where('deleted_at', 'is', null).limit(upTo).as('approved'))
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The same text as lower-cased with runs of white space made one space, in SQL and here alike. */
export function normalisedText(source: string): string {
  return source.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Other threads in which the member posted this (normalised) text within the last `minutes`. */
export async function countThreadsWithSameText(db: Db, authorId: number, text: string, exceptThreadId: number | null, minutes: number): Promise<number> {
  const row = await db
    .selectFrom('posts')
    .select(sql<string>`count(distinct thread_id)`.as('count'))
    .where('author_id', '=', authorId)
    .where('created_at', '>', sql<Date>`now() - make_interval(mins => ${minutes})`)
    .$if(exceptThreadId !== null, (qb) => qb.where('thread_id', '<>', exceptThreadId!))
    .where(sql<boolean>`btrim(regexp_replace(lower(body_source), '\\s+', ' ', 'g')) = ${text}`)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** A held post as the review queue lists it, with its thread. */
export interface HeldPost {
  id: number;
  threadId: number;
  threadTitle: string;
  firstPost: boolean;
  authorName: string;
  authorHandle: string;
  reason: HoldReason;
  heldAt: Date;
  bodyHtml: string;
}

/** Oldest first; rejected ones (deleted) are decided and gone from the list. */
export async function listHeldPosts(db: Db, limit: number): Promise<HeldPost[]> {
  const rows = await db
    .selectFrom('posts as p')
    .innerJoin('threads as t', 't.id', 'p.thread_id')
    .innerJoin('members as a', 'a.id', 'p.author_id')
    .select(['p.id', 'p.thread_id', 't.title', 'p.position', 'a.display_name', 'a.handle', 'p.held_reason', 'p.held_at', 'p.body_html'])
    .where(heldPostListed())
    .orderBy('p.held_at')
    .orderBy('p.id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    threadId: row.thread_id,
    threadTitle: row.title,
    firstPost: row.position === 1,
    authorName: row.display_name,
    authorHandle: row.handle,
    reason: row.held_reason as HoldReason,
    heldAt: row.held_at!,
    bodyHtml: row.body_html,
  }));
}

export interface LockedHeldPost {
  id: number;
  threadId: number;
  categoryId: number;
  threadAuthorId: number;
  authorId: number;
  position: number;
  bodySource: string;
  replyToAuthorId: number | null;
  /** Where the decision is emailed; null once the author is deactivated (nobody to tell). */
  authorEmail: string | null;
  authorName: string;
  threadTitle: string;
}

/** Locks a post still waiting (its thread's row first, as every path does), so two decisions cannot both land. */
export async function lockHeldPost(db: Db, postId: number): Promise<LockedHeldPost | undefined> {
  if ((await lockThreadOfPost(db, postId)) === undefined) return undefined;
  const row = await db
    .selectFrom('posts as p')
    .innerJoin('threads as t', 't.id', 'p.thread_id')
    .innerJoin('members as m', 'm.id', 'p.author_id')
    .leftJoin('posts as parent', 'parent.id', 'p.reply_to_post_id')
    .select(['p.id', 'p.thread_id', 't.category_id', 't.author_id as thread_author_id', 't.title', 'p.author_id', 'p.position', 'p.body_source', 'parent.author_id as parent_author_id', 'm.email', 'm.display_name', 'm.deactivated_at'])
    .where('p.id', '=', postId)
    .where('p.held_at', 'is not', null)
    .where('p.deleted_at', 'is', null)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      threadId: row.thread_id,
      categoryId: row.category_id,
      threadAuthorId: row.thread_author_id,
      authorId: row.author_id,
      position: row.position,
      bodySource: row.body_source,
      replyToAuthorId: row.parent_author_id,
      authorEmail: row.deactivated_at === null ? row.email : null,
      authorName: row.display_name,
      threadTitle: row.title,
    }
  );
}

/**
 * The post, released, as if posted at this moment: it bumps its thread as a new post does. The
 * caller settles the counts (discussions/queries/counts.ts).
 */
export async function releaseHeldPost(db: Db, postId: number): Promise<void> {
  await db.updateTable('posts').set({ held_at: null, held_reason: null, created_at: sql`now()` }).where('id', '=', postId).execute();
}

/** Rejected: deleted, still held so nobody else ever learns it was there, with the reason its author reads. */
export async function rejectHeldPostRow(db: Db, postId: number, moderatorId: number, reason: string): Promise<void> {
  await db.updateTable('posts').set({ deleted_at: sql`now()`, deleted_by: moderatorId, hidden_reason: reason }).where('id', '=', postId).execute();
}
