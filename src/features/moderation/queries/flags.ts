import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';
import { lockThreadOfPost } from '../../discussions/queries/counts.js';
import { pendNotificationEmails } from '../../notifications/queries.js';
import type { FlagReason } from '../schemas.js';

/** A flagged item: one post or one resource (the flags table holds exactly one of the two). */
export type FlagTarget = { kind: 'post'; id: number } | { kind: 'resource'; id: number };

export type FlagOutcome = 'kept' | 'hidden' | 'deleted' | 'edited';

function targetColumn(target: FlagTarget) {
  return target.kind === 'post' ? ('post_id' as const) : ('resource_id' as const);
}

/** Writes the member's flag unless they already flagged the item (the unique index decides); whether it was written. */
export async function insertFlag(db: Db, target: FlagTarget, flag: { flaggerId: number; reason: FlagReason; note: string }): Promise<boolean> {
  const row = await db
    .insertInto('flags')
    .values({ [targetColumn(target)]: target.id, flagger_id: flag.flaggerId, reason: flag.reason, note: flag.note === '' ? null : flag.note })
    .onConflict((conflict) => conflict.doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function hasFlagged(db: Db, target: FlagTarget, flaggerId: number): Promise<boolean> {
  const row = await db.selectFrom('flags').select('id').where(targetColumn(target), '=', target.id).where('flagger_id', '=', flaggerId).executeTakeFirst();
  return row !== undefined;
}

export async function countOpenFlags(db: Db, target: FlagTarget): Promise<number> {
  const row = await db
    .selectFrom('flags')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where(targetColumn(target), '=', target.id)
    .where('resolved_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Resolves the item's open flags with the moderator's outcome; the members who raised them. */
export async function resolveOpenFlags(db: Db, target: FlagTarget, resolution: { by: number | null; outcome: FlagOutcome }): Promise<number[]> {
  const rows = await db
    .updateTable('flags')
    .set({ resolved_at: sql`now()`, resolved_by: resolution.by, outcome: resolution.outcome })
    .where(targetColumn(target), '=', target.id)
    .where('resolved_at', 'is', null)
    .returning('flagger_id')
    .execute();
  return rows.map((row) => row.flagger_id);
}

/** A post as moderation changes it, its row locked so two actions on it take turns. */
export interface LockedPost {
  id: number;
  threadId: number;
  categoryId: number;
  authorId: number;
  position: number;
  hiddenAt: Date | null;
  hiddenBy: number | null;
  hiddenReason: string | null;
  deleted: boolean;
  threadDeleted: boolean;
  /**
   * Deleted in the same transaction as its thread: the first post of a thread with no replies,
   * deleted by its author or a moderator (discussions/edits.ts), so restoring it restores the
   * thread. A thread a moderator deleted on its own stays deleted.
   */
  deletedWithThread: boolean;
}

/** Locks the post (its thread's row first: lockThreadOfPost), and reads it as moderation changes it. */
export async function lockPost(db: Db, postId: number): Promise<LockedPost | undefined> {
  if ((await lockThreadOfPost(db, postId)) === undefined) return undefined;
  const row = await db
    .selectFrom('posts as p')
    .innerJoin('threads as t', 't.id', 'p.thread_id')
    .select(['p.id', 'p.thread_id', 't.category_id', 'p.author_id', 'p.position', 'p.hidden_at', 'p.hidden_by', 'p.hidden_reason', 'p.deleted_at', 't.deleted_at as thread_deleted_at', sql<boolean>`coalesce(p.deleted_at = t.deleted_at, false)`.as('deleted_with_thread')])
    .where('p.id', '=', postId)
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    threadId: row.thread_id,
    categoryId: row.category_id,
    authorId: row.author_id,
    position: row.position,
    hiddenAt: row.hidden_at,
    hiddenBy: row.hidden_by,
    hiddenReason: row.hidden_reason,
    deleted: row.deleted_at !== null,
    threadDeleted: row.thread_deleted_at !== null,
    deletedWithThread: row.deleted_with_thread,
  };
}

/**
 * Hides the post (by a moderator with a reason, or by flags with neither), or changes who hid it
 * and why. A first post takes its thread with it: the title is written with the first post, and
 * a title that breaches the code stays in every list otherwise (as Discourse unlists a topic
 * whose first post is hidden). The thread takes the post's hidden_at, which is how showing the
 * post again knows to bring the thread back; a thread hidden before, on its own account, stays.
 */
export async function setPostHidden(db: Db, post: Pick<LockedPost, 'id' | 'threadId' | 'position'>, hiding: { by: number | null; reason: string | null }): Promise<void> {
  await db
    .updateTable('posts')
    .set({ hidden_at: sql`coalesce(hidden_at, now())`, hidden_by: hiding.by, hidden_reason: hiding.reason })
    .where('id', '=', post.id)
    .execute();
  if (post.position !== 1) return;
  // Compared and copied in SQL: a JavaScript Date would drop the microseconds.
  await db
    .updateTable('threads')
    .set((eb) => ({ hidden_at: sql<Date>`(select hidden_at from posts where id = ${post.id})`, hidden_reason: hiding.reason, version: eb('version', '+', 1), updated_at: sql`now()` }))
    .where('id', '=', post.threadId)
    .where('hidden_at', 'is', null)
    .execute();
}

/** Shows the post again, and its thread if hiding the post (a first post) had hidden it. */
export async function setPostShown(db: Db, post: Pick<LockedPost, 'id' | 'threadId' | 'position'>): Promise<void> {
  if (post.position === 1) {
    await db
      .updateTable('threads')
      .set((eb) => ({ hidden_at: null, hidden_reason: null, version: eb('version', '+', 1), updated_at: sql`now()` }))
      .where('id', '=', post.threadId)
      .where('hidden_with_resource', '=', false)
      .where(sql<boolean>`hidden_at = (select hidden_at from posts where id = ${post.id})`)
      .execute();
  }
  await db.updateTable('posts').set({ hidden_at: null, hidden_by: null, hidden_reason: null }).where('id', '=', post.id).execute();
}

export async function setPostRestored(db: Db, postId: number): Promise<void> {
  await db.updateTable('posts').set({ deleted_at: null, deleted_by: null }).where('id', '=', postId).execute();
}

/** Undeletes the thread (its version moves on: a form opened on the deleted thread is stale). */
export async function setThreadRestored(db: Db, threadId: number): Promise<void> {
  await db.updateTable('threads').set((eb) => ({ deleted_at: null, version: eb('version', '+', 1), updated_at: sql`now()` })).where('id', '=', threadId).execute();
}

/** A resource as moderation changes it, locked; with the thread and first post its notifications point at. */
export interface LockedResource {
  id: number;
  title: string;
  sharerId: number;
  threadId: number;
  firstPostId: number;
  hiddenAt: Date | null;
  hiddenBy: number | null;
  hiddenReason: string | null;
  removed: boolean;
}

export async function lockResource(db: Db, resourceId: number): Promise<LockedResource | undefined> {
  const row = await db
    .selectFrom('resources as r')
    .innerJoin('posts as p', (join) => join.onRef('p.thread_id', '=', 'r.thread_id').on('p.position', '=', 1))
    .select(['r.id', 'r.title', 'r.sharer_id', 'r.thread_id', 'p.id as first_post_id', 'r.hidden_at', 'r.hidden_by', 'r.hidden_reason', 'r.removed_at'])
    .where('r.id', '=', resourceId)
    .forNoKeyUpdate('r')
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      title: row.title,
      sharerId: row.sharer_id,
      threadId: row.thread_id,
      firstPostId: row.first_post_id,
      hiddenAt: row.hidden_at,
      hiddenBy: row.hidden_by,
      hiddenReason: row.hidden_reason,
      removed: row.removed_at !== null,
    }
  );
}

export async function setResourceHidden(db: Db, resourceId: number, hiding: { by: number | null; reason: string | null }): Promise<void> {
  await db
    .updateTable('resources')
    .set({ hidden_at: sql`coalesce(hidden_at, now())`, hidden_by: hiding.by, hidden_reason: hiding.reason })
    .where('id', '=', resourceId)
    .execute();
}

export async function setResourceShown(db: Db, resourceId: number): Promise<void> {
  await db.updateTable('resources').set({ hidden_at: null, hidden_by: null, hidden_reason: null }).where('id', '=', resourceId).execute();
}

/**
 * A member has one notification per post and kind (the notifications_once constraint): a later
 * moderation action on the same post (hidden, then warned about; shown, then hidden again) brings
 * that one back, unread, not yet emailed and dated now, rather than failing on the constraint.
 */
export const NOTIFIED_AGAIN = {
  actor_id: sql<number | null>`excluded.actor_id`,
  thread_id: sql<number>`excluded.thread_id`,
  created_at: sql<Date>`now()`,
  read_at: null,
  emailed_at: null,
};

/** In-app notices of a moderator's decision: to the flaggers (flag_outcome) or the author (moderation). */
export async function insertModerationNotifications(
  db: Db,
  notice: { memberIds: number[]; kind: 'flag_outcome' | 'moderation'; actorId: number | null; threadId: number; postId: number },
): Promise<void> {
  const memberIds = [...new Set(notice.memberIds)];
  if (memberIds.length === 0) return;
  const rows = await db
    .insertInto('notifications')
    .values(memberIds.map((memberId) => ({ member_id: memberId, kind: notice.kind, actor_id: notice.actorId, thread_id: notice.threadId, post_id: notice.postId })))
    .onConflict((oc) => oc.constraint('notifications_once').doUpdateSet(NOTIFIED_AGAIN))
    .returning('id')
    .execute();
  await pendNotificationEmails(db, rows.map((row) => row.id));
}

/** Tells a thread's author that a moderator hid or deleted it (the notice points at its first post; the reason is on their moderation record). */
export async function insertThreadAuthorNotification(db: Db, thread: { id: number; authorId: number }): Promise<void> {
  const first = await db.selectFrom('posts').select('id').where('thread_id', '=', thread.id).where('position', '=', 1).executeTakeFirstOrThrow();
  await insertModerationNotifications(db, { memberIds: [thread.authorId], kind: 'moderation', actorId: null, threadId: thread.id, postId: first.id });
}
