import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../db/types.js';
import { isStaff, type Viewer } from '../discussions/access.js';
import { firstPostHeld } from '../discussions/queries/counts.js';
import { deliveryOf, PREFERENCE_KINDS } from './preferences.js';

/** The first digest looks back this far: a member who has never had one gets the last day. */
const FIRST_WINDOW_HOURS = 24;

export interface ClaimedDigest {
  memberId: number;
  /** The member's local date this digest is for (YYYY-MM-DD). */
  localDate: string;
  timeZone: string;
  /** Resources and busy threads count from here: the previous digest's claim, or a day back. */
  since: Date;
}

/**
 * What `notification_digest_due_at` holds for a member whose choices, zone, hour or status have
 * just changed: "work it out at the next poll" (scheduleChangedDigests), where the app's clock and
 * the site's time zone (a setting) are at hand. Any time at or before the real one is safe: the
 * claim still judges the member's local hour itself.
 */
export const DIGEST_TO_SCHEDULE = sql<Date>`'-infinity'::timestamptz`;

/** Marks the member's next digest to be worked out again (see DIGEST_TO_SCHEDULE). */
export async function rescheduleDigest(db: Db, memberId: number): Promise<void> {
  await db.updateTable('members').set({ notification_digest_due_at: DIGEST_TO_SCHEDULE }).where('id', '=', memberId).execute();
}

// The member's zone, or the site's when they chose none or PostgreSQL does not know theirs (migration 0026).
const zoneOf = (siteTimeZone: string) => sql`known_time_zone_or(m.time_zone, ${siteTimeZone})`;

function takesDigest(): RawBuilder<boolean> {
  const kinds = sql.join(
    PREFERENCE_KINDS.map((kind) => sql`${deliveryOf(sql.ref('m.id'), sql.lit(kind))} = 'digest'`),
    sql` or `,
  );
  return sql<boolean>`(${kinds})`;
}

/**
 * The UTC instant of member `m`'s next digest hour, as of `at`: their hour on today's local date,
 * or on the day after `sentFor` (the last local date claimed) when that is later. In the past when
 * today's hour has come and not been claimed, so the next poll takes it. Null when they get no
 * digest: deactivated, awaiting approval, or taking no kind in it. A suspended member keeps
 * theirs, and the claim passes them by until the suspension ends (it ends with time, not a change).
 * `date + hours at time zone` is PostgreSQL's tz data: a local hour that a DST change skips is
 * the first instant after it; one that happens twice, the second.
 */
function nextDigestAt(at: Date, siteTimeZone: string, sentFor: RawBuilder<unknown>): RawBuilder<Date | null> {
  const zone = zoneOf(siteTimeZone);
  return sql<Date | null>`case
    when m.deactivated_at is null and m.awaiting_approval_since is null and ${takesDigest()}
    then (greatest((${at}::timestamptz at time zone ${zone})::date, ${sentFor} + 1) + make_interval(hours => m.notification_digest_hour)) at time zone ${zone}
  end`;
}

/**
 * Works out the next digest of up to `limit` members marked DIGEST_TO_SCHEDULE, as of `at`; with
 * `siteTimeZoneChanged`, that of every member on the site's zone as well (the setting changed, or
 * this process has just started and cannot know it did not).
 */
export async function scheduleChangedDigests(db: Db, { at, siteTimeZone, limit, siteTimeZoneChanged }: { at: Date; siteTimeZone: string; limit: number; siteTimeZoneChanged: boolean }): Promise<void> {
  const next = nextDigestAt(at, siteTimeZone, sql.ref('m.notification_digest_sent_for'));
  await sql`
    update members m set notification_digest_due_at = ${next}
    where m.id in (
      select id from members where notification_digest_due_at = ${DIGEST_TO_SCHEDULE} order by id limit ${limit} for update skip locked
    )
  `.execute(db);
  if (!siteTimeZoneChanged) return;
  // Only rows whose time moves are written (and locked).
  await sql`
    update members m set notification_digest_due_at = ${next}
    where m.time_zone is null and m.notification_digest_due_at is distinct from ${next}
  `.execute(db);
}

/**
 * Takes up to `limit` members whose digest is due by `at` (`notification_digest_due_at`, through
 * its partial index: a poll reads only them) and whose hour has come on a local date they have
 * not had a digest for; records that date and works out their next digest, in the caller's
 * transaction. The local date and hour are `at` in the member's zone (the site's when they chose
 * none), so DST and each zone are PostgreSQL's `at time zone`; the due time only narrows the
 * search, and the hour is judged here as ever, so a due time worked out before a change of zone
 * or hour is never wrong, only early. "The hour has come" rather than "it is the hour": a member
 * whose hour passed while the site was down, or whose hour a DST change skipped, is taken once when
 * it next runs. Rows another instance holds are skipped, and the date only moves where it is
 * later than the one they had (moving west never brings a day back), so each (member, date) is
 * claimed once whatever runs beside this. Only members who take some kind in the digest are taken.
 */
