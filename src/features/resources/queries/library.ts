import { sql, type RawBuilder } from 'kysely';
import { fixedLimit } from '../../../db/fixed-limit.js';
import type { Db } from '../../../db/types.js';
import { isStaff, type Viewer } from '../../discussions/access.js';
import type { LibrarySort, ResourceKind } from '../schemas.js';
import { resourcesWithSharer } from './resources.js';
import { initiativeTypesOf, tagsOf, type InitiativeTypeRef } from './tags.js';
import { shownName, shownWhileActive } from '../../members/names.js';

export interface LibraryFilters {
  kind?: ResourceKind | undefined;
  /** An initiative type's slug. */
  initiative?: string | undefined;
  tag?: string | undefined;
  agencyId?: number | undefined;
  agencyType?: string | undefined;
  jurisdiction?: string | undefined;
}

export const FACETS = ['kind', 'initiative', 'tag', 'agency', 'agency_type', 'jurisdiction'] as const;
export type Facet = (typeof FACETS)[number];

export interface FacetValue {
  value: string;
  /** The name to show where the value is not one (an initiative type's, an agency's). */
  label: string | null;
  count: number;
  /** An initiative type's place in the administrators' order. */
  position: number;
}

export interface LibraryCounts {
  /** Resources matching every filter. */
  total: number;
  /** The page's resources, in the order asked for. */
  pageIds: number[];
  featuredIds: number[];
  /** Each facet's values, counted over the resources matching every other filter. */
  facets: Record<Facet, FacetValue[]>;
  /** The initiative type and agency the filters name, if they exist. */
  chosenInitiative: InitiativeTypeRef | undefined;
  chosenAgency: { id: number; name: string } | undefined;
  /** The library's version these were read at (resource_library_version). */
  version: number;
}

// Tags are free-form: the facet shows the most used, and the form takes any other.
const TAGS_COUNTED = 30;
const FEATURED_SHOWN = 6;

const ORDER: Record<LibrarySort, RawBuilder<unknown>> = {
  newest: sql`created_at desc, id desc`,
  downloads: sql`download_count desc, created_at desc, id desc`,
  helpful: sql`helpful_count desc, created_at desc, id desc`,
};

interface CountRow {
  facet: Facet | 'total' | 'chosen_initiative' | 'chosen_agency' | 'version';
  value: string | null;
  label: string | null;
  position: number;
  count: number;
  ids: string[] | null;
  featured: string[] | null;
}

/**
 * The library's facet counts, its total, the ids of one page and the library's version, in one
 * statement (so one snapshot): the
 * resources the viewer may see are read once (`matching`), each with whether it passes each
 * filter, and every facet counts those passing all the other filters. A filter not given is a
 * null parameter, so every combination of filters is one statement with one plan; a given
 * initiative type or tag is a lookup per resource by its key. At 5,000 resources the scan is
 * the cost, not the filters (BENCHMARKS.md).
 */
export async function countLibrary(db: Db, viewer: Viewer, filters: LibraryFilters, page: { sort: LibrarySort; offset: number; limit: number; withFeatured: boolean }): Promise<LibraryCounts> {
  const kind = filters.kind ?? null;
  const initiative = filters.initiative ?? null;
  const tag = filters.tag ?? null;
  const agency = filters.agencyId ?? null;
  const agencyType = filters.agencyType ?? null;
  const jurisdiction = filters.jurisdiction ?? null;
  const passes = (except?: Facet) => sql.join(FACETS.filter((facet) => facet !== except).map((facet) => sql.ref(`by_${facet}`)), sql` and `);
  const { rows } = await sql<CountRow>`
    with matching as materialized (
      select r.id, r.kind, r.agency_id, ag.agency_type, ag.jurisdiction, r.created_at, r.download_count, r.helpful_count, r.featured_at, r.removed_at, r.hidden_at,
        (${kind}::text is null or r.kind = ${kind}::text) as by_kind,
        (${initiative}::text is null or exists (select from resource_initiative_types rit where rit.resource_id = r.id
          and rit.initiative_type_id = (select it.id from initiative_types it where it.slug = ${initiative}::text))) as by_initiative,
        (${tag}::text is null or exists (select from resource_tags rt where rt.resource_id = r.id and rt.tag = ${tag}::text)) as by_tag,
        (${agency}::bigint is null or r.agency_id = ${agency}::bigint) as by_agency,
        (${agencyType}::text is null or ag.agency_type = ${agencyType}::text) as by_agency_type,
        (${jurisdiction}::text is null or ag.jurisdiction = ${jurisdiction}::text) as by_jurisdiction
      from resources r left join agencies ag on ag.id = r.agency_id
      ${isStaff(viewer.role) ? sql`` : sql`where r.removed_at is null and r.hidden_at is null`}
    )
    select 'total' as facet, null::text as value, null::text as label, 0 as position, count(*)::int as count,
      array(select id from matching where ${passes()} order by ${ORDER[page.sort]} limit ${fixedLimit(page.limit)} offset ${page.offset}::bigint) as ids,
      array(select id from matching where ${page.withFeatured}::boolean and featured_at is not null and removed_at is null and hidden_at is null order by featured_at desc, id desc limit ${fixedLimit(FEATURED_SHOWN)}) as featured
    from matching where ${passes()}
    union all
    select 'kind', kind, null, 0, count(*)::int, null, null from matching where ${passes('kind')} group by kind
    union all
    select 'initiative', it.slug, it.name, it.position, count(*)::int, null, null
    from matching m join resource_initiative_types rit on rit.resource_id = m.id join initiative_types it on it.id = rit.initiative_type_id
    where ${passes('initiative')} group by it.id
    union all
    (select 'tag', rt.tag, null, 0, count(*)::int, null, null
     from matching m join resource_tags rt on rt.resource_id = m.id
     where ${passes('tag')} group by rt.tag order by count(*) desc, rt.tag limit ${fixedLimit(TAGS_COUNTED)})
    union all
    select 'agency', ag.id::text, ag.name, 0, count(*)::int, null, null
    from matching m join agencies ag on ag.id = m.agency_id where ${passes('agency')} group by ag.id
    union all
    select 'agency_type', agency_type, null, 0, count(*)::int, null, null from matching where agency_type is not null and ${passes('agency_type')} group by agency_type
    union all
    select 'jurisdiction', jurisdiction, null, 0, count(*)::int, null, null from matching where jurisdiction is not null and ${passes('jurisdiction')} group by jurisdiction
    union all
    select 'chosen_initiative', slug, name, 0, 0, null, null from initiative_types where slug = ${initiative}::text
    union all
    select 'chosen_agency', id::text, name, 0, 0, null, null from agencies where id = ${agency}::bigint
    union all
    select 'version', version::text, null, 0, 0, null, null from resource_library_version
  `.execute(db);

  const facets = Object.fromEntries(FACETS.map((facet) => [facet, [] as FacetValue[]])) as Record<Facet, FacetValue[]>;
  let total: CountRow | undefined;
  let chosenInitiative: InitiativeTypeRef | undefined;
  let chosenAgency: { id: number; name: string } | undefined;
  let version = 0;
  for (const row of rows) {
    if (row.facet === 'total') total = row;
    else if (row.facet === 'version') version = Number(row.value);
    else if (row.facet === 'chosen_initiative') chosenInitiative = { slug: row.value!, name: row.label! };
    else if (row.facet === 'chosen_agency') chosenAgency = { id: Number(row.value), name: row.label! };
    else facets[row.facet].push({ value: row.value!, label: row.label, count: row.count, position: row.position });
  }
  // pg parses an int8 array as strings (only the scalar int8 parser is ours, in db/database.ts).
  const ids = (value: unknown[] | null | undefined) => (value ?? []).map(Number);
  return { total: total?.count ?? 0, pageIds: ids(total?.ids), featuredIds: ids(total?.featured), facets, chosenInitiative, chosenAgency, version };
}

