import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';

/** Marks the post as its thread's answer; false when it already was. */
export async function markAnswer(db: Db, postId: number, markedBy: number): Promise<boolean> {
  const row = await db.updateTable('posts').set({ answered_at: sql`now()`, answered_by: markedBy }).where('id', '=', postId).where('answered_at', 'is', null).returning('id').executeTakeFirst();
  return row !== undefined;
}

/** Takes the answer mark off the thread's answer: only if it is this post, or only if it is another. */
export async function unmarkAnswer(db: Db, threadId: number, post: { is: number } | { isNot: number }): Promise<void> {
  await db
    .updateTable('posts')
    .set({ answered_at: null, answered_by: null })
    .where('thread_id', '=', threadId)
    .where('answered_at', 'is not', null)
    .where('id', 'is' in post ? '=' : '<>', 'is' in post ? post.is : post.isNot)
    .execute();
}
