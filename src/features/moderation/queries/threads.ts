import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../../db/types.js';
import { audiencesFor, type Audience, type Viewer } from '../../discussions/access.js';
import { lockThreads } from '../../discussions/queries/counts.js';

/** A thread as a moderator's action reads it, locked for the rest of the action's transaction. */
export interface ThreadUnderAction {
  id: number;
  version: number;
  title: string;
  slug: string;
  authorId: number;
  categoryId: number;
  categorySlug: string;
  categoryName: string;
  /** Who sees the thread's category: a merge or split must not show its posts to more people. */
  categoryAudience: Audience;
  postCount: number;
  replyCount: number;
  lastPostedAt: Date;
  lastPosterId: number | null;
  pinnedAt: Date | null;
  pinnedSiteWide: boolean;
  lockedAt: Date | null;
  hiddenAt: Date | null;
  hiddenReason: string | null;
  /** Hidden as part of hiding its resource, and shown again with it. */
  hiddenWithResource: boolean;
  deletedAt: Date | null;
  mergedIntoId: number | null;
  /** The library resource this thread discusses (removed or not: its page still links here). */
  resourceId: number | null;
  /** Its resource is hidden or removed: the discussion is shown again with it, not on its own. */
  resourceHidden: boolean;
}

function threadsForModerator(db: Db, moderator: Viewer) {
  return db
    .selectFrom('threads as t')
    .innerJoin('categories as c', 'c.id', 't.category_id')
    .leftJoin('resources as res', 'res.thread_id', 't.id')
    .select([
      't.id',
      't.version',
      't.title',
      't.slug',
      't.author_id',
      't.category_id',
      'c.slug as category_slug',
      'c.name as category_name',
      'c.visible_to',
      't.post_count',
      't.reply_count',
      't.last_posted_at',
      't.last_poster_id',
      't.pinned_at',
      't.pinned_site_wide',
      't.locked_at',
      't.hidden_at',
      't.hidden_reason',
      't.hidden_with_resource',
      't.deleted_at',
      't.merged_into_id',
      'res.id as resource_id',
      sql<boolean>`res.hidden_at is not null or res.removed_at is not null`.as('resource_hidden'),
    ])
    .where('c.visible_to', 'in', audiencesFor(moderator));
}

type ThreadRow = Awaited<ReturnType<ReturnType<typeof threadsForModerator>['execute']>>[number];

function toThreadUnderAction(row: ThreadRow): ThreadUnderAction {
  return {
    id: row.id,
    version: row.version,
    title: row.title,
    slug: row.slug,
    authorId: row.author_id,
    categoryId: row.category_id,
    categorySlug: row.category_slug,
    categoryName: row.category_name,
    categoryAudience: row.visible_to as Audience,
    postCount: row.post_count,
    replyCount: row.reply_count,
    lastPostedAt: row.last_posted_at,
    lastPosterId: row.last_poster_id,
    pinnedAt: row.pinned_at,
    pinnedSiteWide: row.pinned_site_wide,
    lockedAt: row.locked_at,
    hiddenAt: row.hidden_at,
    hiddenReason: row.hidden_reason,
    hiddenWithResource: row.hidden_with_resource,
    deletedAt: row.deleted_at,
    mergedIntoId: row.merged_into_id,
    resourceId: row.resource_id,
    resourceHidden: row.resource_hidden === true,
  };
}

/** Any thread the moderator's role may see, deleted and hidden ones too. */
export async function findThreadForModerator(db: Db, moderator: Viewer, id: number): Promise<ThreadUnderAction | undefined> {
  const row = await threadsForModerator(db, moderator).where('t.id', '=', id).executeTakeFirst();
  return row && toThreadUnderAction(row);
}

/**
 * The threads an action changes, with their rows locked until the transaction ends, in id order
 * (so two merges of the same pair wait for each other rather than deadlock).
 */
export async function lockThreadsForAction(db: Db, moderator: Viewer, ids: number[]): Promise<ThreadUnderAction[]> {
  // Locked by id alone, then read: locked through the join, a thread another moderator just
  // moved would be checked again against its old category row and dropped (a 404, not a 409).
  await lockThreads(db, ids);
  const rows = await threadsForModerator(db, moderator).where('t.id', 'in', ids).orderBy('t.id').execute();
  return rows.map(toThreadUnderAction);
}

export type ThreadChange = Partial<{
  title: string;
  slug: string;
  title_edited_at: RawBuilder<Date>;
  category_id: number;
  pinned_at: Date | RawBuilder<Date> | null;
  pinned_site_wide: boolean;
  locked_at: RawBuilder<Date> | null;
  hidden_at: RawBuilder<Date> | null;
  hidden_reason: string | null;
  hidden_with_resource: boolean;
  deleted_at: RawBuilder<Date> | null;
  merged_into_id: number;
}>;

/**
 * The optimistic write: changes the thread only if it is still at the version the moderator saw,
 * and moves the version on; false when another action got there first.
 */
export async function updateThreadAtVersion(db: Db, threadId: number, seenVersion: number, change: ThreadChange): Promise<boolean> {
  const row = await db
    .updateTable('threads')
    .set((eb) => ({ ...change, version: eb('version', '+', 1), updated_at: sql`now()` }))
    .where('id', '=', threadId)
    .where('version', '=', seenVersion)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The title a moderator's rename replaced, marked as theirs so the revisions page need not name them. */
export async function insertTitleRevision(db: Db, revision: { threadId: number; title: string; replacedBy: number }): Promise<void> {
  await db.insertInto('thread_title_revisions').values({ thread_id: revision.threadId, title: revision.title, replaced_by: revision.replacedBy, by_moderator: true }).execute();
}

/** A category a moderator may move a thread to: one that exists and that they may see. */
export async function findCategoryForModerator(db: Db, moderator: Viewer, slug: string): Promise<{ id: number; slug: string; name: string; audience: Audience } | undefined> {
  const row = await db.selectFrom('categories').select(['id', 'slug', 'name', 'visible_to']).where('slug', '=', slug).where('visible_to', 'in', audiencesFor(moderator)).executeTakeFirst();
  return row && { id: row.id, slug: row.slug, name: row.name, audience: row.visible_to as Audience };
}

export async function listCategoriesForModerator(db: Db, moderator: Viewer): Promise<{ id: number; slug: string; name: string }[]> {
  return db.selectFrom('categories').select(['id', 'slug', 'name']).where('visible_to', 'in', audiencesFor(moderator)).orderBy('position').orderBy('id').execute();
}

export async function markThreadHiddenWithResource(db: Db, threadId: number): Promise<void> {
  await db.updateTable('threads').set({ hidden_with_resource: true }).where('id', '=', threadId).execute();
}
