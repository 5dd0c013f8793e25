import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DB } from '../../../db/schema.js';
import type { Db } from '../../../db/types.js';
import { isStaff, STAFF_ROLES, type Viewer } from '../access.js';
import { firstPostHeld } from './counts.js';
import { shownName } from '../../members/names.js';
import { pendNotificationEmails } from '../../notifications/queries.js';
import { deliveryOf } from '../../notifications/preferences.js';

/** Why a member hears about a post; when several apply, the first in this list wins. */
export const NOTIFICATION_KINDS = ['answer', 'reply', 'mention', 'watched_reply', 'watched_thread'] as const;
/** What moderators tell members: a flag's outcome (to its flaggers), an action on their own content (to its author). */
export const MODERATION_NOTIFICATION_KINDS = ['flag_outcome', 'moderation'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number] | (typeof MODERATION_NOTIFICATION_KINDS)[number];

export interface PostAudience {
  postId: number;
  threadId: number;
  categoryId: number;
  actorId: number;
  /** The author of the post this one answers (the thread's author for a plain reply). */
  repliedToMemberId: number | null;
  mentionedHandles: string[];
  /** A new thread tells its category's watchers; a reply tells the thread's. */
  newThread: boolean;
  /** An edit tells only the members it newly mentions: the watchers heard when it was posted. */
  mentionsOnly?: boolean;
}

/**
 * One notification per member for a new post, of the most specific kind that applies, in one
 * statement inside the post's transaction. Never to the author, to a deactivated member, to
 * anyone who muted the thread, or to anyone who cannot see the category or the thread (staff
 * may reply in a thread a moderator hid: its members and watchers must not hear of it).
 */
export async function insertPostNotifications(db: Db, audience: PostAudience): Promise<number> {
  const handles = audience.mentionedHandles.map((handle) => handle.toLowerCase());
  const watchers = !audience.mentionsOnly;
  const result = await sql<{ id: number }>`
    with candidates (member_id, kind, rank) as (
      select ${audience.repliedToMemberId}::bigint, 'reply', 1 where ${audience.repliedToMemberId}::bigint is not null
      union all
      select id, 'mention', 2 from members where lower(handle) = any(${handles}::text[])
      union all
      select member_id, 'watched_reply', 3 from thread_watches where thread_id = ${audience.threadId} and level = 'watching' and ${watchers} and not ${audience.newThread}
      union all
      select member_id, 'watched_thread', 4 from category_watches where category_id = ${audience.categoryId} and ${watchers} and ${audience.newThread}
    ),
    chosen as (
      select distinct on (member_id) member_id, kind from candidates order by member_id, rank
    )
    insert into notifications (member_id, kind, actor_id, thread_id, post_id)
    select chosen.member_id, chosen.kind, ${audience.actorId}, ${audience.threadId}, ${audience.postId}
    from chosen
    join members m on m.id = chosen.member_id and m.deactivated_at is null
    join threads t on t.id = ${audience.threadId}
    join categories c on c.id = t.category_id
    where chosen.member_id <> ${audience.actorId}
      and (m.role in ('moderator', 'administrator') or (c.visible_to = 'members' and t.hidden_at is null))
      and not exists (select 1 from thread_watches w where w.member_id = chosen.member_id and w.thread_id = ${audience.threadId} and w.level = 'muted')
    on conflict do nothing
    returning id
  `.execute(db);
  await pendNotificationEmails(db, result.rows.map((row) => row.id));
  return result.rows.length;
}

export interface MarkedAnswer {
  postId: number;
  threadId: number;
  /** Who marked it: the thread's author or a moderator. */
  actorId: number;
  authorId: number;
}

/**
 * Tells a reply's author it was marked as the answer, in the marking's transaction: once per
 * post however often it is marked again, never to whoever marked it, to a deactivated member,
 * to one who muted the thread, or to one who can no longer see the category or the thread.
 */
