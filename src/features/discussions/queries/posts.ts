import { sql } from 'kysely';
import { fixedLimit } from '../../../db/fixed-limit.js';
import type { Db } from '../../../db/types.js';
import { heldPostShownTo, heldThreadShownTo, type HoldReason } from '../../moderation/queries/held-posts.js';
import { audiencesFor, isStaff, type Viewer } from '../access.js';
import { shownName, shownWhileActive } from '../../members/names.js';

/** A post as the thread page shows it: the author's line, the body, and what hangs off it. */
export interface PostView {
  id: number;
  threadId: number;
  position: number;
  depth: number;
  authorId: number;
  authorName: string;
  /** Null once the author is shown as a former member: no link to their profile. */
  authorHandle: string | null;
  authorJobTitle: string | null;
  agencyName: string | null;
  createdAt: Date;
  editedAt: Date | null;
  deleted: boolean;
  hidden: boolean;
  /** Why a moderator hid it (shown to its author and staff); null when flags hid it, pending review. */
  hiddenReason: string | null;
  hiddenByModerator: boolean;
  /** Deleted by someone other than its author: a moderator. */
  deletedByModerator: boolean;
  /** Waiting for a moderator (only its author and staff get it at all). */
  held: boolean;
  /** Why a moderator rejected it, when it was held and is now deleted. */
  heldRejectedReason: string | null;
  version: number;
  bodyHtml: string;
  /** Only when bodyHtml came from an older renderer and must be made again. */
  staleSource: string | null;
  helpfulCount: number;
  /** Up to a handful of who found it helpful, for the count's label. */
  helpfulNames: string[];
  helpfulByViewer: boolean;
  answered: boolean;
  /** The post this one answers; `deleted` also when it is hidden, so no excerpt is shown. Null when it is held and not the viewer's to see. */
  replyTo: { id: number; position: number; authorName: string; sourceStart: string; deleted: boolean } | null;
  /** Whether files are attached: a page whose posts have none reads no files. */
  hasFiles: boolean;
}

// Enough of a replied-to post's source for a one-line excerpt.
const EXCERPT_SOURCE_CHARS = 400;
const HELPFUL_NAMES_SHOWN = 10;

function postView(db: Db, viewer: Viewer, rendererVersion: number) {
  return db
    .selectFrom('posts as p')
    .innerJoin('members as a', 'a.id', 'p.author_id')
    .leftJoin('agencies as ag', 'ag.id', 'a.agency_id')
    // A held parent exists only for its author and staff: for anyone else the reply answers
    // nothing they can see, so no name or excerpt of it reaches the page.
    .leftJoin('posts as parent', (join) => {
      const replied = join.onRef('parent.id', '=', 'p.reply_to_post_id');
      return isStaff(viewer.role) ? replied : replied.on(heldPostShownTo(viewer, 'parent'));
    })
    .leftJoin('members as pa', 'pa.id', 'parent.author_id')
    .select([
      'p.id',
      'p.thread_id',
      'p.position',
      'p.depth',
      'p.author_id',
      'p.created_at',
      'p.edited_at',
      'p.deleted_at',
      'p.deleted_by',
      'p.hidden_at',
      'p.held_at',
      'p.hidden_reason',
      'p.hidden_by',
      'p.version',
      'p.body_html',
      'p.helpful_count',
      'p.answered_at',
      shownName('a').as('author_name'),
      shownWhileActive('a', 'a.handle').as('author_handle'),
      shownWhileActive('a', 'a.job_title').as('author_job_title'),
      shownWhileActive('a', 'ag.name').as('agency_name'),
      'parent.id as parent_id',
      'parent.position as parent_position',
      'parent.deleted_at as parent_deleted_at',
      'parent.hidden_at as parent_hidden_at',
      shownName<string | null>('pa').as('parent_author_name'),
    ])
    .select([
      sql<string | null>`case when p.renderer_version = ${rendererVersion} then null else p.body_source end`.as('stale_source'),
      sql<string | null>`left(parent.body_source, ${EXCERPT_SOURCE_CHARS})`.as('parent_source_start'),
      sql<string[] | null>`(select array_agg(${shownName('rm')} order by pr.created_at) from (select member_id, created_at from post_reactions where post_id = p.id order by created_at limit ${HELPFUL_NAMES_SHOWN}) pr join members rm on rm.id = pr.member_id)`.as('helpful_names'),
      // A lookup per post by the primary key. As EXISTS, the planner may instead read every
      // reaction in the forum to find the viewer's (it did: 72,000 rows for a 20-post page).
      sql<boolean>`coalesce((select true from post_reactions own where own.post_id = p.id and own.member_id = ${viewer.id} limit 1), false)`.as('helpful_by_viewer'),
      sql<boolean>`coalesce((select true from files f where f.post_id = p.id limit 1), false)`.as('has_files'),
    ])
    .$if(!isStaff(viewer.role), (qb) => qb.where(heldPostShownTo(viewer)));
}

type PostViewRow = Awaited<ReturnType<ReturnType<typeof postView>['execute']>>[number];

