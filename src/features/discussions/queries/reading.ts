import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../../db/types.js';

/**
 * The member's read position in the thread aliased `t`, or null: one primary-key lookup per
 * thread whatever the plan. As a left join, the generic plan of a prepared statement (which
 * cannot know how many threads the member has read) compared each thread with every one of
 * their read rows: 1.2 million comparisons for a month of threads on the benchmark forum.
 */
export function readPositionOf(memberId: number): RawBuilder<number | null> {
  return sql<number | null>`(select r.last_read_position from thread_reads r where r.member_id = ${memberId} and r.thread_id = t.id)`;
}

/** Moves the member's read position forward to `position` (never back): one row per thread. */
export async function markRead(db: Db, memberId: number, threadId: number, position: number): Promise<void> {
  await db
    .insertInto('thread_reads')
    .values({ member_id: memberId, thread_id: threadId, last_read_position: position })
    .onConflict((oc) =>
      oc
        .columns(['member_id', 'thread_id'])
        .doUpdateSet({ last_read_position: sql`greatest(thread_reads.last_read_position, excluded.last_read_position)`, updated_at: sql`now()` })
        .where('thread_reads.last_read_position', '<', position),
    )
    .execute();
}

export type ThreadWatchLevel = 'watching' | 'muted' | 'none';

/**
 * The member's own choice for a thread. 'none' removes the row: they hear only of replies to
 * their posts and mentions, and replying later watches the thread again, as a first reply does.
 * Setting what is already set writes nothing.
 */
export async function setThreadWatch(db: Db, memberId: number, threadId: number, level: ThreadWatchLevel): Promise<void> {
  if (level === 'none') {
    await db.deleteFrom('thread_watches').where('member_id', '=', memberId).where('thread_id', '=', threadId).execute();
    return;
  }
  await db
    .insertInto('thread_watches')
    .values({ member_id: memberId, thread_id: threadId, level })
    .onConflict((oc) => oc.columns(['member_id', 'thread_id']).doUpdateSet({ level, updated_at: sql`now()` }).where('thread_watches.level', '<>', level))
    .execute();
}

/** Watching a category: hearing of every new thread started in it. */
export async function setCategoryWatch(db: Db, memberId: number, categoryId: number, watching: boolean): Promise<void> {
  if (!watching) {
    await db.deleteFrom('category_watches').where('member_id', '=', memberId).where('category_id', '=', categoryId).execute();
    return;
  }
  await db
    .insertInto('category_watches')
    .values({ member_id: memberId, category_id: categoryId })
    .onConflict((oc) => oc.columns(['member_id', 'category_id']).doNothing())
    .execute();
}
