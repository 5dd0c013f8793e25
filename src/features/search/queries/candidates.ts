import { sql, type RawBuilder } from 'kysely';
import { fixedLimit } from '../../../db/fixed-limit.js';
import type { Db } from '../../../db/types.js';
import { audiencesFor, isStaff, type Viewer } from '../../discussions/access.js';
import { countedPost, countedThread } from '../../discussions/queries/counts.js';
import type { SearchSort } from '../schemas.js';
import { tsquery } from './words.js';

/*
 * Full-text search over threads (their titles), posts (their bodies) and resources (title,
 * summary, tags, description and case-study sections), with the weighted tsvectors and GIN
 * indexes of migration 0025 (docs/decisions/0024): which of them match, found within bounded
 * work (docs/decisions/0025), counted and ranked. What the viewer may not see is left out in
 * the SQL, before anything is counted or ranked.
 */

export type HitKind = 'thread' | 'post' | 'resource';

/** What narrows a search. Every filter is optional; a kind a filter cannot apply to is left out by the caller (`kinds`). */
export interface SearchFilters {
  kinds: readonly HitKind[];
  categoryId?: number | undefined;
  /** resources.kind */
  resourceKind?: string | undefined;
  initiativeTypeId?: number | undefined;
  /** The resource's agency, or the author's for threads and posts. */
  agencyId?: number | undefined;
  agencyType?: string | undefined;
  authorId?: number | undefined;
  /** Calendar dates (YYYY-MM-DD), inclusive, in `timeZone`. */
  from?: string | undefined;
  to?: string | undefined;
  timeZone: string;
}

export interface SearchPage {
  sort: SearchSort;
  offset: number;
  limit: number;
}

export interface SearchHitRef {
  kind: HitKind;
  id: number;
}

export interface SearchCounts {
  /** Matching items the viewer may see, counted no further than CANDIDATES_PER_KIND of each kind. */
  total: number;
  /** Whether some kind had more matches than were counted and ranked. */
  capped: boolean;
  /** The page's items, in order. */
  page: SearchHitRef[];
}

/**
 * Each kind's newest matches the viewer may see, no more than this, are what is ranked: a query
 * of one very common word matches a good part of a million posts, and ranking them all would
 * read them all. The most relevant of the newest hundred is what a member asking "has anyone
 * dealt with this?" wants first; a narrower query or a filter reaches further back.
 */
export const CANDIDATES_PER_KIND = 100;

/**
 * How many of a kind's newest rows the walk reads one by one, testing each against the query. A
 * common word fills its candidates within a few hundred rows, where the full-text index would
 * cost as much as all its matches in the whole forum (tens of thousands at a million posts); a
 * rarer one goes on to the index (searchContent). Resources are read fewer: a resource's vector
 * (its description and case-study sections) is long enough to be stored out of line, so each
 * costs several reads, and a library holds thousands, not millions.
 */
const WALK_ROWS: Record<HitKind, number> = { thread: 2000, post: 2000, resource: 500 };

/*
 * A walked kind that found k matches, too few, among its WALK_ROWS rows asks its index next, and
 * what the walk found says how rare the words are. Reading a match from the index costs about 7
 * µs (its row, its thread, its category), and a window's bound about 0.1 µs a row in it (from the
 * created-at index), measured at a million posts: so with fewer than FEW_TO_ESTIMATE matches all
 * of them are read at once (a few hundred in a million), and with more, a window reaching
 * WINDOW_MARGIN × (CANDIDATES_PER_KIND + 1) / k times as far back as the walk, where about twice
 * the matches needed should be; then, if it held too few, all of them.
 */
const FEW_TO_ESTIMATE = 3;
const WINDOW_MARGIN = 2;
// ts_rank's weights for D, C, B, A: a title (A) counts five times a body (C).
const WEIGHTS = '{0.1, 0.2, 0.4, 1.0}';

