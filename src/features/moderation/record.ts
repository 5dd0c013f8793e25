import { sql } from 'kysely';
import type { Db } from '../../db/types.js';
import { startOfDayIn } from '../../lib/time.js';
import { MODERATION_LIMITS, type LogQuery } from './schemas.js';

/**
 * The moderation record as people read it: /mod/log for staff (every audit event, filtered) and
 * a member's own page (what staff did about them, with the reasons). Both read audit_events, the
 * append-only log every action writes in its own transaction.
 */
export interface RecordEntry {
  id: number;
  occurredAt: Date;
  /** The keyset cursor for the page after this row: its time to the microsecond, and its id. */
  cursor: string;
  action: string;
  actorName: string | null;
  actorLabel: string | null;
  actorId: number | null;
  subjectName: string | null;
  subjectId: number | null;
  targetType: string | null;
  targetId: string | null;
  reason: string | null;
}

function baseQuery(db: Db) {
  return db
    .selectFrom('audit_events as e')
    .leftJoin('members as actor', 'actor.id', 'e.actor_member_id')
    .leftJoin('members as subject', 'subject.id', 'e.subject_member_id')
    .select([
      'e.id',
      'e.occurred_at',
      'e.action',
      'e.actor_member_id',
      'e.actor_label',
      'e.subject_member_id',
      'e.target_type',
      'e.target_id',
      'actor.display_name as actor_name',
      'subject.display_name as subject_name',
      sql<string | null>`e.details->>'reason'`.as('reason'),
      sql<string>`to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('occurred_at_text'),
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>['execute']>>[number];

function toEntry(row: Row): RecordEntry {
  return {
    id: row.id,
    occurredAt: row.occurred_at,
    cursor: `${row.occurred_at_text}_${row.id}`,
    action: row.action,
    actorName: row.actor_name,
    actorLabel: row.actor_label,
    actorId: row.actor_member_id,
    subjectName: row.subject_name,
    subjectId: row.subject_member_id,
    targetType: row.target_type,
    targetId: row.target_id,
    reason: row.reason,
  };
}

function dayAfter(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
}

/** A page of the log, newest first, and whether there is an older page. */
export async function listLog(db: Db, filters: LogQuery, timeZone: string): Promise<{ entries: RecordEntry[]; more: boolean }> {
  let query = baseQuery(db);
  if (filters.actor !== undefined) query = query.where('e.actor_member_id', '=', filters.actor);
  if (filters.member !== undefined) query = query.where('e.subject_member_id', '=', filters.member);
  if (filters.action !== undefined) query = query.where('e.action', '=', filters.action);
  if (filters.from !== undefined) query = query.where('e.occurred_at', '>=', startOfDayIn(filters.from, timeZone));
  if (filters.to !== undefined) query = query.where('e.occurred_at', '<', startOfDayIn(dayAfter(filters.to), timeZone));
  if (filters.before !== undefined) query = query.where(sql<boolean>`(e.occurred_at, e.id) < (${filters.before.occurredAt}::timestamptz, ${filters.before.id})`);
  const rows = await query.orderBy('e.occurred_at', 'desc').orderBy('e.id', 'desc').limit(MODERATION_LIMITS.logPageSize + 1).execute();
  return { entries: rows.slice(0, MODERATION_LIMITS.logPageSize).map(toEntry), more: rows.length > MODERATION_LIMITS.logPageSize };
}

/** What someone else (staff) did about this member, newest first: at most the last 200. */
export async function listActionsAbout(db: Db, memberId: number): Promise<RecordEntry[]> {
  const rows = await baseQuery(db)
    .where('e.subject_member_id', '=', memberId)
    .where('e.actor_member_id', 'is not', null)
    .where('e.actor_member_id', '<>', memberId)
    .orderBy('e.occurred_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(200)
    .execute();
  return rows.map(toEntry);
}