export async function insertAnswerNotification(db: Db, answer: MarkedAnswer): Promise<void> {
  const rows = await db
    .insertInto('notifications')
    .columns(['member_id', 'kind', 'actor_id', 'thread_id', 'post_id'])
    .expression((eb) =>
      eb
        .selectFrom('members as m')
        .innerJoin('threads as t', (join) => join.on('t.id', '=', answer.threadId))
        .innerJoin('categories as c', 'c.id', 't.category_id')
        .select((eb) => ['m.id', sql.lit('answer').as('kind'), eb.cast(eb.val(answer.actorId), 'bigint').as('actor_id'), 't.id', eb.cast(eb.val(answer.postId), 'bigint').as('post_id')])
        .where('m.id', '=', answer.authorId)
        .where('m.id', '<>', answer.actorId)
        .where('m.deactivated_at', 'is', null)
        .where((eb) => eb.or([eb('m.role', 'in', ['moderator', 'administrator']), eb.and([eb('c.visible_to', '=', 'members'), eb('t.hidden_at', 'is', null)])]))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('thread_watches as w').select('w.member_id').whereRef('w.member_id', '=', 'm.id').where('w.thread_id', '=', answer.threadId).where('w.level', '=', 'muted')))),
    )
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .execute();
  await pendNotificationEmails(db, rows.map((row) => row.id));
}

/*
 * Reading notifications. Whether a member may still see a notification's post is judged when the
 * row is read, not when it was made: a post deleted or hidden, a thread deleted or hidden, or a
 * category closed to members since then tells nobody anything (docs/decisions/0008).
 *
 * Email reads the same rows through the same `visibleTo` filter when it sends
 * (listNotificationsToEmail): only those with `read_at` and `emailed_at` both null, about a post
 * the member has not since read in its thread (readInThread), then sets `emailed_at`. One opened
 * in the app has `read_at`, so it is never emailed.
 */

type NotificationTables = DB & { n: DB['notifications']; p: DB['posts']; t: DB['threads']; c: DB['categories'] };

/** The rules of access.ts (audiencesFor, hidden things for staff only) for a notification's post, in SQL. */
function visibleTo(eb: ExpressionBuilder<NotificationTables, 'n' | 'p' | 't' | 'c'>, isStaffReader: Expression<SqlBool>) {
  // An outcome is about a post or thread hidden or deleted as often as not (a resource's discussion
  // leaves with the resource): it still reaches the member it was made for, and the page then
  // names nothing they may no longer see (listNotifications).
  const outcome = eb('n.kind', 'in', MODERATION_NOTIFICATION_KINDS);
  // A post waiting for a moderator, or one in a thread whose first post waits, exists only for
  // its author and staff; its author may still add a mention to it by editing, and a moderator
  // may reply in such a thread, so rows about it can be made before it is approved.
  const ownHeld = (alias: 'p' | 't') => eb(`${alias}.author_id`, '=', eb.ref('n.member_id'));
  return eb.and([
    eb.or([eb('p.deleted_at', 'is', null), outcome]),
    eb.or([eb('t.deleted_at', 'is', null), outcome]),
    eb.or([eb('p.hidden_at', 'is', null), isStaffReader, outcome]),
    eb.or([eb('t.hidden_at', 'is', null), isStaffReader, outcome]),
    eb.or([eb('p.held_at', 'is', null), isStaffReader, ownHeld('p')]),
    eb.or([eb.not(firstPostHeld()), isStaffReader, ownHeld('t')]),
    eb.or([eb('c.visible_to', '=', 'members'), isStaffReader]),
  ]);
}

/** The member's notifications that they may still see, with their posts, threads and categories joined. */
export function visibleNotifications(db: Db, viewer: Viewer) {
  return db
    .selectFrom('notifications as n')
    .innerJoin('posts as p', 'p.id', 'n.post_id')
    .innerJoin('threads as t', 't.id', 'p.thread_id')
    .innerJoin('categories as c', 'c.id', 't.category_id')
    .where('n.member_id', '=', viewer.id)
    .where((eb) => visibleTo(eb, sql.lit(isStaff(viewer.role))));
}

