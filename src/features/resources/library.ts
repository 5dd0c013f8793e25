import type { Deps } from '../../deps.js';
import { BadRequest, NotFound } from '../../lib/errors.js';
import { paginate, type Pagination } from '../../lib/pagination.js';
import { AGENCY_TYPE_NAMES, AGENCY_TYPES, JURISDICTION_NAMES, JURISDICTIONS, type AgencyType, type Jurisdiction } from '../admin/schemas.js';
import { isStaff, type Viewer } from '../discussions/access.js';
import { resourcePath } from './content.js';
import type { KeptLibraryView, LibraryCache } from './library-cache.js';
import { RESOURCE_MESSAGES as M } from './messages.js';
import { countLibrary, FACETS, findLibraryVersion, listResourceCards, type Facet, type FacetValue, type LibraryFilters, type ResourceCard } from './queries/library.js';
import { LIBRARY_SORTS, RESOURCE_KINDS, RESOURCES_PER_PAGE, type LibraryQuery, type LibrarySort } from './schemas.js';

/** Each facet's query-string key, in the order a library URL lists them. */
const FACET_KEYS: Record<Facet, string> = { kind: 'type', initiative: 'initiative', tag: 'tag', agency: 'agency', agency_type: 'agency_type', jurisdiction: 'jurisdiction' };
const FACET_LEGENDS: Record<Facet, string> = { kind: 'Type', initiative: 'Initiative type', tag: 'Tag', agency: 'Agency', agency_type: 'Type of agency', jurisdiction: 'Jurisdiction' };
// Agencies and tags are many: the lists link the most used, and the form's list has every agency.
const LINKS_SHOWN: Partial<Record<Facet, number>> = { agency: 10, tag: 30 };

/** The library's state as its URL says it: filters by query-string key, and the sort. */
type LibraryState = Partial<Record<Facet, string>> & { sort: LibrarySort };

/** A library URL: the state with `change` applied, keys in a fixed order, defaults left out, always page 1. */
function libraryHref(state: LibraryState, change: Partial<LibraryState> = {}): string {
  const next = { ...state, ...change };
  const params = new URLSearchParams();
  for (const facet of FACETS) if (next[facet] !== undefined) params.set(FACET_KEYS[facet], next[facet]);
  if (next.sort !== 'newest') params.set('sort', next.sort);
  const query = params.toString();
  return query ? `/resources?${query}` : '/resources';
}

export interface ShownCard extends ResourceCard {
  href: string;
  kindLabel: string;
}

export interface ShownFacetValue {
  value: string;
  label: string;
  count: number;
  href: string;
  current: boolean;
}

export interface ShownFacet {
  name: Facet;
  key: string;
  legend: string;
  /** The values linked in the list: the most used, and the one chosen. */
  links: ShownFacetValue[];
  /** Every value, for the form's list. */
  options: { value: string; label: string }[];
  /** What the facet is set to, with the link that clears it. */
  chosen: { label: string; clearHref: string } | undefined;
}

export interface LibraryView {
  total: number;
  resources: ShownCard[];
  featured: ShownCard[];
  facets: ShownFacet[];
  filtered: boolean;
  sort: LibrarySort;
  sorts: { value: string; label: string; href: string; current: boolean }[];
  pagination: Pagination;
  /** The filters as the GET form re-fills them. */
  values: Record<string, string>;
  /** The library's version the view was read at (resource_library_version). */
  version: number;
}

function labelOf(facet: Facet, value: FacetValue | { value: string; label: string | null }): string {
  switch (facet) {
    case 'kind':
      return RESOURCE_KINDS[value.value as keyof typeof RESOURCE_KINDS] ?? value.value;
    case 'agency_type':
      return AGENCY_TYPE_NAMES[value.value as AgencyType] ?? value.value;
    case 'jurisdiction':
      return JURISDICTION_NAMES[value.value as Jurisdiction] ?? value.value;
    default:
      return value.label ?? value.value;
  }
}

// Made once: toLocaleString and localeCompare with a locale build a formatter at every call,
// and a view of the library formats and sorts a few hundred facet values.
const collator = new Intl.Collator('en-AU');
const number = new Intl.NumberFormat('en-AU');

// Fixed lists read in their own order; initiative types in the administrators'; the rest by use.
const FIXED_ORDER: Partial<Record<Facet, readonly string[]>> = { kind: Object.keys(RESOURCE_KINDS), agency_type: AGENCY_TYPES, jurisdiction: JURISDICTIONS };

function ordered(facet: Facet, values: FacetValue[]): FacetValue[] {
  const order = FIXED_ORDER[facet];
  if (order) return [...values].sort((a, b) => order.indexOf(a.value) - order.indexOf(b.value));
  if (facet === 'initiative') return [...values].sort((a, b) => a.position - b.position);
  return [...values].sort((a, b) => b.count - a.count || collator.compare(labelOf(facet, a), labelOf(facet, b)));
}

