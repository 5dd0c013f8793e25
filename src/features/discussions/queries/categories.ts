import { sql } from 'kysely';
import { fixedLimit } from '../../../db/fixed-limit.js';
import type { Db } from '../../../db/types.js';
import { heldPostsUnseenBy, heldThreadShownTo } from '../../moderation/queries/held-posts.js';
import { audiencesFor, isStaff, type Audience, type Viewer } from '../access.js';
import { UNREAD_THREADS_COUNTED_UP_TO } from '../unread.js';
import { readPositionOf } from './reading.js';

export interface Category {
  id: number;
  slug: string;
  name: string;
  description: string;
  visibleTo: Audience;
  threadsStartedBy: Audience;
  threadCount: number;
  postCount: number;
  lastPostedAt: Date | null;
}

export interface CategorySummary extends Category {
  /** Threads active since `unreadSince` that this member has not read to the end, counted up to one past UNREAD_THREADS_COUNTED_UP_TO. */
  unreadThreads: number;
}

/** The columns toCategory reads (the admin pages list categories with them too). */
export const categoryColumns = ['id', 'slug', 'name', 'description', 'visible_to', 'threads_started_by', 'thread_count', 'post_count', 'last_posted_at'] as const;

export function toCategory(row: { id: number; slug: string; name: string; description: string; visible_to: string; threads_started_by: string; thread_count: number; post_count: number; last_posted_at: Date | null }): Category {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    visibleTo: row.visible_to as Audience,
    threadsStartedBy: row.threads_started_by as Audience,
    threadCount: row.thread_count,
    postCount: row.post_count,
    lastPostedAt: row.last_posted_at,
  };
}

/**
 * Every category the viewer may see, in order, with how many of its threads are unread: active
 * after `unreadSince` (src/features/discussions/unread.ts) and not read to the end. Each count
 * walks the category's threads newest first (threads_category_recent) and stops one past the cap.
 */
export async function listCategories(db: Db, viewer: Viewer, unreadSince: Date): Promise<CategorySummary[]> {
  const rows = await db
    .selectFrom('categories as c')
    .select(categoryColumns.map((column) => `c.${column}` as const))
    .select((eb) => {
      const unread = eb
        .selectFrom('threads as t')
        .select('t.id')
        .whereRef('t.category_id', '=', 'c.id')
        .where('t.deleted_at', 'is', null)
        .where('t.hidden_at', 'is', null)
        .$if(!isStaff(viewer.role), (qb) => qb.where(heldThreadShownTo(viewer)))
        .where('t.last_posted_at', '>', unreadSince)
        .where(sql<boolean>`t.post_count - ${heldPostsUnseenBy(viewer, isStaff(viewer.role), readPositionOf(viewer.id))} > coalesce(${readPositionOf(viewer.id)}, 0)`)
        // Newest first: without the order, a prepared statement's generic plan (which cannot
        // know how recent `unreadSince` is) scanned the whole threads table for each category.
        .orderBy('t.last_posted_at', 'desc')
        .limit(fixedLimit(UNREAD_THREADS_COUNTED_UP_TO + 1))
        .as('unread');
      return eb.selectFrom(unread).select((count) => count.fn.countAll<string>().as('count')).as('unread_threads');
    })
    .where('c.visible_to', 'in', audiencesFor(viewer))
    .orderBy('c.position')
    .orderBy('c.id')
    .execute();
  return rows.map((row) => ({ ...toCategory(row), unreadThreads: Number(row.unread_threads ?? 0) }));
}

/** The category at `slug`, if the viewer may see it. */
function categoryBySlug(db: Db, slug: string, viewer: Viewer) {
  return db.selectFrom('categories').select(categoryColumns).where('slug', '=', slug).where('visible_to', 'in', audiencesFor(viewer));
}

export async function findCategoryBySlug(db: Db, slug: string, viewer: Viewer): Promise<Category | undefined> {
  const row = await categoryBySlug(db, slug, viewer).executeTakeFirst();
  return row && toCategory(row);
}

/** A category's page: the category, and whether the viewer watches it, in one round trip. */
export async function findCategoryWithWatch(db: Db, slug: string, viewer: Viewer): Promise<(Category & { watching: boolean }) | undefined> {
  const row = await categoryBySlug(db, slug, viewer)
    .select((eb) =>
      eb
        .exists(eb.selectFrom('category_watches as w').select('w.member_id').where('w.member_id', '=', viewer.id).whereRef('w.category_id', '=', 'categories.id'))
        .as('watching'),
    )
    .executeTakeFirst();
  return row && { ...toCategory(row), watching: Boolean(row.watching) };
}
