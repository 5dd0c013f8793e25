import { sql } from 'kysely';
import type { Db } from '../../db/types.js';
import { audiencesFor, isStaff, type Viewer } from '../discussions/access.js';
import { heldPostShownTo, heldThreadShownTo } from '../moderation/queries/held-posts.js';
import { containsPattern } from '../../lib/like-pattern.js';

/** What a profile shows of a member: never their email, role or anything about signing in. */
export interface Profile {
  id: number;
  displayName: string;
  handle: string;
  jobTitle: string | null;
  bio: string | null;
  agencyName: string | null;
  joinedAt: Date;
  /** An administrator deactivated them: their content shows "Former member", and only staff see this page. */
  deactivated: boolean;
}

/**
 * The member with this handle, whatever its case (the members_handle index is on lower(handle)),
 * as the viewer may see them: a deactivated member only by staff.
 */
export async function findProfileByHandle(db: Db, viewer: Viewer, handle: string): Promise<Profile | undefined> {
  const row = await db
    .selectFrom('members as m')
    .leftJoin('agencies as ag', 'ag.id', 'm.agency_id')
    .select(['m.id', 'm.display_name', 'm.handle', 'm.job_title', 'm.bio', 'm.created_at', 'm.deactivated_at', 'ag.name as agency_name'])
    .where((eb) => eb(eb.fn('lower', ['m.handle']), '=', handle.toLowerCase()))
    .$if(!isStaff(viewer.role), (qb) => qb.where('m.deactivated_at', 'is', null))
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      displayName: row.display_name,
      handle: row.handle,
      jobTitle: row.job_title,
      bio: row.bio,
      agencyName: row.agency_name,
      joinedAt: row.created_at,
      deactivated: row.deactivated_at !== null,
    }
  );
}

/** A post in a profile's recent posts. */
export interface ProfilePost {
  id: number;
  threadId: number;
  threadTitle: string;
  threadSlug: string;
  categorySlug: string;
  categoryName: string;
  startedThread: boolean;
  /** Hidden by a moderator, the post or its thread (only staff are shown these). */
  hidden: boolean;
  createdAt: Date;
  /** The start of the Markdown source: enough for a one-line excerpt. */
  sourceStart: string;
}

const EXCERPT_SOURCE_CHARS = 400;

// The same rules as a thread page: staff see what moderators hid, nobody sees what was deleted,
// and a category's posts exist only for its audience. Ordered by posts_author_recent.
function postsVisibleTo(db: Db, viewer: Viewer, authorId: number) {
  return db
    .selectFrom('posts as p')
    .innerJoin('threads as t', 't.id', 'p.thread_id')
    .innerJoin('categories as c', 'c.id', 't.category_id')
    .where('p.author_id', '=', authorId)
    .where('p.deleted_at', 'is', null)
    .where('t.deleted_at', 'is', null)
    .$if(!isStaff(viewer.role), (qb) => qb.where('p.hidden_at', 'is', null).where('t.hidden_at', 'is', null).where(heldPostShownTo(viewer)).where(heldThreadShownTo(viewer)))
    .where('c.visible_to', 'in', audiencesFor(viewer));
}

/** How many of a member's posts the viewer may see, counting no further than `cap`. */
export async function countPostsVisibleTo(db: Db, viewer: Viewer, authorId: number, cap: number): Promise<number> {
  const row = await db
    .selectFrom(postsVisibleTo(db, viewer, authorId).select('p.id').limit(cap).as('visible'))
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** A member's posts the viewer may see, newest first. */
export async function listPostsVisibleTo(db: Db, viewer: Viewer, authorId: number, { limit, offset }: { limit: number; offset: number }): Promise<ProfilePost[]> {
  const rows = await postsVisibleTo(db, viewer, authorId)
    .select(['p.id', 'p.thread_id', 'p.position', 'p.hidden_at', 't.hidden_at as thread_hidden_at', 'p.created_at', 't.title', 't.slug', 'c.slug as category_slug', 'c.name as category_name'])
    .select(sql<string>`left(p.body_source, ${EXCERPT_SOURCE_CHARS})`.as('source_start'))
    .orderBy('p.created_at', 'desc')
    .orderBy('p.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    threadId: row.thread_id,
    threadTitle: row.title,
    threadSlug: row.slug,
    categorySlug: row.category_slug,
    categoryName: row.category_name,
    startedThread: row.position === 1,
    hidden: row.hidden_at !== null || row.thread_hidden_at !== null,
    createdAt: row.created_at,
    sourceStart: row.source_start,
  }));
}

/** The directory's filters: `search` is matched literally, anywhere in a name or handle. */
export interface MemberFilter {
  search: string;
  agencyId: number | undefined;
}

export interface MemberListItem {
  id: number;
  displayName: string;
  handle: string;
  jobTitle: string | null;
  agencyName: string | null;
}

function activeMembers(db: Db, filter: MemberFilter) {
  const pattern = containsPattern(filter.search);
  return db
    .selectFrom('members as m')
    .where('m.deactivated_at', 'is', null)
    .$if(filter.search !== '', (qb) => qb.where((eb) => eb.or([eb('m.display_name', 'ilike', pattern), eb('m.handle', 'ilike', pattern)])))
    .$if(filter.agencyId !== undefined, (qb) => qb.where('m.agency_id', '=', filter.agencyId!));
}

export async function countActiveMembers(db: Db, filter: MemberFilter): Promise<number> {
  const row = await activeMembers(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Active members by name, then id: a total order, so paging never shows a member twice or skips one. */
export async function listActiveMembers(db: Db, filter: MemberFilter, { limit, offset }: { limit: number; offset: number }): Promise<MemberListItem[]> {
  const rows = await activeMembers(db, filter)
    .leftJoin('agencies as ag', 'ag.id', 'm.agency_id')
    .select(['m.id', 'm.display_name', 'm.handle', 'm.job_title', 'ag.name as agency_name'])
    .orderBy(sql`lower(m.display_name)`)
    .orderBy('m.id')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((row) => ({ id: row.id, displayName: row.display_name, handle: row.handle, jobTitle: row.job_title, agencyName: row.agency_name }));
}

export interface AgencyChoice {
  id: number;
  name: string;
  jurisdiction: string | null;
}

/** The agencies the directory can filter by: those with at least one active member. */
export async function listAgenciesWithActiveMembers(db: Db): Promise<AgencyChoice[]> {
  return db
    .selectFrom('agencies as ag')
    .select(['ag.id', 'ag.name', 'ag.jurisdiction'])
    .where((eb) => eb.exists(eb.selectFrom('members as m').select('m.id').whereRef('m.agency_id', '=', 'ag.id').where('m.deactivated_at', 'is', null)))
    .orderBy(sql`lower(ag.name)`)
    .execute();
}