function showFacet(facet: Facet, values: FacetValue[], state: LibraryState, chosenLabel: string | undefined): ShownFacet {
  const chosenValue = state[facet];
  const all = ordered(facet, values);
  const shown = (value: FacetValue): ShownFacetValue => ({ value: value.value, label: labelOf(facet, value), count: value.count, href: libraryHref(state, { [facet]: value.value }), current: value.value === chosenValue });
  const limit = LINKS_SHOWN[facet];
  const links = (limit === undefined ? all : all.filter((value, index) => index < limit || value.value === chosenValue)).map(shown);
  const options = all.map((value) => ({ value: value.value, label: `${labelOf(facet, value)} (${number.format(value.count)})` }));
  // The chosen value stays in the form's list even when no resource matches it with the other filters.
  if (chosenValue !== undefined && !all.some((value) => value.value === chosenValue)) options.unshift({ value: chosenValue, label: `${chosenLabel} (0)` });
  return {
    name: facet,
    key: FACET_KEYS[facet],
    legend: FACET_LEGENDS[facet],
    links,
    options,
    chosen: chosenValue === undefined ? undefined : { label: chosenLabel ?? chosenValue, clearHref: libraryHref(state, { [facet]: undefined }) },
  };
}

/**
 * One view of the library: the page of resources the filters and sort select, the facet counts
 * beside each filter, and (unfiltered, first page) the featured resources leading it. Two
 * statements, whatever the filters: the counts with the library's version, then the page's
 * resources. An initiative type or agency that does not exist is a bad request; a tag
 * nobody uses is simply an empty view.
 */
export async function browseLibrary(deps: Pick<Deps, 'db'>, viewer: Viewer, query: LibraryQuery): Promise<LibraryView> {
  const filters: LibraryFilters = { kind: query.type, initiative: query.initiative, tag: query.tag, agencyId: query.agency, agencyType: query.agency_type, jurisdiction: query.jurisdiction };
  const sort = query.sort ?? 'newest';
  const page = query.page ?? 1;
  const filtered = Object.values(filters).some((value) => value !== undefined);
  const counts = await countLibrary(deps.db, viewer, filters, { sort, offset: (page - 1) * RESOURCES_PER_PAGE, limit: RESOURCES_PER_PAGE, withFeatured: !filtered && page === 1 });
  if (filters.initiative !== undefined && !counts.chosenInitiative) throw new BadRequest(M.noSuchInitiativeType);
  if (filters.agencyId !== undefined && !counts.chosenAgency) throw new BadRequest(M.noSuchAgency);
  const pageCount = Math.max(1, Math.ceil(counts.total / RESOURCES_PER_PAGE));
  if (page > pageCount) throw new NotFound();
  const cards = new Map((await listResourceCards(deps.db, [...new Set([...counts.featuredIds, ...counts.pageIds])])).map((card) => [card.id, card]));
  const cardsOf = (ids: number[]) => ids.flatMap((id) => cards.get(id) ?? []).map((card) => ({ ...card, href: resourcePath(card), kindLabel: RESOURCE_KINDS[card.kind] }));

  const state: LibraryState = {
    kind: filters.kind,
    initiative: filters.initiative,
    tag: filters.tag,
    agency: filters.agencyId === undefined ? undefined : String(filters.agencyId),
    agency_type: filters.agencyType,
    jurisdiction: filters.jurisdiction,
    sort,
  };
  const chosenLabels: Record<Facet, string | undefined> = {
    kind: state.kind && RESOURCE_KINDS[filters.kind!],
    initiative: counts.chosenInitiative?.name,
    tag: filters.tag,
    agency: counts.chosenAgency?.name,
    agency_type: state.agency_type && AGENCY_TYPE_NAMES[filters.agencyType as AgencyType],
    jurisdiction: state.jurisdiction && JURISDICTION_NAMES[filters.jurisdiction as Jurisdiction],
  };
  const pagingQuery = Object.fromEntries(new URLSearchParams(libraryHref(state).split('?')[1] ?? ''));
  return {
    total: counts.total,
    featured: cardsOf(counts.featuredIds),
    resources: cardsOf(counts.pageIds),
    facets: FACETS.map((facet) => showFacet(facet, counts.facets[facet], state, chosenLabels[facet])),
    filtered,
    sort,
    sorts: Object.entries(LIBRARY_SORTS).map(([value, label]) => ({ value, label, href: libraryHref(state, { sort: value as LibrarySort }), current: value === sort })),
    pagination: paginate('/resources', page, pageCount, pagingQuery),
    values: Object.fromEntries(FACETS.flatMap((facet) => (state[facet] === undefined ? [] : [[FACET_KEYS[facet], state[facet]!]]))),
    version: counts.version,
  };
}

/**
 * A view of the library as HTML, kept (library-cache.ts, docs/decisions/0013) while the library's
 * version holds. `render` must see nothing of the viewer's but what the key holds: whether they
 * are staff (who see removed resources) and their time zone (times are shown in it).
 */
export async function libraryPage(
  deps: Pick<Deps, 'db' | 'now'>,
  cache: LibraryCache,
  viewer: Viewer & { timeZone: string | null },
  query: LibraryQuery,
  render: (view: LibraryView) => string,
): Promise<KeptLibraryView> {
  const key = JSON.stringify([isStaff(viewer.role), viewer.timeZone, query]);
  const now = deps.now().getTime();
  const kept = cache.get(key, now);
  if (kept && kept.version === (await findLibraryVersion(deps.db))) return kept;
  const view = await browseLibrary(deps, viewer, query);
  const page = view.pagination.page;
  const fresh = { version: view.version, title: page > 1 ? `Resource library (page ${page})` : 'Resource library', bodyHtml: render(view) };
  cache.set(key, fresh, now);
  return fresh;
}
