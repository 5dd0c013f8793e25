import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../../../db/schema.js';
import type { Db } from '../../../db/types.js';
import { STAFF_ROLES } from '../../discussions/access.js';
import { memberAwaitingApproval } from './approvals.js';
import { heldPostListed } from './held-posts.js';

/**
 * What waits in the review queue, counted by the same predicates its three lists use, so the
 * staff header and the queue's headings can never disagree: flagged items (a post or a
 * resource, however many flags), members awaiting approval, and held posts.
 */
const waiting = {
  flagged: sql<string>`(select count(distinct coalesce('p' || post_id, 'r' || resource_id)) from flags where resolved_at is null)`,
  members: sql<string>`(select count(*) from members waiting where ${memberAwaitingApproval('waiting')})`,
  posts: sql<string>`(select count(*) from posts held join threads held_thread on held_thread.id = held.thread_id where ${heldPostListed('held', 'held_thread')})`,
};

export interface QueueCounts {
  flagged: number;
  members: number;
  posts: number;
}

export async function countQueue(db: Db): Promise<QueueCounts> {
  const { rows } = await sql<Record<keyof QueueCounts, string>>`select ${waiting.flagged} as flagged, ${waiting.members} as members, ${waiting.posts} as posts`.execute(db);
  const row = rows[0]!;
  return { flagged: Number(row.flagged), members: Number(row.members), posts: Number(row.posts) };
}

/**
 * The staff header's count: the three above, summed. It rides on the statement that loads the
 * signed-in member; for a member the CASE never runs the subqueries (uncorrelated, so PostgreSQL
 * evaluates them on first use only), so members' pages pay nothing.
 */
export function openQueueItemCount(eb: ExpressionBuilder<DB, 'members'>) {
  return sql<string>`case when ${eb.ref('members.role')} in (${sql.join(STAFF_ROLES.map((role) => sql.lit(role)))}) then
    ${waiting.flagged} + ${waiting.members} + ${waiting.posts}
    else 0 end`;
}
