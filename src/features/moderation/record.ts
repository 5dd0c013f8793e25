import { sql } from 'kysely';
import type { Db, Role } from '../../db/types.js';
import type { DeactivationReason } from '../admin/members.js';
import { DEACTIVATION_REASON_NAMES } from '../admin/messages.js';
import { audiencesFor, STAFF_ROLES, type Viewer } from '../discussions/access.js';
import { threadPath } from '../discussions/routes/paths.js';
import { resourcePath } from '../resources/content.js';
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
  subjectHandle: string | null;
  subjectDeactivated: boolean;
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
      'subject.handle as subject_handle',
      'subject.deactivated_at as subject_deactivated_at',
      sql<string | null>`e.details->>'reason'`.as('reason'),
      sql<string | null>`e.details->>'note'`.as('note'),
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
    subjectHandle: row.subject_handle,
    subjectDeactivated: row.subject_deactivated_at !== null,
    targetType: row.target_type,
    targetId: row.target_id,
    reason: row.action === 'member.deactivated' ? deactivationReason(row.reason, row.note) : row.reason,
  };
}

/** A deactivation records a reason code, and a coordinator's own words beside it: people read both. */
function deactivationReason(code: string | null, note: string | null): string | null {
  const named = code !== null && Object.hasOwn(DEACTIVATION_REASON_NAMES, code) ? DEACTIVATION_REASON_NAMES[code as DeactivationReason] : code;
  return [named, note].filter((part) => part !== null).join(': ') || null;
}

function dayAfter(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
}

/** A page of the log, newest first, and whether there is an older page. */
export async function listLog(db: Db, filters: LogQuery, timeZone: string, onlyActions?: readonly string[]): Promise<{ entries: RecordEntry[]; more: boolean }> {
  let query = baseQuery(db);
  if (onlyActions !== undefined) query = query.where('e.action', 'in', onlyActions);
  if (filters.actor !== undefined) query = query.where('e.actor_member_id', '=', filters.actor);
  if (filters.member !== undefined) query = query.where('e.subject_member_id', '=', filters.member);
  if (filters.action !== undefined) query = query.where('e.action', '=', filters.action);
  if (filters.target_type !== undefined) query = query.where('e.target_type', '=', filters.target_type);
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

/** Someone the log can be filtered by: staff now, or staff once who acted while they were. */
export interface LogActor {
  id: number;
  displayName: string;
  role: Role;
}

/**
 * Moderators and administrators, and former ones with rows in the log (a role change is always
 * audited, so "was staff once" is a role.granted or role.revoked row about them). Members who
 * were never staff act only on themselves (signing in, acknowledging a warning): the member
 * filter finds those.
 */
export async function listLogActors(db: Db): Promise<LogActor[]> {
  const rows = await db
    .selectFrom('members as m')
    .select(['m.id', 'm.display_name', 'm.role'])
    .where((eb) =>
      eb.or([
        eb('m.role', 'in', STAFF_ROLES),
        eb.and([
          eb(sql<string>`m.id::text`, 'in', eb.selectFrom('audit_events as change').select('change.target_id').where('change.target_type', '=', 'member').where('change.action', 'in', ['role.granted', 'role.revoked'])),
          eb.exists(eb.selectFrom('audit_events as acted').select('acted.id').whereRef('acted.actor_member_id', '=', 'm.id')),
        ]),
      ]),
    )
    .orderBy(sql`lower(m.display_name)`)
    .orderBy('m.id')
    .execute();
  return rows.map((row) => ({ id: row.id, displayName: row.display_name, role: row.role as Role }));
}

/** What a log row's target is called, and where a moderator opens it; undefined when it is gone. */
export interface LogTarget {
  name: string;
  href: string;
}

/** Only a whole number can name a row: target_id is text, and a cast of anything else would fail the statement. */
const idsOf = (entries: RecordEntry[], type: string) => [...new Set(entries.filter((entry) => entry.targetType === type && /^[1-9]\d{0,17}$/.test(entry.targetId ?? '')).map((entry) => Number(entry.targetId)))];

/**
 * The threads, posts, resources and members a page of the log is about, in four statements
 * whatever the page holds, keyed `type:id`. Posts and threads only in categories the viewer sees.
 */
export async function findLogTargets(db: Db, viewer: Viewer, entries: RecordEntry[]): Promise<Map<string, LogTarget>> {
  const [postIds, threadIds, resourceIds, memberIds] = ['post', 'thread', 'resource', 'member'].map((type) => idsOf(entries, type)) as [number[], number[], number[], number[]];
  const inList = (ids: number[]) => sql<number>`any(${ids}::bigint[])`;
  const [posts, threads, resources, members] = await Promise.all([
    postIds.length === 0 ? [] : db.selectFrom('posts as p').innerJoin('threads as t', 't.id', 'p.thread_id').innerJoin('categories as c', 'c.id', 't.category_id').select(['p.id', 't.title']).where('p.id', '=', inList(postIds)).where('c.visible_to', 'in', audiencesFor(viewer)).execute(),
    threadIds.length === 0 ? [] : db.selectFrom('threads as t').innerJoin('categories as c', 'c.id', 't.category_id').select(['t.id', 't.title', 't.slug']).where('t.id', '=', inList(threadIds)).where('c.visible_to', 'in', audiencesFor(viewer)).execute(),
    resourceIds.length === 0 ? [] : db.selectFrom('resources').select(['id', 'title']).where('id', '=', inList(resourceIds)).execute(),
    memberIds.length === 0 ? [] : db.selectFrom('members').select(['id', 'display_name', 'handle', 'deactivated_at']).where('id', '=', inList(memberIds)).execute(),
  ]);
  return new Map<string, LogTarget>([
    ...posts.map((post): [string, LogTarget] => [`post:${post.id}`, { name: post.title, href: `/p/${post.id}` }]),
    ...threads.map((thread): [string, LogTarget] => [`thread:${thread.id}`, { name: thread.title, href: threadPath(thread) }]),
    ...resources.map((resource): [string, LogTarget] => [`resource:${resource.id}`, { name: resource.title, href: resourcePath(resource) }]),
    ...members.map((member): [string, LogTarget] => [`member:${member.id}`, { name: member.display_name, href: memberHref({ id: member.id, handle: member.handle, deactivated: member.deactivated_at !== null }) }]),
  ]);
}

/** A deactivated member has no profile page any more: the log's own view of them stands in. */
export function memberHref(member: { id: number; handle: string; deactivated: boolean }): string {
  return member.deactivated ? `/mod/log?member=${member.id}` : `/u/${member.handle}`;
}
