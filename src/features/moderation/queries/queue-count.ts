import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../../../db/schema.js';
import { STAFF_ROLES } from '../../discussions/access.js';
import { heldPostWaiting } from './held-posts.js';

/**
 * The staff header's count of what waits in the review queue: flagged items (a post or a
 * resource, however many flags), members awaiting approval and held posts. It rides on the
 * statement that loads the signed-in member; for a member the CASE never runs the subqueries
 * (uncorrelated, so PostgreSQL evaluates them on first use only), so members' pages pay nothing.
 */
export function openQueueItemCount(eb: ExpressionBuilder<DB, 'members'>) {
  return sql<string>`case when ${eb.ref('members.role')} in (${sql.join(STAFF_ROLES.map((role) => sql.lit(role)))}) then
    (select count(distinct coalesce('p' || post_id, 'r' || resource_id)) from flags where resolved_at is null)
    + (select count(*) from members waiting where waiting.awaiting_approval_since is not null)
    + (select count(*) from posts held where ${heldPostWaiting('held')})
    else 0 end`;
}