export async function claimDueDigests(db: Db, { at, siteTimeZone, limit }: { at: Date; siteTimeZone: string; limit: number }): Promise<ClaimedDigest[]> {
  const zone = zoneOf(siteTimeZone);
  const local = sql`(${at}::timestamptz at time zone ${zone})`;
  const result = await sql<{ member_id: number; local_date: string; time_zone: string; since: Date }>`
    with due as (
      select m.id, ${local}::date as local_date, ${zone} as time_zone,
        coalesce(m.notification_digest_sent_at, now() - make_interval(hours => ${FIRST_WINDOW_HOURS})) as since
      from members m
      where m.notification_digest_due_at <= ${at}
        -- Only a later local date: a member who moves west must not have the day before again.
        and (m.notification_digest_sent_for is null or m.notification_digest_sent_for < ${local}::date)
        and extract(hour from ${local}) >= m.notification_digest_hour
        and m.deactivated_at is null
        -- Not claimed (so the day is not used up) while suspended or awaiting approval: they get
        -- that day's digest once the suspension ends or they are approved.
        and m.awaiting_approval_since is null
        and (m.suspended_until is null or m.suspended_until <= now())
        and ${takesDigest()}
      order by m.notification_digest_due_at, m.id
      limit ${limit}
      for update of m skip locked
    )
    update members m set notification_digest_sent_for = due.local_date, notification_digest_sent_at = now(),
      notification_digest_due_at = ${nextDigestAt(at, siteTimeZone, sql`due.local_date`)}
    from due
    where m.id = due.id
    returning m.id as member_id, due.local_date::text as local_date, due.time_zone, due.since
  `.execute(db);
  return result.rows.map((row) => ({ memberId: Number(row.member_id), localDate: row.local_date, timeZone: row.time_zone, since: new Date(row.since) }));
}

export interface BusyThread {
  threadId: number;
  title: string;
  categoryName: string;
  newPosts: number;
}

/** A thread needs this many new posts the member has not read to count as busy. */
export const BUSY_THREAD_MIN_POSTS = 2;
const BUSY_THREADS_SHOWN = 5;

/**
 * The busiest threads in the categories the member watches since `since`: counted by posts they
 * have not read (past their reading position), not their own, and that anyone may see (nothing
 * hidden, deleted or held). A thread hidden, deleted, awaiting a moderator, muted by the member,
 * or moved to a category they do not watch or cannot see is left out.
 */
export async function listBusyWatchedThreads(db: Db, viewer: Viewer, since: Date, excludeThreadIds: number[]): Promise<BusyThread[]> {
  const rows = await db
    .selectFrom('category_watches as w')
    .innerJoin('categories as c', 'c.id', 'w.category_id')
    .innerJoin('threads as t', 't.category_id', 'c.id')
    .innerJoin('posts as p', 'p.thread_id', 't.id')
    .leftJoin('thread_reads as r', (join) => join.onRef('r.thread_id', '=', 't.id').on('r.member_id', '=', viewer.id))
    .select(['t.id', 't.title', 'c.name as category_name', (eb) => eb.fn.countAll<string>().as('new_posts')])
    .where('w.member_id', '=', viewer.id)
    .$if(!isStaff(viewer.role), (qb) => qb.where('c.visible_to', '=', 'members'))
    .where('t.hidden_at', 'is', null)
    .where('t.deleted_at', 'is', null)
    .where(sql<boolean>`not ${firstPostHeld()}`)
    .where('t.id', '!=', sql<number>`all(${excludeThreadIds}::bigint[])`)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('thread_watches as m').select('m.member_id').where('m.member_id', '=', viewer.id).whereRef('m.thread_id', '=', 't.id').where('m.level', '=', 'muted'))))
    .where('p.created_at', '>', since)
    .where('p.author_id', '!=', viewer.id)
    .where('p.hidden_at', 'is', null)
    .where('p.deleted_at', 'is', null)
    .where('p.held_at', 'is', null)
    .where(sql<boolean>`p.position > coalesce(r.last_read_position, 0)`)
    .groupBy(['t.id', 't.title', 'c.name'])
    .having((eb) => eb.fn.countAll(), '>=', BUSY_THREAD_MIN_POSTS)
    .orderBy('new_posts', 'desc')
    .orderBy('t.id', 'desc')
    .limit(BUSY_THREADS_SHOWN)
    .execute();
  return rows.map((row) => ({ threadId: row.id, title: row.title, categoryName: row.category_name, newPosts: Number(row.new_posts) }));
}

export interface NewResource {
  id: number;
  title: string;
  summary: string;
}

const NEW_RESOURCES_SHOWN = 10;

/** Resources shared to the library since `since` by others, as the library shows them to members: not removed or hidden. */
export async function listNewResources(db: Db, memberId: number, since: Date): Promise<NewResource[]> {
  return db
    .selectFrom('resources')
    .select(['id', 'title', 'summary'])
    .where('created_at', '>', since)
    .where('sharer_id', '!=', memberId)
    .where('removed_at', 'is', null)
    .where('hidden_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(NEW_RESOURCES_SHOWN)
    .execute();
}

export async function findDigestVersion(db: Db, memberId: number): Promise<number | undefined> {
  const row = await db.selectFrom('members').select('notification_digest_version').where('id', '=', memberId).executeTakeFirst();
  return row?.notification_digest_version;
}
