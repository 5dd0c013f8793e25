import { sql } from 'kysely';
import { fixedLimit } from '../../../db/fixed-limit.js';
import type { Db } from '../../../db/types.js';
import { heldPostsUnseenBy, heldThreadShownTo } from '../../moderation/queries/held-posts.js';
import { audiencesFor, isStaff, type Audience, type Viewer } from '../access.js';
import { countedThread } from './counts.js';
import { readPositionOf } from './reading.js';
import { shownName, shownWhileActive } from '../../members/names.js';

/** A thread in a list: enough for its line, its unread marker and where it was last active. */
export interface ThreadListItem {
  id: number;
  title: string;
  slug: string;
  authorName: string;
  /** Null once the author is shown as a former member: no link to their profile. */
  authorHandle: string | null;
  agencyName: string | null;
  replyCount: number;
  lastPostedAt: Date;
  lastPosterName: string | null;
  pinned: boolean;
  pinnedSiteWide: boolean;
  locked: boolean;
  /** Hidden from members: only staff are shown it, marked. */
  hidden: boolean;
  /** Its first post waits for a moderator: only its author and staff are shown it, marked. */
  waiting: boolean;
  answered: boolean;
  categorySlug: string;
  categoryName: string;
  /** Posts since the viewer last read it; null when they have never opened it. */
  unreadPosts: number | null;
}

function threadList(db: Db, viewer: Viewer) {
  return db
    .selectFrom('threads as t')
    .innerJoin('categories as c', 'c.id', 't.category_id')
    .innerJoin('members as a', 'a.id', 't.author_id')
    .leftJoin('agencies as ag', 'ag.id', 'a.agency_id')
    .leftJoin('members as lp', 'lp.id', 't.last_poster_id')
    .select([
      't.id',
      't.title',
      't.slug',
      't.reply_count',
      't.post_count',
      't.last_posted_at',
      't.pinned_at',
      't.pinned_site_wide',
      't.locked_at',
      't.hidden_at',
      shownName('a').as('author_name'),
      shownWhileActive('a', 'a.handle').as('author_handle'),
      shownWhileActive('a', 'ag.name').as('agency_name'),
      shownName<string | null>('lp').as('last_poster_name'),
      'c.slug as category_slug',
      'c.name as category_name',
    ])
    .select(readPositionOf(viewer.id).as('last_read_position'))
    .select(heldPostsUnseenBy(viewer, isStaff(viewer.role), readPositionOf(viewer.id)).as('held_unseen'))
    // A lookup per listed thread (posts_one_answer). As EXISTS, the planner read every answer
    // in the forum for each page of 30 threads.
    .select(sql<boolean>`coalesce((select true from posts ans where ans.thread_id = t.id and ans.answered_at is not null limit 1), false)`.as('answered'))
    .select(sql<boolean>`coalesce((select true from posts f where f.thread_id = t.id and f.position = 1 and f.held_at is not null and f.deleted_at is null), false)`.as('waiting'))
    .where('t.deleted_at', 'is', null)
    .$if(!isStaff(viewer.role), (qb) => qb.where('t.hidden_at', 'is', null).where(heldThreadShownTo(viewer)))
    .where('c.visible_to', 'in', audiencesFor(viewer));
}

type ThreadListRow = Awaited<ReturnType<ReturnType<typeof threadList>['execute']>>[number];

function toListItem(row: ThreadListRow): ThreadListItem {
  return {
    id: row.id,
    title: row.title,
    slug: row.slug,
    authorName: row.author_name,
    authorHandle: row.author_handle,
    agencyName: row.agency_name,
    replyCount: row.reply_count,
    lastPostedAt: row.last_posted_at,
    lastPosterName: row.last_poster_name,
    pinned: row.pinned_at !== null,
    pinnedSiteWide: row.pinned_site_wide,
    locked: row.locked_at !== null,
    hidden: row.hidden_at !== null,
    waiting: row.waiting,
    answered: Boolean(row.answered),
    categorySlug: row.category_slug,
    categoryName: row.category_name,
    unreadPosts: row.last_read_position === null ? null : Math.max(0, row.post_count - row.held_unseen - row.last_read_position),
  };
}

// Pinned first, then by latest activity: the index threads_category_activity.
const CATEGORY_ORDER = sql`t.pinned_at is null, t.last_posted_at desc, t.id desc`;

/**
 * A category's threads, a page at a time. Page 1 is the first `limit` threads of the index. On
 * a later page the page's ids are found first, from the threads alone, and only those get their
 * authors, read positions and answers: joined before the OFFSET, every thread skipped paid for
 * them too (page 150 of a 6,000-thread category read 30,000 to 60,000 blocks, 45–85 ms, to show
 * 30 threads). The ids come as an array, which the planner takes for a handful of primary keys
 * whatever the parameters; as `in (subquery)`, a prepared statement's generic plan could not
 * know the page's size and scanned every thread.
 */
