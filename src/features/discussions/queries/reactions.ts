import type { Db } from '../../../db/types.js';

/**
 * Locks a post that can still be marked (helpful, or as the answer) until the transaction
 * ends: deleting or hiding it waits, so it cannot happen between the check and the mark.
 */
export async function lockMarkablePost(db: Db, postId: number): Promise<boolean> {
  const row = await db.selectFrom('posts').select('id').where('id', '=', postId).where('deleted_at', 'is', null).where('hidden_at', 'is', null).forNoKeyUpdate().executeTakeFirst();
  return row !== undefined;
}

/** The member's "helpful" on a post, and one more on its count only if the row is new. */
export async function addHelpful(db: Db, postId: number, memberId: number): Promise<void> {
  await db
    .with('added', (qb) => qb.insertInto('post_reactions').values({ post_id: postId, member_id: memberId, kind: 'helpful' }).onConflict((oc) => oc.doNothing()).returning('post_id'))
    .updateTable('posts')
    .set((eb) => ({ helpful_count: eb('helpful_count', '+', 1) }))
    .where('id', 'in', (eb) => eb.selectFrom('added').select('post_id'))
    .execute();
}

/** Takes the member's "helpful" back, and one off the count only if there was one to take. */
export async function removeHelpful(db: Db, postId: number, memberId: number): Promise<void> {
  await db
    .with('removed', (qb) => qb.deleteFrom('post_reactions').where('post_id', '=', postId).where('member_id', '=', memberId).where('kind', '=', 'helpful').returning('post_id'))
    .updateTable('posts')
    .set((eb) => ({ helpful_count: eb('helpful_count', '-', 1) }))
    .where('id', 'in', (eb) => eb.selectFrom('removed').select('post_id'))
    .execute();
}
