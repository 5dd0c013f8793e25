import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';
import type { Viewer } from '../access.js';
import { postsInSight, toPostLocation, type PostLocation } from './posts.js';
import { shownName } from '../../members/names.js';

/** A post as editing, deleting and its revisions page need it, with its thread and category. */
export interface PostToChange extends PostLocation {
  threadTitle: string;
  threadAuthorId: number;
  /** Its thread was deleted (by deleting its only post): only a repeated delete still finds it. */
  threadDeleted: boolean;
  categoryId: number;
  categorySlug: string;
  categoryName: string;
  version: number;
  createdAt: Date;
  editedAt: Date | null;
}

/** A post in a category the viewer may see (and, for a member, in a thread not hidden), or undefined. */
export async function findPostToChange(db: Db, viewer: Viewer, postId: number): Promise<PostToChange | undefined> {
  const row = await postsInSight(db, viewer)
    .select(['t.title', 't.author_id as thread_author_id', 't.deleted_at as thread_deleted_at', 't.category_id', 'c.slug as category_slug', 'c.name as category_name', 'p.version', 'p.created_at', 'p.edited_at'])
    .where('p.id', '=', postId)
    .executeTakeFirst();
  return (
    row && {
      ...toPostLocation(row),
      threadTitle: row.title,
      threadAuthorId: row.thread_author_id,
      threadDeleted: row.thread_deleted_at !== null,
      categoryId: row.category_id,
      categorySlug: row.category_slug,
      categoryName: row.category_name,
      version: row.version,
      createdAt: row.created_at,
      editedAt: row.edited_at,
    }
  );
}

export interface RenderedBody {
  bodySource: string;
  bodyHtml: string;
  rendererVersion: number;
}

/**
 * The optimistic check: replaces the body only if the post is still at `version` and not
 * deleted, and returns the text it replaced; undefined when someone got there first. The row
 * lock makes a second editor of the same version wait, then find the version moved on; it is
 * the kind an UPDATE takes, so replies to this post (a foreign key's KEY SHARE) do not wait.
 */
export async function replacePostBody(db: Db, postId: number, version: number, body: RenderedBody): Promise<{ bodySource: string; writtenAt: Date } | undefined> {
  const row = await db
    .with('previous', (qb) =>
      qb
        .selectFrom('posts')
        .select(['id', 'body_source', sql<Date>`coalesce(edited_at, created_at)`.as('written_at')])
        .where('id', '=', postId)
        .where('version', '=', version)
        .where('deleted_at', 'is', null)
        .forNoKeyUpdate(),
    )
    .updateTable('posts')
    .from('previous')
    .set((eb) => ({
      body_source: body.bodySource,
      body_html: body.bodyHtml,
      renderer_version: body.rendererVersion,
      version: eb('posts.version', '+', 1),
      edited_at: sql`now()`,
    }))
    .whereRef('posts.id', '=', 'previous.id')
    .returning(['previous.body_source', 'previous.written_at'])
    .executeTakeFirst();
  return row && { bodySource: row.body_source, writtenAt: row.written_at };
}

export async function insertPostRevision(db: Db, revision: { postId: number; version: number; bodySource: string; writtenAt: Date; replacedBy: number; byModerator: boolean }): Promise<void> {
  await db
    .insertInto('post_revisions')
    .values({ post_id: revision.postId, version: revision.version, body_source: revision.bodySource, written_at: revision.writtenAt, replaced_by: revision.replacedBy, by_moderator: revision.byModerator })
    .execute();
}

/**
 * Retitles a thread (and its slug), keeping the title it replaced in thread_title_revisions, and
 * returns that title. The thread's version moves on, so a moderator's form opened before the
 * retitle is stale rather than putting the old title back.
 */
export async function retitleThread(db: Db, threadId: number, change: { title: string; slug: string; replacedBy: number; byModerator?: boolean }): Promise<string> {
  const previous = await db
    .with('previous', (qb) => qb.selectFrom('threads').select(['id', 'title']).where('id', '=', threadId).forNoKeyUpdate())
    .updateTable('threads')
    .from('previous')
    .set((eb) => ({ title: change.title, slug: change.slug, title_edited_at: sql`now()`, version: eb('threads.version', '+', 1), updated_at: sql`now()` }))
    .whereRef('threads.id', '=', 'previous.id')
    .returning('previous.title')
    .executeTakeFirstOrThrow();
  await db.insertInto('thread_title_revisions').values({ thread_id: threadId, title: previous.title, replaced_by: change.replacedBy, by_moderator: change.byModerator ?? false }).execute();
  return previous.title;
}

/** Marks the post deleted unless it already is; its position, or undefined. */
export async function markPostDeleted(db: Db, postId: number, deletedBy: number): Promise<number | undefined> {
  const row = await db
    .updateTable('posts')
    // A deleted post cannot stay the thread's accepted answer.
    .set({ deleted_at: sql`now()`, deleted_by: deletedBy, answered_at: null, answered_by: null })
    .where('id', '=', postId)
    .where('deleted_at', 'is', null)
    .returning('position')
    .executeTakeFirst();
  return row?.position;
}

/** Deleted with its only post; the same now() as the post's, which is how restoring the post knows to bring it back. */
export async function markThreadDeleted(db: Db, threadId: number): Promise<void> {
  await db.updateTable('threads').set((eb) => ({ deleted_at: sql`now()`, version: eb('version', '+', 1), updated_at: sql`now()` })).where('id', '=', threadId).execute();
}

/** Whether the thread has replies that are not deleted (a hidden one still counts: it may come back). */
export async function hasLiveReplies(db: Db, threadId: number): Promise<boolean> {
  const row = await db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '>', 1).where('deleted_at', 'is', null).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** An earlier version of a post, and who replaced it with the next one. */
export interface PostRevision {
  version: number;
  bodySource: string;
  writtenAt: Date;
  replacedByName: string | null;
  /** A moderator replaced it (from the moderation tools): the history says so rather than who. */
  byModerator: boolean;
  replacedAt: Date;
}

/** The revisions numbered `from` to `to`, newest first. */
export async function listPostRevisions(db: Db, postId: number, from: number, to: number): Promise<PostRevision[]> {
  const rows = await db
    .selectFrom('post_revisions as r')
    .leftJoin('members as m', 'm.id', 'r.replaced_by')
    .select(['r.version', 'r.body_source', 'r.written_at', shownName<string | null>('m').as('display_name'), 'r.by_moderator', 'r.replaced_at'])
    .where('r.post_id', '=', postId)
    .where('r.version', '>=', from)
    .where('r.version', '<=', to)
    .orderBy('r.version', 'desc')
    .execute();
  return rows.map((row) => ({ version: row.version, bodySource: row.body_source, writtenAt: row.written_at, replacedByName: row.display_name, byModerator: row.by_moderator, replacedAt: row.replaced_at }));
}

/** A thread's earlier titles, newest first. */
export async function listThreadTitleRevisions(db: Db, threadId: number): Promise<{ title: string; replacedByName: string | null; byModerator: boolean; replacedAt: Date }[]> {
  const rows = await db
    .selectFrom('thread_title_revisions as r')
    .leftJoin('members as m', 'm.id', 'r.replaced_by')
    .select(['r.title', shownName<string | null>('m').as('display_name'), 'r.by_moderator', 'r.replaced_at'])
    .where('r.thread_id', '=', threadId)
    .orderBy('r.replaced_at', 'desc')
    .orderBy('r.id', 'desc')
    .execute();
  return rows.map((row) => ({ title: row.title, replacedByName: row.display_name, byModerator: row.by_moderator, replacedAt: row.replaced_at }));
}