export async function listThreadsInCategory(db: Db, viewer: Viewer, categoryId: number, { limit, offset }: { limit: number; offset: number }): Promise<ThreadListItem[]> {
  const rows = await threadList(db, viewer)
    .$if(offset === 0, (qb) => qb.where('t.category_id', '=', categoryId).limit(fixedLimit(limit)))
    .$if(offset > 0, (qb) =>
      qb.where((eb) => {
        const page = eb
          .selectFrom('threads as t')
          .select('t.id')
          .where('t.category_id', '=', categoryId)
          .where('t.deleted_at', 'is', null)
          .$if(!isStaff(viewer.role), (inner) => inner.where('t.hidden_at', 'is', null).where(heldThreadShownTo(viewer)))
          .orderBy(CATEGORY_ORDER)
          .limit(limit)
          .offset(offset);
        return sql<boolean>`t.id = any(array(${page}))`;
      }),
    )
    .orderBy(CATEGORY_ORDER)
    .execute();
  return rows.map(toListItem);
}

// More than this is no longer a pin but a second list; the oldest wait for room.
const SITE_WIDE_PINS_SHOWN = 10;

/**
 * Threads a moderator pinned across the site, which lead every category page and the home
 * page's list: a handful at most, read apart from the category's own order (index
 * threads_site_wide_pins).
 */
export async function listSiteWidePins(db: Db, viewer: Viewer): Promise<ThreadListItem[]> {
  const rows = await threadList(db, viewer).where('t.pinned_site_wide', '=', true).orderBy('t.last_posted_at', 'desc').orderBy('t.id', 'desc').limit(fixedLimit(SITE_WIDE_PINS_SHOWN)).execute();
  return rows.map(toListItem);
}

/** Site-wide pins first, then the list without them (a site-wide pin of the list's own category appears once). */
export function withSiteWidePinsFirst(pins: ThreadListItem[], threads: ThreadListItem[]): ThreadListItem[] {
  const pinned = new Set(pins.map((thread) => thread.id));
  return [...pins, ...threads.filter((thread) => !pinned.has(thread.id))];
}

/** The latest activity across every category the viewer may see (the signed-in home page). */
export async function listRecentThreads(db: Db, viewer: Viewer, { limit, unreadOnly = false, activeSince }: { limit: number; unreadOnly?: boolean; activeSince?: Date }): Promise<ThreadListItem[]> {
  const rows = await threadList(db, viewer)
    .$if(unreadOnly, (qb) => qb.where(sql<boolean>`t.post_count - ${heldPostsUnseenBy(viewer, isStaff(viewer.role), readPositionOf(viewer.id))} > coalesce(${readPositionOf(viewer.id)}, 0)`))
    .$if(activeSince !== undefined, (qb) => qb.where('t.last_posted_at', '>', activeSince!))
    .orderBy('t.last_posted_at', 'desc')
    .orderBy('t.id', 'desc')
    .limit(fixedLimit(limit))
    .execute();
  return rows.map(toListItem);
}

/** A thread as its page needs it, with its category, the viewer's read position and watch. */
export interface Thread {
  id: number;
  title: string;
  slug: string;
  authorId: number;
  categoryId: number;
  categorySlug: string;
  categoryName: string;
  categoryVisibleTo: Audience;
  postCount: number;
  replyCount: number;
  pinned: boolean;
  pinnedSiteWide: boolean;
  locked: boolean;
  hidden: boolean;
  hiddenReason: string | null;
  /** Deleted: only staff are shown a deleted thread. */
  deleted: boolean;
  /** Moderators' actions name the version they saw (optimistic concurrency). */
  version: number;
  titleEditedAt: Date | null;
  createdAt: Date;
  /** The highest position the viewer had read before this visit; null on a first visit. */
  lastReadPosition: number | null;
  watchLevel: 'watching' | 'muted' | null;
  /** Where the accepted answer stands, while it is shown (not deleted or hidden); page 1 shows it. */
  answerPosition: number | null;
  /** The library resource this thread discusses, while it is in the library. */
  resource: { id: number; title: string } | null;
}

/**
 * A thread the viewer may see, or undefined: a member sees no deleted or hidden thread, nobody
 * one in a category hidden from them, and a merged thread is only an address (findMergeTarget).
 */
