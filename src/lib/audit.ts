import type { Db } from '../db/types.js';

/**
 * One row in the append-only audit log per security-relevant event, written in the same
 * transaction as the change it records. The actor is a member or, for the shell and visitors
 * who are not signed in, a label.
 */
export interface AuditEntry {
  actorMemberId?: number | null;
  actorLabel?: string;
  action: string;
  targetType?: string;
  targetId?: string | number;
  /** The member the event is about, when it is not the actor: the author of a post hidden, a member suspended. */
  subjectMemberId?: number;
  ipAddress?: string | null;
  details?: Record<string, unknown>;
}

export async function insertAuditEvent(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      actor_member_id: entry.actorMemberId ?? null,
      actor_label: entry.actorMemberId ? null : (entry.actorLabel ?? 'visitor'),
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId === undefined ? null : String(entry.targetId),
      subject_member_id: entry.subjectMemberId ?? null,
      ip_address: entry.ipAddress ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}