function toPostView(row: PostViewRow): PostView {
  return {
    id: row.id,
    threadId: row.thread_id,
    position: row.position,
    depth: row.depth,
    authorId: row.author_id,
    authorName: row.author_name,
    authorHandle: row.author_handle,
    authorJobTitle: row.author_job_title,
    agencyName: row.agency_name,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deleted: row.deleted_at !== null,
    hidden: row.hidden_at !== null,
    hiddenReason: row.hidden_reason,
    hiddenByModerator: row.hidden_by !== null,
    deletedByModerator: row.deleted_by !== null && row.deleted_by !== row.author_id,
    held: row.held_at !== null,
    heldRejectedReason: row.held_at !== null && row.deleted_at !== null ? row.hidden_reason : null,
    version: row.version,
    bodyHtml: row.body_html,
    staleSource: row.stale_source,
    helpfulCount: row.helpful_count,
    helpfulNames: row.helpful_names ?? [],
    helpfulByViewer: Boolean(row.helpful_by_viewer),
    answered: row.answered_at !== null,
    replyTo:
      row.parent_id === null
        ? null
        : { id: row.parent_id, position: row.parent_position!, authorName: row.parent_author_name!, sourceStart: row.parent_source_start ?? '', deleted: row.parent_deleted_at !== null || row.parent_hidden_at !== null },
    hasFiles: Boolean(row.has_files),
  };
}

/** Posts `from` to `to` (positions) of a thread: one query, however long the thread is. */
export async function listPostsByPosition(db: Db, viewer: Viewer, rendererVersion: number, threadId: number, from: number, to: number): Promise<PostView[]> {
  // Positions are unique in a thread, so the limit changes no result. It tells the planner a
  // page is all that comes back: for a long thread it guessed hundreds of rows for (thread,
  // position range) and hashed the whole members table rather than look up 20 authors.
  const rows = await postView(db, viewer, rendererVersion)
    .where('p.thread_id', '=', threadId)
    .where('p.position', '>=', from)
    .where('p.position', '<=', to)
    .orderBy('p.position')
    .limit(fixedLimit(to - from + 1))
    .execute();
  return rows.map(toPostView);
}