export async function findThread(db: Db, viewer: Viewer, id: number): Promise<Thread | undefined> {
  const row = await db
    .selectFrom('threads as t')
    .innerJoin('categories as c', 'c.id', 't.category_id')
    .leftJoin('thread_reads as r', (join) => join.onRef('r.thread_id', '=', 't.id').on('r.member_id', '=', viewer.id))
    .leftJoin('thread_watches as w', (join) => join.onRef('w.thread_id', '=', 't.id').on('w.member_id', '=', viewer.id))
    // A resource's own thread (resources.thread_id is unique): at most one row, by its key.
    .leftJoin('resources as res', (join) => join.onRef('res.thread_id', '=', 't.id').on('res.removed_at', 'is', null))
    .select([
      't.id',
      't.title',
      't.slug',
      't.author_id',
      't.category_id',
      't.post_count',
      't.reply_count',
      't.pinned_at',
      't.pinned_site_wide',
      't.locked_at',
      't.hidden_at',
      't.hidden_reason',
      't.deleted_at',
      't.version',
      't.title_edited_at',
      't.created_at',
      'c.slug as category_slug',
      'c.name as category_name',
      'c.visible_to',
      'r.last_read_position',
      'w.level as watch_level',
      'res.id as resource_id',
      'res.title as resource_title',
    ])
    // A lookup by posts_one_answer: most threads have none, and page 1 takes the answer from
    // its own posts when it stands there, so only a later answer costs the page a query.
    .select(sql<number | null>`(select ans.position from posts ans where ans.thread_id = t.id and ans.answered_at is not null and ans.deleted_at is null and ans.hidden_at is null limit 1)`.as('answer_position'))
    .where('t.id', '=', id)
    .where('t.merged_into_id', 'is', null)
    .$if(!isStaff(viewer.role), (qb) => qb.where('t.deleted_at', 'is', null).where('t.hidden_at', 'is', null).where(heldThreadShownTo(viewer)))
    .where('c.visible_to', 'in', audiencesFor(viewer))
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      title: row.title,
      slug: row.slug,
      authorId: row.author_id,
      categoryId: row.category_id,
      categorySlug: row.category_slug,
      categoryName: row.category_name,
      categoryVisibleTo: row.visible_to as Audience,
      postCount: row.post_count,
      replyCount: row.reply_count,
      pinned: row.pinned_at !== null,
      pinnedSiteWide: row.pinned_site_wide,
      locked: row.locked_at !== null,
      hidden: row.hidden_at !== null,
      hiddenReason: row.hidden_reason,
      deleted: row.deleted_at !== null,
      version: row.version,
      titleEditedAt: row.title_edited_at,
      createdAt: row.created_at,
      lastReadPosition: row.last_read_position,
      watchLevel: row.watch_level as Thread['watchLevel'],
      answerPosition: row.answer_position,
      resource: row.resource_id === null ? null : { id: row.resource_id, title: row.resource_title! },
    }
  );
}

/** Where a merged thread went: the thread its address now leads to. */
export async function findMergeTarget(db: Db, threadId: number): Promise<number | undefined> {
  const row = await db.selectFrom('threads').select('merged_into_id').where('id', '=', threadId).where('merged_into_id', 'is not', null).executeTakeFirst();
  return row?.merged_into_id ?? undefined;
}

export interface NewThread {
  categoryId: number;
  authorId: number;
  title: string;
  slug: string;
  formToken: string;
}

/** Inserts the thread once per form token; undefined when that form already made one. */
export async function insertThread(db: Db, thread: NewThread): Promise<number | undefined> {
  const row = await db
    .insertInto('threads')
    .values({ category_id: thread.categoryId, author_id: thread.authorId, title: thread.title, slug: thread.slug, form_token: thread.formToken, last_poster_id: thread.authorId })
    .onConflict((oc) => oc.column('form_token').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/**
 * The thread or post a member's form made (threads and posts each keep their form's token):
 * a token is only ever answered to the member who sent it.
 */
export async function findIdByFormToken(db: Db, table: 'threads' | 'posts', formToken: string, authorId: number): Promise<number | undefined> {
  const row = await db.selectFrom(table).select('id').where('form_token', '=', formToken).where('author_id', '=', authorId).executeTakeFirst();
  return row?.id;
}

/**
 * Takes the next position in the thread for a reply, and records the activity. Locks the
 * thread's row until the transaction ends, so replies to one thread are numbered in turn, and
 * a move cannot slip in between: the category and whether it counts the thread are read here,
 * under the lock. A reply held for a moderator takes its position and nothing else: it is
 * counted when approved.
 */
export async function claimReplyPosition(db: Db, threadId: number, posterId: number, held = false): Promise<{ position: number; locked: boolean; categoryId: number; counted: boolean } | undefined> {
  const row = await db
    .updateTable('threads as t')
    .set((eb) =>
      held
        ? { post_count: eb('post_count', '+', 1) }
        : { post_count: eb('post_count', '+', 1), reply_count: eb('reply_count', '+', 1), last_posted_at: sql`now()`, last_poster_id: posterId, updated_at: sql`now()` },
    )
    .where('t.id', '=', threadId)
    .where('t.deleted_at', 'is', null)
    .returning(['t.post_count', 't.locked_at', 't.category_id', countedThread().as('counted')])
    .executeTakeFirst();
  return row && { position: row.post_count, locked: row.locked_at !== null, categoryId: row.category_id, counted: row.counted };
}