export interface NotificationItem {
  id: number;
  kind: NotificationKind;
  /** Who wrote the post (or marked the answer); null once their account is gone. */
  actorName: string | null;
  postId: number;
  /** The post replies to the thread, not to one of its posts. */
  repliesToThread: boolean;
  /** Null when the thread is gone for the reader and not theirs: its title is not theirs to read any more. */
  threadTitle: string | null;
  /** A flag's outcome with no moderator: its author took the content down. */
  withoutModerator: boolean;
  /** The thread, hidden or deleted, as the reader is told: what was done, and why when a reason was given. */
  threadGone: { as: 'hidden' | 'deleted'; reason: string | null } | null;
  categoryName: string;
  createdAt: Date;
  read: boolean;
}

/** Newest first (the index notifications_recent), a page at a time. */
export async function listNotifications(db: Db, viewer: Viewer, { limit, offset }: { limit: number; offset: number }): Promise<NotificationItem[]> {
  const rows = await visibleNotifications(db, viewer)
    .leftJoin('members as a', 'a.id', 'n.actor_id')
    .select([...ITEM_COLUMNS, shownName<string | null>('a').as('actor_name')])
    .orderBy('n.created_at', 'desc')
    .orderBy('n.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((row) => toNotificationItem(viewer, row));
}

type NotificationRow = { id: number; kind: string; post_id: number; created_at: Date; read_at: Date | null; reply_to_post_id: number | null; actor_id: number | null; author_id: number; title: string; hidden_at: Date | null; hidden_reason: string | null; deleted_at: Date | null; category_name: string; actor_name: string | null };

/** The columns toNotificationItem reads. */
const ITEM_COLUMNS = ['n.id', 'n.kind', 'n.post_id', 'n.created_at', 'n.read_at', 'p.reply_to_post_id', 'n.actor_id', 't.author_id', 't.title', 't.hidden_at', 't.hidden_reason', 't.deleted_at', 'c.name as category_name'] as const;

function toNotificationItem(viewer: Viewer, row: NotificationRow): NotificationItem {
  const gone = threadGoneFor(viewer, row);
  const ownThread = row.author_id === viewer.id;
  // The reason is told to the thread's author; a flagger or a reply's author learns only what became of it.
  const threadGone = gone && !ownThread ? { as: gone.as, reason: null } : gone;
  return {
    id: row.id,
    kind: row.kind as NotificationKind,
    actorName: row.actor_name,
    postId: row.post_id,
    repliesToThread: row.reply_to_post_id === null,
    threadTitle: gone && !ownThread ? null : row.title,
    withoutModerator: row.actor_id === null,
    threadGone,
    categoryName: row.category_name,
    createdAt: row.created_at,
    read: row.read_at !== null,
  };
}

/**
 * A member's notifications still to be emailed by this delivery: unread, not emailed, still
 * visible to them, and of a kind they take that way; in one thread for the immediate emails,
 * across all threads (up to `limit`) for the digest. Oldest first, with each post's source for
 * its excerpt. The caller holds the lock that keeps a second sender off these rows: the
 * (member, thread) email row for an immediate email, the member's row for the digest.
 */
export async function listNotificationsToEmail(db: Db, viewer: Viewer, only: { delivery: 'immediately'; threadId: number } | { delivery: 'digest'; limit: number }): Promise<(NotificationItem & { bodySource: string; threadId: number })[]> {
  const unsent = visibleNotifications(db, viewer)
    .leftJoin('members as a', 'a.id', 'n.actor_id')
    .select([...ITEM_COLUMNS, 'p.body_source', 'n.thread_id', shownName<string | null>('a').as('actor_name')])
    .where('n.read_at', 'is', null)
    .where('n.emailed_at', 'is', null)
    .where((eb) => eb.not(readInThread(eb)))
    .where((eb) => eb(deliveryOf(eb.ref('n.member_id'), eb.ref('n.kind')), '=', only.delivery))
    .orderBy('n.created_at')
    .orderBy('n.id');
  const rows = await (only.delivery === 'immediately' ? unsent.where('n.thread_id', '=', only.threadId) : unsent.limit(only.limit)).execute();
  return rows.map((row) => ({ ...toNotificationItem(viewer, row), bodySource: row.body_source, threadId: row.thread_id }));
}

/** What tells a member of a post someone wrote, as opposed to something done to their own. */
const POST_NOTIFICATION_KINDS = ['reply', 'mention', 'watched_reply', 'watched_thread'] as const;

/**
 * The member read past the notification's post in the thread after it was made: opening the thread
 * moves thread_reads, not the notification's `read_at`, and what they have read is not news. The
 * time matters for a mention added by an edit to a post they had read before. An answer or a
 * moderation notice is about their own post, which they have always "read", so it still goes.
 */
function readInThread(eb: ExpressionBuilder<NotificationTables, 'n' | 'p'>) {
  return eb.and([
    eb('n.kind', 'in', POST_NOTIFICATION_KINDS),
    eb.exists(
      eb
        .selectFrom('thread_reads as r')
        .select('r.member_id')
        .whereRef('r.member_id', '=', 'n.member_id')
        .whereRef('r.thread_id', '=', 'p.thread_id')
        .whereRef('r.last_read_position', '>=', 'p.position')
        .whereRef('r.updated_at', '>=', 'n.created_at'),
    ),
  ]);
}

/** Staff still see a hidden thread; nobody sees a deleted one. */
function threadGoneFor(viewer: Viewer, thread: { hidden_at: Date | null; hidden_reason: string | null; deleted_at: Date | null }): NotificationItem['threadGone'] {
  if (thread.deleted_at !== null) return { as: 'deleted', reason: null };
  if (thread.hidden_at !== null && !isStaff(viewer.role)) return { as: 'hidden', reason: thread.hidden_reason };
  return null;
}

/** One of the member's own notifications, if they may still see its post. */
export async function findNotification(db: Db, viewer: Viewer, id: number): Promise<{ postId: number; read: boolean; threadGone: boolean } | undefined> {
  const row = await visibleNotifications(db, viewer).select(['n.post_id', 'n.read_at', 't.hidden_at', 't.hidden_reason', 't.deleted_at']).where('n.id', '=', id).executeTakeFirst();
  return row && { postId: row.post_id, read: row.read_at !== null, threadGone: threadGoneFor(viewer, row) !== null };
}

export async function markNotificationRead(db: Db, memberId: number, id: number): Promise<void> {
  await db.updateTable('notifications').set({ read_at: sql`now()` }).where('id', '=', id).where('member_id', '=', memberId).where('read_at', 'is', null).execute();
}

/** Every unread notification of the member, those about posts they can no longer see included. */
export async function markAllNotificationsRead(db: Db, memberId: number): Promise<number> {
  const result = await db.updateTable('notifications').set({ read_at: sql`now()` }).where('member_id', '=', memberId).where('read_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Unread notifications are counted up to here: beyond it the header says "99+", and the count stays a handful of index lookups however many pile up. */
export const UNREAD_COUNTED_UP_TO = 100;

/**
 * The header's unread count, as a subquery of the query that loads the signed-in member
 * (src/features/auth/queries.ts): only notifications they may still see, judged by the role in
 * that same row.
 */
export function unreadNotificationCount(eb: ExpressionBuilder<DB, 'members'>) {
  const unread = eb
    .selectFrom('notifications as n')
    .innerJoin('posts as p', 'p.id', 'n.post_id')
    .innerJoin('threads as t', 't.id', 'p.thread_id')
    .innerJoin('categories as c', 'c.id', 't.category_id')
    .select('n.id')
    .whereRef('n.member_id', '=', 'members.id')
    .where('n.read_at', 'is', null)
    .where((inner) => visibleTo(inner, inner('members.role', 'in', STAFF_ROLES)))
    .limit(UNREAD_COUNTED_UP_TO)
    .as('unread');
  return eb.selectFrom(unread).select((count) => count.fn.countAll<string>().as('count'));
}
