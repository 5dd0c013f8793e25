import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';
import { moveNotificationEmails, pendNotificationEmails } from '../../notifications/queries.js';

/**
 * Numbers a thread's posts 1, 2, 3… again: the first post stays first, the rest follow by when
 * they were written. Positions are unique in a thread and checked row by row, so the posts go
 * first to a range past every position in use, then down into place.
 */
export async function renumberPosts(db: Db, threadId: number, firstPostId: number): Promise<number> {
  const total = await db
    .selectFrom('posts')
    .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.max('position').as('highest')])
    .where('thread_id', '=', threadId)
    .executeTakeFirstOrThrow();
  const above = Math.max(Number(total.count), Number(total.highest ?? 0));
  await sql`
    update posts set position = ${above} + ranked.place
    from (
      select id, row_number() over (order by id <> ${firstPostId}, created_at, id) as place
      from posts where thread_id = ${threadId}
    ) as ranked
    where posts.id = ranked.id
  `.execute(db);
  await sql`update posts set position = position - ${above} where thread_id = ${threadId}`.execute(db);
  return Number(total.count);
}

/** The first post of a thread: the one at position 1. */
export async function findFirstPostId(db: Db, threadId: number): Promise<number> {
  const row = await db.selectFrom('posts').select('id').where('thread_id', '=', threadId).orderBy('position').limit(1).executeTakeFirstOrThrow();
  return row.id;
}

/** Moves posts to another thread, out of the way of its positions until renumberPosts runs. */
export async function movePosts(db: Db, postIds: number[], from: number, to: number): Promise<void> {
  const highest = await db.selectFrom('posts').select((eb) => eb.fn.max('position').as('highest')).where('thread_id', '=', to).executeTakeFirst();
  await db
    .updateTable('posts')
    .set((eb) => ({ thread_id: to, position: eb('position', '+', Number(highest?.highest ?? 0)) }))
    .where('thread_id', '=', from)
    .$if(postIds.length > 0, (qb) => qb.where('id', 'in', postIds))
    .execute();
}

/** A thread keeps one accepted answer: a thread merged in gives up its own when the target has one. */
export async function clearAnswerIfTargetHasOne(db: Db, sourceId: number, targetId: number): Promise<void> {
  await sql`
    update posts set answered_at = null, answered_by = null
    where thread_id = ${sourceId} and answered_at is not null
      and exists (select from posts where thread_id = ${targetId} and answered_at is not null)
  `.execute(db);
}

/** What refers to a merged thread follows its posts: watches (kept once), notifications and the emails waiting for them. */
export async function carryThreadReferences(db: Db, from: number, to: number): Promise<void> {
  await sql`
    insert into thread_watches (member_id, thread_id, level)
    select member_id, ${to}, level from thread_watches where thread_id = ${from}
    on conflict (member_id, thread_id) do nothing
  `.execute(db);
  await db.updateTable('notifications').set({ thread_id: to }).where('thread_id', '=', from).execute();
  await moveNotificationEmails(db, from, to);
}

/**
 * Notifications about posts split off follow them to the new thread; those not yet emailed (nor
 * read) are pended there by the usual rule, so an immediate email still goes, about the new thread.
 */
export async function carrySplitNotifications(db: Db, postIds: number[], from: number, to: number): Promise<void> {
  const moved = await db
    .updateTable('notifications')
    .set({ thread_id: to })
    .where('thread_id', '=', from)
    .where(sql<boolean>`post_id = any(${postIds}::bigint[])`)
    .returning(['id', 'emailed_at', 'read_at'])
    .execute();
  await pendNotificationEmails(
    db,
    moved.filter((row) => row.emailed_at === null && row.read_at === null).map((row) => row.id),
  );
}

/** A post of a thread as the split page lists it. */
export interface SplittablePost {
  id: number;
  position: number;
  authorName: string;
  createdAt: Date;
  excerpt: string;
  deleted: boolean;
  hidden: boolean;
}

export async function listPostsForSplit(db: Db, threadId: number): Promise<(Omit<SplittablePost, 'excerpt'> & { bodySource: string })[]> {
  const rows = await db
    .selectFrom('posts as p')
    .innerJoin('members as m', 'm.id', 'p.author_id')
    .select(['p.id', 'p.position', 'm.display_name', 'p.created_at', 'p.body_source', 'p.deleted_at', 'p.hidden_at'])
    .where('p.thread_id', '=', threadId)
    .orderBy('p.position')
    .execute();
  return rows.map((row) => ({ id: row.id, position: row.position, authorName: row.display_name, createdAt: row.created_at, bodySource: row.body_source, deleted: row.deleted_at !== null, hidden: row.hidden_at !== null }));
}

/** The posts named, with the thread each is in. */
export async function findPostsByIds(db: Db, postIds: number[]): Promise<{ id: number; threadId: number; position: number; authorId: number }[]> {
  const rows = await db.selectFrom('posts').select(['id', 'thread_id', 'position', 'author_id']).where('id', 'in', postIds).orderBy('position').execute();
  return rows.map((row) => ({ id: row.id, threadId: row.thread_id, position: row.position, authorId: row.author_id }));
}

/**
 * Posts split off no longer answer posts left behind, nor are answered by them: a reply to a
 * post in another thread would show a context the page cannot link to. Its depth goes with it.
 */
export async function cutRepliesAcross(db: Db, threadA: number, threadB: number): Promise<void> {
  await sql`
    update posts set reply_to_post_id = null, depth = 0
    where thread_id in (${threadA}, ${threadB})
      and reply_to_post_id is not null
      and (select other.thread_id from posts other where other.id = posts.reply_to_post_id) <> posts.thread_id
  `.execute(db);
}

/** The first post of a thread asks; it cannot be the thread's answer. */
export async function clearFirstPostAnswer(db: Db, threadId: number): Promise<void> {
  await db.updateTable('posts').set({ answered_at: null, answered_by: null }).where('thread_id', '=', threadId).where('position', '=', 1).where('answered_at', 'is not', null).execute();
}

export async function insertSplitThread(db: Db, thread: { categoryId: number; authorId: number; title: string; slug: string; formToken: string }): Promise<number> {
  const row = await db
    .insertInto('threads')
    .values({ category_id: thread.categoryId, author_id: thread.authorId, title: thread.title, slug: thread.slug, form_token: thread.formToken, last_poster_id: thread.authorId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
