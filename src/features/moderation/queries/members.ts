import { sql } from 'kysely';
import type { Db, Role } from '../../../db/types.js';

/** A member as moderation acts on them: who, their role, and whether they are suspended. */
export interface ModeratedMember {
  id: number;
  displayName: string;
  handle: string;
  role: Role;
  suspendedUntil: Date | null;
  suspensionReason: string | null;
}

export async function findModeratedMember(db: Db, id: number, { forUpdate = false } = {}): Promise<ModeratedMember | undefined> {
  let query = db.selectFrom('members').select(['id', 'display_name', 'handle', 'role', 'suspended_until', 'suspension_reason']).where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && { id: row.id, displayName: row.display_name, handle: row.handle, role: row.role as Role, suspendedUntil: row.suspended_until, suspensionReason: row.suspension_reason };
}

/** Where a moderation notice about a post or resource points: its thread and post. */
export interface ContentPlace {
  authorId: number;
  threadId: number;
  postId: number;
}

export async function findPostPlace(db: Db, postId: number): Promise<ContentPlace | undefined> {
  const row = await db.selectFrom('posts').select(['author_id', 'thread_id', 'id']).where('id', '=', postId).executeTakeFirst();
  return row && { authorId: row.author_id, threadId: row.thread_id, postId: row.id };
}

/** A resource's place is its discussion thread's first post (notifications need a post). */
export async function findResourcePlace(db: Db, resourceId: number): Promise<ContentPlace | undefined> {
  const row = await db
    .selectFrom('resources as r')
    .innerJoin('posts as p', (join) => join.onRef('p.thread_id', '=', 'r.thread_id').on('p.position', '=', 1))
    .select(['r.sharer_id', 'r.thread_id', 'p.id as post_id'])
    .where('r.id', '=', resourceId)
    .executeTakeFirst();
  return row && { authorId: row.sharer_id, threadId: row.thread_id, postId: row.post_id };
}

export interface MemberWarning {
  id: number;
  reason: string;
  createdAt: Date;
  postId: number | null;
  resourceId: number | null;
}

/** The member's warnings they have not yet acknowledged, oldest first. */
export async function listUnacknowledgedWarnings(db: Db, memberId: number): Promise<MemberWarning[]> {
  const rows = await db
    .selectFrom('member_warnings')
    .select(['id', 'reason', 'created_at', 'post_id', 'resource_id'])
    .where('member_id', '=', memberId)
    .where('acknowledged_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ id: row.id, reason: row.reason, createdAt: row.created_at, postId: row.post_id, resourceId: row.resource_id }));
}

export async function hasUnacknowledgedWarning(db: Db, memberId: number): Promise<boolean> {
  const row = await db.selectFrom('member_warnings').select('id').where('member_id', '=', memberId).where('acknowledged_at', 'is', null).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Marks the member's own warning read; false when it is not theirs or was already acknowledged. */
export async function acknowledgeWarningRow(db: Db, memberId: number, warningId: number): Promise<boolean> {
  const result = await db.updateTable('member_warnings').set({ acknowledged_at: sql`now()` }).where('id', '=', warningId).where('member_id', '=', memberId).where('acknowledged_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