/** Posts by id, in the order given (a page of the threaded view); ids of another thread are left out. */
export async function listPostsById(db: Db, viewer: Viewer, rendererVersion: number, threadId: number, ids: number[]): Promise<PostView[]> {
  if (ids.length === 0) return [];
  // Only the primary key in SQL, and the thread checked here. With `thread_id = $n` beside the
  // ids, a prepared statement's generic plan (which expects ten posts a thread) read the whole
  // thread through posts_thread_position: 5,000 posts for a page of 20 of the long thread. One
  // array parameter also makes one statement of every page, whatever its length.
  const rows = await postView(db, viewer, rendererVersion).where('p.id', '=', sql<number>`any(${ids}::bigint[])`).execute();
  const byId = new Map(rows.filter((row) => row.thread_id === threadId).map((row) => [row.id, toPostView(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The accepted answer of a thread, shown under its first post; none once it is deleted or hidden. */
export async function findAnswer(db: Db, viewer: Viewer, rendererVersion: number, threadId: number): Promise<PostView | undefined> {
  const row = await postView(db, viewer, rendererVersion)
    .where('p.thread_id', '=', threadId)
    .where('p.answered_at', 'is not', null)
    .where('p.deleted_at', 'is', null)
    .where('p.hidden_at', 'is', null)
    .executeTakeFirst();
  return row && toPostView(row);
}

/** Every post's place in the reply tree: what the threaded view orders by. */
export async function listReplyTree(db: Db, threadId: number): Promise<{ id: number; replyToPostId: number | null; position: number }[]> {
  const rows = await db.selectFrom('posts').select(['id', 'reply_to_post_id', 'position']).where('thread_id', '=', threadId).orderBy('position').execute();
  return rows.map((row) => ({ id: row.id, replyToPostId: row.reply_to_post_id, position: row.position }));
}

/** Where a post lives, if the viewer may see its thread: for permalinks, replies and quotes. */
export interface PostLocation {
  id: number;
  threadId: number;
  threadSlug: string;
  position: number;
  depth: number;
  authorId: number;
  authorName: string;
  bodySource: string;
  deleted: boolean;
  hidden: boolean;
}

/**
 * Posts in categories the viewer may see and, for a member, in threads not hidden, with what
 * locates them. Deleted threads too: callers that show a thread leave those out.
 */
export function postsInSight(db: Db, viewer: Viewer) {
  return db
    .selectFrom('posts as p')
    .innerJoin('threads as t', 't.id', 'p.thread_id')
    .innerJoin('categories as c', 'c.id', 't.category_id')
    .innerJoin('members as a', 'a.id', 'p.author_id')
    .select(['p.id', 'p.thread_id', 't.slug', 'p.position', 'p.depth', 'p.author_id', shownName('a').as('display_name'), 'p.body_source', 'p.deleted_at', 'p.hidden_at'])
    .$if(!isStaff(viewer.role), (qb) => qb.where('t.hidden_at', 'is', null).where(heldPostShownTo(viewer)).where(heldThreadShownTo(viewer)))
    .where('c.visible_to', 'in', audiencesFor(viewer));
}

type PostInSightRow = Awaited<ReturnType<ReturnType<typeof postsInSight>['execute']>>[number];

export function toPostLocation(row: PostInSightRow): PostLocation {
  return {
    id: row.id,
    threadId: row.thread_id,
    threadSlug: row.slug,
    position: row.position,
    depth: row.depth,
    authorId: row.author_id,
    authorName: row.display_name,
    bodySource: row.body_source,
    deleted: row.deleted_at !== null,
    hidden: row.hidden_at !== null,
  };
}

export async function findPostLocation(db: Db, viewer: Viewer, postId: number): Promise<PostLocation | undefined> {
  const row = await postsInSight(db, viewer).where('p.id', '=', postId).where('t.deleted_at', 'is', null).executeTakeFirst();
  return row && toPostLocation(row);
}

export interface NewPost {
  threadId: number;
  authorId: number;
  position: number;
  replyToPostId: number | null;
  depth: number;
  bodySource: string;
  bodyHtml: string;
  rendererVersion: number;
  formToken: string;
  /** Waits for a moderator (moderation/held-posts.ts): counted nowhere until approved. */
  heldReason?: HoldReason | null;
}

/**
 * Inserts the post once per form token, with what every new post brings, in one statement (one
 * round trip where there were four): the category's counts and latest activity (/c), the
 * author's read position up to the post, and their watch on the thread unless they chose
 * otherwise before. Each of those reads new_post, so when that form already made a post
 * nothing is written, and the answer is undefined.
 */
export async function insertPost(db: Db, post: NewPost, category: { id: number; newThread: boolean; /** Whether the category counts the thread (not a hidden one). */ counted: boolean }): Promise<number | undefined> {
  const row = await db
    .with('new_post', (qc) =>
      qc
        .insertInto('posts')
        .values({
          thread_id: post.threadId,
          author_id: post.authorId,
          position: post.position,
          reply_to_post_id: post.replyToPostId,
          depth: post.depth,
          body_source: post.bodySource,
          body_html: post.bodyHtml,
          renderer_version: post.rendererVersion,
          form_token: post.formToken,
          held_at: post.heldReason ? sql<Date>`now()` : null,
          held_reason: post.heldReason ?? null,
        })
        .onConflict((oc) => oc.column('form_token').doNothing())
        .returning('id'),
    )
    .with('counted', (qc) =>
      qc
        .updateTable('categories')
        .set((eb) => ({
          post_count: eb('post_count', '+', 1),
          thread_count: category.newThread ? eb('thread_count', '+', 1) : eb.ref('thread_count'),
          last_posted_at: sql`now()`,
        }))
        .where('id', '=', category.id)
        .where(sql<boolean>`exists (select from new_post) and ${!post.heldReason && category.counted}`),
    )
    .with('read', (qc) =>
      qc
        .insertInto('thread_reads')
        .columns(['member_id', 'thread_id', 'last_read_position'])
        .expression((eb) => eb.selectFrom('new_post').select([eb.val(post.authorId).as('member_id'), eb.val(post.threadId).as('thread_id'), eb.val(post.position).as('last_read_position')]))
        .onConflict((oc) =>
          oc
            .columns(['member_id', 'thread_id'])
            .doUpdateSet({ last_read_position: sql`greatest(thread_reads.last_read_position, excluded.last_read_position)`, updated_at: sql`now()` })
            .where('thread_reads.last_read_position', '<', post.position),
        ),
    )
    .with('watched', (qc) =>
      qc
        .insertInto('thread_watches')
        .columns(['member_id', 'thread_id', 'level'])
        .expression((eb) => eb.selectFrom('new_post').select([eb.val(post.authorId).as('member_id'), eb.val(post.threadId).as('thread_id'), eb.val('watching').as('level')]))
        .onConflict((oc) => oc.columns(['member_id', 'thread_id']).doNothing()),
    )
    .selectFrom('new_post')
    .select('id')
    .executeTakeFirst();
  return row?.id;
}

/** Stores HTML made by a newer renderer, in one statement, unless a post changed meanwhile. */
export async function updateRenderedPosts(db: Db, rendererVersion: number, posts: { id: number; version: number; bodyHtml: string }[]): Promise<void> {
  if (posts.length === 0) return;
  const rows = sql.join(posts.map((post) => sql`(${post.id}::bigint, ${post.version}::integer, ${post.bodyHtml}::text)`));
  await sql`
    update posts set body_html = fresh.body_html, renderer_version = ${rendererVersion}
    from (values ${rows}) as fresh (id, version, body_html)
    where posts.id = fresh.id and posts.version = fresh.version
  `.execute(db);
}

/** The first post after a position that is still there (where "unread" starts). */
export async function findFirstPostAfter(db: Db, threadId: number, position: number): Promise<{ id: number; position: number } | undefined> {
  return db
    .selectFrom('posts')
    .select(['id', 'position'])
    .where('thread_id', '=', threadId)
    .where('position', '>', position)
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .limit(1)
    .executeTakeFirst();
}