/** The library's version now: whether counts read at an earlier one still hold. */
export async function findLibraryVersion(db: Db): Promise<number> {
  const row = await db.selectFrom('resource_library_version').select('version').executeTakeFirstOrThrow();
  return row.version;
}

/**
 * One more on the library's version, in the transaction of a change to what the library lists
 * or counts. Its row lock makes such changes take turns until they commit: call it last.
 */
export async function bumpLibraryVersion(db: Db): Promise<void> {
  await db.updateTable('resource_library_version').set((eb) => ({ version: eb('version', '+', 1) })).execute();
}

/** A resource in the library's list. */
export interface ResourceCard {
  id: number;
  kind: ResourceKind;
  title: string;
  summary: string;
  sharerName: string;
  /** Null once the sharer is shown as a former member: no link to their profile. */
  sharerHandle: string | null;
  agencyName: string | null;
  createdAt: Date;
  helpfulCount: number;
  downloadCount: number;
  replyCount: number;
  fileCount: number;
  featured: boolean;
  removed: boolean;
  /** Hidden from members by a moderator or by flags (only staff are shown it). */
  hidden: boolean;
  tags: string[];
  initiativeTypes: InitiativeTypeRef[];
}

/** The resources with these ids, in the order given: one statement, each by its key, whatever the page. */
export async function listResourceCards(db: Db, ids: number[]): Promise<ResourceCard[]> {
  if (ids.length === 0) return [];
  const rows = await resourcesWithSharer(db)
    .innerJoin('threads as t', 't.id', 'r.thread_id')
    .select([
      'r.id',
      'r.kind',
      'r.title',
      'r.summary',
      shownName('s').as('sharer_name'),
      shownWhileActive('s', 's.handle').as('sharer_handle'),
      'ag.name as agency_name',
      'r.created_at',
      'r.helpful_count',
      'r.download_count',
      't.reply_count',
      'r.featured_at',
      'r.removed_at',
      'r.hidden_at',
    ])
    .select([
      tagsOf.as('tags'),
      initiativeTypesOf.as('initiative_types'),
      sql<number>`(select count(*)::int from files f where f.resource_id = r.id and f.replaced_at is null)`.as('file_count'),
    ])
    .where('r.id', '=', sql<number>`any(${ids}::bigint[])`)
    .execute();
  const byId = new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        kind: row.kind as ResourceKind,
        title: row.title,
        summary: row.summary,
        sharerName: row.sharer_name,
        sharerHandle: row.sharer_handle,
        agencyName: row.agency_name,
        createdAt: row.created_at,
        helpfulCount: row.helpful_count,
        downloadCount: row.download_count,
        replyCount: row.reply_count,
        fileCount: row.file_count,
        featured: row.featured_at !== null,
        removed: row.removed_at !== null,
        hidden: row.hidden_at !== null,
        tags: row.tags,
        initiativeTypes: row.initiative_types,
      },
    ]),
  );
  return ids.flatMap((id) => byId.get(id) ?? []);
}
