import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';

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

/** Starting or replying to a thread watches it, unless the member chose otherwise before. */
export async function watchThreadUnlessChosen(db: Db, memberId: number, threadId: number): Promise<void> {
  await db
    .insertInto('thread_watches')
    .values({ member_id: memberId, thread_id: threadId, level: 'watching' })
    .onConflict((oc) => oc.columns(['member_id', 'thread_id']).doNothing())
    .execute();
}
