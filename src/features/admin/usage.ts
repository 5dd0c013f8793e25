import { sql } from 'kysely';
import type { Db } from '../../db/types.js';
import { countedPost, countedThread } from '../discussions/queries/counts.js';
import { AGENCY_TYPE_NAMES, AGENCY_TYPES, type AgencyType } from './schemas.js';

/**
 * What /admin/usage counts, one set-based query per chart. Definitions (docs/admin.md, "Usage"):
 * - members: not deactivated (suspended and awaiting approval still count: they are members);
 * - a week: an ISO week (Monday to Sunday) in the site's time zone, the last 52 including this one;
 * - new members: members whose row was written that week (on verifying their address), deactivated
 *   since or not;
 * - posts: those members see, by the forum's own counts (countedPost and countedThread);
 * - resources shared: resources still in the library (not removed or hidden), by when shared;
 * - active members: distinct members who, that week, wrote such a post, shared such a resource,
 *   or signed in (a `signin.succeeded` audit row: the append-only log keeps every one, where
 *   members.last_signed_in_at keeps only the latest);
 * - most used resources: by downloads (distinct member-days a file of theirs was downloaded,
 *   resources.download_count), then marked helpful; resources nobody downloaded are left out.
 */

export const WEEKS = 52;
export const TOP_RESOURCES = 20;

export interface AgencyCount {
  agencyId: number | null;
  name: string | null;
  members: number;
}

/** Active members per agency, most first; members with no agency as one row with a null id. */
export async function countMembersByAgency(db: Db): Promise<AgencyCount[]> {
  const { rows } = await sql<{ agency_id: number | null; name: string | null; members: string }>`
    select a.id as agency_id, a.name, count(*) as members
    from members m left join agencies a on a.id = m.agency_id
    where m.deactivated_at is null
    group by a.id, a.name
    order by count(*) desc, a.name nulls last
  `.execute(db);
  return rows.map((row) => ({ agencyId: row.agency_id, name: row.name, members: Number(row.members) }));
}

export interface AgencyTypeCount {
  label: string;
  members: number;
}

export const AGENCY_TYPE_NOT_SET = 'Not set';

/** Active members per type of agency, every type in its usual order (zeros too), then those whose agency has no type (or who have no agency). */
export async function countMembersByAgencyType(db: Db): Promise<AgencyTypeCount[]> {
  const { rows } = await sql<{ agency_type: string | null; members: string }>`
    select a.agency_type, count(*) as members
    from members m left join agencies a on a.id = m.agency_id
    where m.deactivated_at is null
    group by a.agency_type
  `.execute(db);
  const counted = new Map(rows.map((row) => [row.agency_type, Number(row.members)]));
  return [
    ...AGENCY_TYPES.map((type: AgencyType) => ({ label: AGENCY_TYPE_NAMES[type], members: counted.get(type) ?? 0 })),
    { label: AGENCY_TYPE_NOT_SET, members: counted.get(null) ?? 0 },
  ];
}

export interface WeekCounts {
  /** The week's Monday in the site's time zone, as YYYY-MM-DD. */
  week: string;
  newMembers: number;
  posts: number;
  activeMembers: number;
  resources: number;
}

/**
 * The last WEEKS weeks up to the one holding `now`, oldest first, every week present (zeros
 * from generate_series). Each count is a range scan of one index from migration 0019 (or
 * resources_newest), bounded by the first week's start.
 */
export async function countWeeks(db: Db, now: Date, timeZone: string): Promise<WeekCounts[]> {
  const week = (column: string) => sql`date_trunc('week', ${sql.ref(column)} at time zone ${timeZone})`;
  const { rows } = await sql<{ week: string; new_members: string; posts: string; active_members: string; resources: string }>`
    with weeks as (
      select generate_series(
        date_trunc('week', ${now}::timestamptz at time zone ${timeZone}) - ${`${WEEKS - 1} weeks`}::interval,
        date_trunc('week', ${now}::timestamptz at time zone ${timeZone}),
        interval '1 week'
      ) as week
    ),
    since as (select min(week) at time zone ${timeZone} as at from weeks),
    counted_posts as (
      select ${week('p.created_at')} as week, p.author_id
      from posts p join threads t on t.id = p.thread_id
      where p.created_at >= (select at from since) and ${countedPost('p')} and ${countedThread('t')}
    ),
    shared as (
      select ${week('r.created_at')} as week, r.sharer_id
      from resources r
      where r.created_at >= (select at from since) and r.removed_at is null and r.hidden_at is null
    ),
    signed_in as (
      select ${week('e.occurred_at')} as week, e.actor_member_id
      from audit_events e
      where e.action = 'signin.succeeded' and e.occurred_at >= (select at from since) and e.actor_member_id is not null
    ),
    joined as (select ${week('m.created_at')} as week, count(*) as n from members m where m.created_at >= (select at from since) group by 1),
    posted as (select week, count(*) as n from counted_posts group by week),
    shared_count as (select week, count(*) as n from shared group by week),
    -- union, not union all: one row per member and week before counting, cheaper than count(distinct).
    active as (
      select week, count(*) as n from (
        select week, author_id as member_id from counted_posts
        union select week, sharer_id from shared
        union select week, actor_member_id from signed_in
      ) acted group by week
    )
    select to_char(w.week, 'YYYY-MM-DD') as week,
      coalesce(joined.n, 0) as new_members,
      coalesce(posted.n, 0) as posts,
      coalesce(active.n, 0) as active_members,
      coalesce(shared_count.n, 0) as resources
    from weeks w
      left join joined on joined.week = w.week
      left join posted on posted.week = w.week
      left join active on active.week = w.week
      left join shared_count on shared_count.week = w.week
    order by w.week
  `.execute(db);
  return rows.map((row) => ({ week: row.week, newMembers: Number(row.new_members), posts: Number(row.posts), activeMembers: Number(row.active_members), resources: Number(row.resources) }));
}

export interface ResourceUse {
  id: number;
  title: string;
  downloads: number;
  helpful: number;
}

/** The TOP_RESOURCES most downloaded resources in the library (resources_most_downloaded). */
export async function listMostUsedResources(db: Db): Promise<ResourceUse[]> {
  const rows = await db
    .selectFrom('resources')
    .select(['id', 'title', 'download_count', 'helpful_count'])
    .where('removed_at', 'is', null)
    .where('hidden_at', 'is', null)
    .where('download_count', '>', 0)
    .orderBy('download_count', 'desc')
    .orderBy('helpful_count', 'desc')
    .orderBy('id', 'desc')
    .limit(TOP_RESOURCES)
    .execute();
  return rows.map((row) => ({ id: row.id, title: row.title, downloads: row.download_count, helpful: row.helpful_count }));
}