// A date filter's bounds, as instants at midnight in the viewer's zone; null leaves it open.
function createdBetween(column: string, filters: SearchFilters): RawBuilder<boolean> {
  const ref = sql.ref(column);
  const from = filters.from ?? null;
  const to = filters.to ?? null;
  return sql<boolean>`(${from}::date is null or ${ref} >= (${from}::date)::timestamp at time zone ${filters.timeZone}::text)
    and (${to}::date is null or ${ref} < (${to}::date + 1)::timestamp at time zone ${filters.timeZone}::text)`;
}

// The filters threads and posts share, for the row `alias` (t or p): category (of thread t),
// author, the author's agency, dates. Null parameters leave a filter out, so the combinations of
// filters are few statements, each with one plan (docs/decisions/0010): with and without an
// agency filter.
function forumFilters(alias: 't' | 'p', filters: SearchFilters): RawBuilder<boolean> {
  const category = filters.categoryId ?? null;
  const author = filters.authorId ?? null;
  const agency = filters.agencyId ?? null;
  const agencyType = filters.agencyType ?? null;
  const authorColumn = sql.ref(`${alias}.author_id`);
  // The agency filters are a list of authors the planner can hash or drive from (a semi-join),
  // present only when given: as a per-row test they read every match of the words (0025).
  const byAgency =
    agency === null && agencyType === null
      ? sql``
      : sql`and ${authorColumn} in (
        select am.id from members am left join agencies aa on aa.id = am.agency_id
        where (${agency}::bigint is null or am.agency_id = ${agency}::bigint) and (${agencyType}::text is null or aa.agency_type = ${agencyType}::text))`;
  return sql<boolean>`(${category}::bigint is null or t.category_id = ${category}::bigint)
      and (${author}::bigint is null or ${authorColumn} = ${author}::bigint)
      ${byAgency}
      and ${createdBetween(`${alias}.created_at`, filters)}`;
}

/** Where a kind's matches are looked for: among its newest WALK_ROWS rows, or since an instant by its index (null: all of it). */
type Reach = 'walk' | { since: Date | null };

// Each kind's table, its alias in the statements below, and the column that takes a row out of
// the forum for everyone (what the walk's index, migration 0027 or resources_newest, leaves out).
const KIND_TABLES = {
  thread: { table: 'threads', alias: 't', gone: 'deleted_at' },
  post: { table: 'posts', alias: 'p', gone: 'deleted_at' },
  resource: { table: 'resources', alias: 'r', gone: 'removed_at' },
} as const satisfies Record<HitKind, { table: string; alias: string; gone: string }>;

/** A kind's rows to search, as a FROM item under its alias, and the condition its reach adds. */
function reachOf(kind: HitKind, reach: Reach): { rows: RawBuilder<unknown>; since: RawBuilder<unknown> } {
  const { table, alias, gone } = KIND_TABLES[kind];
  if (reach === 'walk') {
    return {
      rows: sql`(select * from ${sql.table(table)} where ${sql.ref(gone)} is null order by created_at desc limit ${fixedLimit(WALK_ROWS[kind])}) ${sql.id(alias)}`,
      since: sql``,
    };
  }
  return { rows: sql`${sql.table(table)} ${sql.id(alias)}`, since: reach.since === null ? sql`` : sql`and ${sql.ref(`${alias}.created_at`)} >= ${reach.since}::timestamptz` };
}

// Each kind's matches the viewer may see within its reach, newest first, at most
// CANDIDATES_PER_KIND + 1 (to know there were more), with the vector to rank them by.
function threadHits(viewer: Viewer, text: string, filters: SearchFilters, reach: Reach): RawBuilder<unknown> {
  const { rows, since } = reachOf('thread', reach);
  return sql`(select 'thread'::text as kind, t.id, t.created_at, t.search_vector
    from ${rows} join categories c on c.id = t.category_id
    where t.search_vector @@ ${tsquery(text)} ${since}
      and ${isStaff(viewer.role) ? sql`t.deleted_at is null` : countedThread('t')}
      and c.visible_to = any(${audiencesFor(viewer)}::text[])
      -- A resource's discussion thread is found as the resource.
      and not exists (select from resources tr where tr.thread_id = t.id)
      and ${forumFilters('t', filters)}
    order by t.created_at desc limit ${fixedLimit(CANDIDATES_PER_KIND + 1)})`;
}

