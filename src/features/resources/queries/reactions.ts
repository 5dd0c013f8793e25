import type { Db } from '../../../db/types.js';

/**
 * Locks a resource members can see (still in the library, not hidden for review) until the
 * transaction ends: removing or hiding it waits.
 */
export async function lockLiveResource(db: Db, resourceId: number): Promise<boolean> {
  const row = await db.selectFrom('resources').select('id').where('id', '=', resourceId).where('removed_at', 'is', null).where('hidden_at', 'is', null).forNoKeyUpdate().executeTakeFirst();
  return row !== undefined;
}

/** The member's "helpful" on a resource, and one more on its count only if the row is new. */
export async function addResourceHelpful(db: Db, resourceId: number, memberId: number): Promise<void> {
  await db
    .with('added', (qb) => qb.insertInto('resource_reactions').values({ resource_id: resourceId, member_id: memberId, kind: 'helpful' }).onConflict((oc) => oc.doNothing()).returning('resource_id'))
    .updateTable('resources')
    .set((eb) => ({ helpful_count: eb('helpful_count', '+', 1) }))
    .where('id', 'in', (eb) => eb.selectFrom('added').select('resource_id'))
    .execute();
}

/** Takes the member's "helpful" back, and one off the count only if there was one to take. */
export async function removeResourceHelpful(db: Db, resourceId: number, memberId: number): Promise<void> {
  await db
    .with('removed', (qb) => qb.deleteFrom('resource_reactions').where('resource_id', '=', resourceId).where('member_id', '=', memberId).where('kind', '=', 'helpful').returning('resource_id'))
    .updateTable('resources')
    .set((eb) => ({ helpful_count: eb('helpful_count', '-', 1) }))
    .where('id', 'in', (eb) => eb.selectFrom('removed').select('resource_id'))
    .execute();
}
