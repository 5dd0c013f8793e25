import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';

/** Why a member hears about a post; when several apply, the first in this list wins. */
export const NOTIFICATION_KINDS = ['answer', 'reply', 'mention', 'watched_reply', 'watched_thread'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

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
  const result = await sql`
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
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
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
  await db
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
    .execute();
}