function postHits(viewer: Viewer, text: string, filters: SearchFilters, reach: Reach): RawBuilder<unknown> {
  const { rows, since } = reachOf('post', reach);
  const visible = isStaff(viewer.role) ? sql`p.deleted_at is null and t.deleted_at is null` : sql`${countedPost('p')} and ${countedThread('t')}`;
  return sql`(select 'post'::text as kind, p.id, p.created_at, p.search_vector
    from ${rows} join threads t on t.id = p.thread_id join categories c on c.id = t.category_id
    where p.search_vector @@ ${tsquery(text)} ${since}
      and ${visible}
      and c.visible_to = any(${audiencesFor(viewer)}::text[])
      -- A resource discussion's first post is the library's stock text about the resource, which
      -- is the result; a first post under a title that is itself a result is that thread's result.
      and not (p.position = 1 and (exists (select from resources tr where tr.thread_id = t.id)
        ${filters.kinds.includes('thread') ? sql`or (t.search_vector @@ ${tsquery(text)} and ${forumFilters('t', filters)})` : sql``}))
      and ${forumFilters('p', filters)}
    order by p.created_at desc limit ${fixedLimit(CANDIDATES_PER_KIND + 1)})`;
}

function resourceHits(viewer: Viewer, text: string, filters: SearchFilters, reach: Reach): RawBuilder<unknown> {
  const { rows, since } = reachOf('resource', reach);
  const kind = filters.resourceKind ?? null;
  const initiative = filters.initiativeTypeId ?? null;
  const agency = filters.agencyId ?? null;
  const agencyType = filters.agencyType ?? null;
  const author = filters.authorId ?? null;
  // Staff see what moderators hid (marked so); a removed resource is gone for everyone, as a deleted post is.
  const visible = isStaff(viewer.role) ? sql`r.removed_at is null` : sql`r.removed_at is null and r.hidden_at is null`;
  return sql`(select 'resource'::text as kind, r.id, r.created_at, r.search_vector
    from ${rows} left join agencies ra on ra.id = r.agency_id
    where r.search_vector @@ ${tsquery(text)} ${since}
      and ${visible}
      and (${kind}::text is null or r.kind = ${kind}::text)
      and (${initiative}::bigint is null or exists (select from resource_initiative_types rit where rit.resource_id = r.id and rit.initiative_type_id = ${initiative}::bigint))
      and (${agency}::bigint is null or r.agency_id = ${agency}::bigint)
      and (${agencyType}::text is null or ra.agency_type = ${agencyType}::text)
      and (${author}::bigint is null or r.sharer_id = ${author}::bigint)
      and ${createdBetween('r.created_at', filters)}
    order by r.created_at desc limit ${fixedLimit(CANDIDATES_PER_KIND + 1)})`;
}

const HITS_OF = { thread: threadHits, post: postHits, resource: resourceHits } as const;

interface Candidate extends SearchHitRef {
  createdAt: Date;
  rank: number;
}

/** The kinds' candidates within their reaches, in one statement; ranked here, on at most CANDIDATES_PER_KIND + 1 rows a kind. */
async function findCandidates(db: Db, viewer: Viewer, text: string, filters: SearchFilters, reaches: Map<HitKind, Reach>): Promise<Map<HitKind, Candidate[]>> {
  const parts = [...reaches].map(([kind, reach]) => HITS_OF[kind](viewer, text, filters, reach));
  const { rows } = await sql<{ kind: HitKind; id: string; created_at: Date; rank: number }>`
    select kind, id, created_at, ts_rank(${WEIGHTS}::float4[], search_vector, ${tsquery(text)}, 1) as rank
    from (${sql.join(parts, sql` union all `)}) hits
  `.execute(db);
  const found = new Map<HitKind, Candidate[]>([...reaches.keys()].map((kind) => [kind, []]));
  for (const row of rows) found.get(row.kind)!.push({ kind: row.kind, id: Number(row.id), createdAt: row.created_at, rank: row.rank });
  return found;
}

