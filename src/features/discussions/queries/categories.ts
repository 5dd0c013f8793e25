import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';
import { audiencesFor, type Audience, type Viewer } from '../access.js';

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
  /** Threads with posts this member has not read (only those active since they joined). */
  unreadThreads: number;
}

const categoryColumns = ['id', 'slug', 'name', 'description', 'visible_to', 'threads_started_by', 'thread_count', 'post_count', 'last_posted_at'] as const;

function toCategory(row: { id: number; slug: string; name: string; description: string; visible_to: string; threads_started_by: string; thread_count: number; post_count: number; last_posted_at: Date | null }): Category {
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

/** Every category the viewer may see, in order, with how many of its threads are unread. */
export async function listCategories(db: Db, viewer: Viewer & { joinedAt: Date }): Promise<CategorySummary[]> {
  const rows = await db
    .selectFrom('categories as c')
    .select(categoryColumns.map((column) => `c.${column}` as const))
    .select((eb) =>
      eb
        .selectFrom('threads as t')
        .leftJoin('thread_reads as r', (join) => join.onRef('r.thread_id', '=', 't.id').on('r.member_id', '=', viewer.id))
        .select(eb.fn.countAll<string>().as('count'))
        .whereRef('t.category_id', '=', 'c.id')
        .where('t.deleted_at', 'is', null)
        .where('t.hidden_at', 'is', null)
        .where('t.last_posted_at', '>', viewer.joinedAt)
        .where(sql<boolean>`t.post_count > coalesce(r.last_read_position, 0)`)
        .as('unread_threads'),
    )
    .where('c.visible_to', 'in', audiencesFor(viewer))
    .orderBy('c.position')
    .orderBy('c.id')
    .execute();
  return rows.map((row) => ({ ...toCategory(row), unreadThreads: Number(row.unread_threads ?? 0) }));
}

export async function findCategoryBySlug(db: Db, slug: string, viewer: Viewer): Promise<Category | undefined> {
  const row = await db.selectFrom('categories').select(categoryColumns).where('slug', '=', slug).where('visible_to', 'in', audiencesFor(viewer)).executeTakeFirst();
  return row && toCategory(row);
}

/** A category's page: the category, and whether the viewer watches it, in one round trip. */
export async function findCategoryWithWatch(db: Db, slug: string, viewer: Viewer): Promise<(Category & { watching: boolean }) | undefined> {
  const row = await db
    .selectFrom('categories')
    .select(categoryColumns)
    .select((eb) =>
      eb
        .exists(eb.selectFrom('category_watches as w').select('w.member_id').where('w.member_id', '=', viewer.id).whereRef('w.category_id', '=', 'categories.id'))
        .as('watching'),
    )
    .where('slug', '=', slug)
    .where('visible_to', 'in', audiencesFor(viewer))
    .executeTakeFirst();
  return row && { ...toCategory(row), watching: Boolean(row.watching) };
}
