import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';

/** One flagged item in the queue: a post or a resource, and when its oldest open flag came. */
export interface QueueEntry {
  postId: number | null;
  resourceId: number | null;
  firstFlaggedAt: Date;
}

/** Flagged items, oldest open flag first, a page at a time (the partial index flags_open). */
export async function listFlaggedItems(db: Db, { limit, offset }: { limit: number; offset: number }): Promise<QueueEntry[]> {
  const rows = await db
    .selectFrom('flags')
    .select(['post_id', 'resource_id', sql<Date>`min(created_at)`.as('first_flagged_at')])
    .where('resolved_at', 'is', null)
    .groupBy(['post_id', 'resource_id'])
    .orderBy(sql`min(created_at)`)
    .orderBy('post_id')
    .orderBy('resource_id')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((row) => ({ postId: row.post_id, resourceId: row.resource_id, firstFlaggedAt: row.first_flagged_at }));
}

export interface OpenFlag {
  postId: number | null;
  resourceId: number | null;
  reason: string;
  note: string | null;
  flaggerName: string;
  flaggerHandle: string;
  createdAt: Date;
}

export async function listOpenFlags(db: Db, items: { postIds: number[]; resourceIds: number[] }): Promise<OpenFlag[]> {
  if (items.postIds.length + items.resourceIds.length === 0) return [];
  const rows = await db
    .selectFrom('flags as f')
    .innerJoin('members as m', 'm.id', 'f.flagger_id')
    .select(['f.post_id', 'f.resource_id', 'f.reason', 'f.note', 'f.created_at', 'm.display_name', 'm.handle'])
    .where('f.resolved_at', 'is', null)
    .where((eb) => eb.or([eb('f.post_id', '=', sql<number>`any(${items.postIds}::bigint[])`), eb('f.resource_id', '=', sql<number>`any(${items.resourceIds}::bigint[])`)]))
    .orderBy('f.created_at')
    .orderBy('f.id')
    .execute();
  return rows.map((row) => ({ postId: row.post_id, resourceId: row.resource_id, reason: row.reason, note: row.note, flaggerName: row.display_name, flaggerHandle: row.handle, createdAt: row.created_at }));
}

export interface QueuedPost {
  id: number;
  threadId: number;
  threadTitle: string;
  threadSlug: string;
  position: number;
  authorId: number;
  authorName: string;
  authorHandle: string;
  bodyHtml: string;
  createdAt: Date;
  hidden: boolean;
  hiddenByModerator: boolean;
  deleted: boolean;
}

function queuedPosts(db: Db) {
  return db
    .selectFrom('posts as p')
    .innerJoin('threads as t', 't.id', 'p.thread_id')
    .innerJoin('members as a', 'a.id', 'p.author_id')
    .select(['p.id', 'p.thread_id', 't.title', 't.slug', 'p.position', 'p.author_id', 'a.display_name', 'a.handle', 'p.body_html', 'p.created_at', 'p.hidden_at', 'p.hidden_by', 'p.deleted_at']);
}

type QueuedPostRow = Awaited<ReturnType<ReturnType<typeof queuedPosts>['execute']>>[number];

function toQueuedPost(row: QueuedPostRow): QueuedPost {
  return {
    id: row.id,
    threadId: row.thread_id,
    threadTitle: row.title,
    threadSlug: row.slug,
    position: row.position,
    authorId: row.author_id,
    authorName: row.display_name,
    authorHandle: row.handle,
    bodyHtml: row.body_html,
    createdAt: row.created_at,
    hidden: row.hidden_at !== null,
    hiddenByModerator: row.hidden_by !== null,
    deleted: row.deleted_at !== null,
  };
}

export async function listQueuedPosts(db: Db, ids: number[]): Promise<QueuedPost[]> {
  if (ids.length === 0) return [];
  const rows = await queuedPosts(db).where('p.id', '=', sql<number>`any(${ids}::bigint[])`).execute();
  return rows.map(toQueuedPost);
}

/** The posts just before each flagged post in its thread: what it was said in answer to. */
export async function listContextPosts(db: Db, posts: { threadId: number; position: number }[], before: number): Promise<QueuedPost[]> {
  if (posts.length === 0) return [];
  const rows = await queuedPosts(db)
    .where((eb) => eb.or(posts.map((post) => eb.and([eb('p.thread_id', '=', post.threadId), eb('p.position', '>=', Math.max(1, post.position - before)), eb('p.position', '<', post.position)]))))
    .orderBy('p.position')
    .execute();
  return rows.map(toQueuedPost);
}

export interface QueuedResource {
  id: number;
  title: string;
  summary: string;
  sharerId: number;
  sharerName: string;
  sharerHandle: string;
  hidden: boolean;
  hiddenByModerator: boolean;
  removed: boolean;
}

export async function listQueuedResources(db: Db, ids: number[]): Promise<QueuedResource[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('resources as r')
    .innerJoin('members as s', 's.id', 'r.sharer_id')
    .select(['r.id', 'r.title', 'r.summary', 'r.sharer_id', 's.display_name', 's.handle', 'r.hidden_at', 'r.hidden_by', 'r.removed_at'])
    .where('r.id', '=', sql<number>`any(${ids}::bigint[])`)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    title: row.title,
    summary: row.summary,
    sharerId: row.sharer_id,
    sharerName: row.display_name,
    sharerHandle: row.handle,
    hidden: row.hidden_at !== null,
    hiddenByModerator: row.hidden_by !== null,
    removed: row.removed_at !== null,
  }));
}