/**
 * For each kind, the instant its window reaches back to: `multiple` times as far back as its walk
 * reached, or null (no bound) where the multiple is null. A kind whose walk read every row it has
 * has found all its matches, and is left out.
 */
async function findWindowStarts(db: Db, multiples: Map<HitKind, number | null>): Promise<Map<HitKind, Date | null>> {
  const edges = [...multiples].map(([kind, multiple]) => {
    const { table, gone } = KIND_TABLES[kind];
    return sql`select ${kind}::text as kind, ${multiple}::int as multiple,
      (select created_at from ${sql.table(table)} where ${sql.ref(gone)} is null order by created_at desc offset ${fixedLimit(WALK_ROWS[kind] - 1)} limit 1) as edge`;
  });
  const { rows } = await sql<{ kind: HitKind; edge: Date | null; start: Date | null }>`
    select kind, edge, now() - (now() - edge) * multiple as start from (${sql.join(edges, sql` union all `)}) edges
  `.execute(db);
  return new Map(rows.flatMap((row) => (row.edge === null ? [] : [[row.kind, row.start] as const])));
}

const ORDERINGS: Record<SearchSort, (a: Candidate, b: Candidate) => number> = {
  relevance: (a, b) => b.rank - a.rank || newestFirst(a, b),
  newest: (a, b) => newestFirst(a, b),
};

function newestFirst(a: Candidate, b: Candidate): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || b.id - a.id;
}

/**
 * The matching items the viewer may see, counted, and one page of them in order. Each kind's
 * newest CANDIDATES_PER_KIND matches are found within a bounded amount of work where the words
 * allow (docs/decisions/0025): first among its newest WALK_ROWS rows, all kinds in one
 * statement; a kind that found too few there then asks its index, within a window or not as the
 * walk's finds suggest, and last without a bound. Only those candidates are ranked.
 */
export async function searchContent(db: Db, viewer: Viewer, text: string, filters: SearchFilters, page: SearchPage): Promise<SearchCounts> {
  if (filters.kinds.length === 0) return { total: 0, capped: false, page: [] };
  const found = await findCandidates(db, viewer, text, filters, new Map(filters.kinds.map((kind) => [kind, 'walk'])));
  const short = (kinds: readonly HitKind[]) => kinds.filter((kind) => found.get(kind)!.length <= CANDIDATES_PER_KIND);
  const walkedShort = short(filters.kinds);
  if (walkedShort.length > 0) {
    const multiples = new Map(
      walkedShort.map((kind) => {
        const walkFound = found.get(kind)!.length;
        return [kind, walkFound < FEW_TO_ESTIMATE ? null : Math.ceil((WINDOW_MARGIN * (CANDIDATES_PER_KIND + 1)) / walkFound)];
      }),
    );
    const starts = await findWindowStarts(db, multiples);
    // Each reach holds the last one's matches: what it finds replaces them.
    const search = async (kinds: HitKind[], since: (kind: HitKind) => Date | null) => {
      if (kinds.length === 0) return;
      for (const [kind, candidates] of await findCandidates(db, viewer, text, filters, new Map(kinds.map((kind) => [kind, { since: since(kind) }])))) found.set(kind, candidates);
    };
    await search([...starts.keys()], (kind) => starts.get(kind)!);
    await search(short([...starts.keys()].filter((kind) => starts.get(kind) !== null)), () => null);
  }
  const kept = [...found.values()].flatMap((candidates) => candidates.slice(0, CANDIDATES_PER_KIND));
  const capped = [...found.values()].some((candidates) => candidates.length > CANDIDATES_PER_KIND);
  kept.sort(ORDERINGS[page.sort]);
  return { total: kept.length, capped, page: kept.slice(page.offset, page.offset + page.limit).map(({ kind, id }) => ({ kind, id })) };
}
