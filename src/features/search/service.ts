import Handlebars from 'handlebars';
import type { Deps } from '../../deps.js';
import { NotFound } from '../../lib/errors.js';
import { paginate, type Pagination } from '../../lib/pagination.js';
import { AGENCY_TYPE_NAMES, AGENCY_TYPES, type AgencyType } from '../admin/schemas.js';
import type { Viewer } from '../discussions/access.js';
import { threadPath } from '../discussions/routes/paths.js';
import { resourcePath } from '../resources/content.js';
import { RESOURCE_KINDS, normaliseTag, type ResourceKind } from '../resources/schemas.js';
import { SEARCH_MESSAGES as M } from './messages.js';
import { CANDIDATES_PER_KIND, searchContent, type HitKind, type SearchFilters } from './queries/candidates.js';
import { listSearchHits, type SearchHit } from './queries/hits.js';
import { findFilterTargets, findMembersLike, findTagsLike, type MemberMatch } from './queries/lookups.js';
import { analyseQuery, MARK_START, MARK_STOP } from './queries/words.js';
import { FILTER_KEYS, RESULTS_PER_PAGE, SEARCH_KINDS, SEARCH_SORTS, type FilterKey, type SearchKind, type SearchQuery, type SearchSort } from './schemas.js';

/**
 * ts_headline's output as HTML: every piece of text escaped, and only the highlight markers
 * (control characters the text itself cannot hold: queries/hits.ts strips them first) made into
 * <mark>, balanced whatever order they come in.
 */
export function highlightedHtml(marked: string): string {
  let html = '';
  let open = false;
  for (const part of marked.split(/([\u0001\u0002])/)) {
    if (part === MARK_START) {
      if (!open) html += '<mark>';
      open = true;
    } else if (part === MARK_STOP) {
      if (open) html += '</mark>';
      open = false;
    } else html += Handlebars.escapeExpression(part);
  }
  return open ? `${html}</mark>` : html;
}

function withoutMarks(marked: string): string {
  return marked.replace(/[\u0001\u0002]/g, '');
}

/** A search's state as its URL says it. */
type SearchState = { q: string; sort: SearchSort } & Partial<Record<FilterKey, string>>;

/** A search URL: the state with `change` applied, keys in a fixed order, defaults left out, page 1. */
export function searchHref(state: SearchState, change: Partial<SearchState> = {}): string {
  const next = { ...state, ...change };
  const params = new URLSearchParams();
  params.set('q', next.q);
  for (const key of FILTER_KEYS) if (next[key] !== undefined) params.set(key, next[key]);
  if (next.sort !== 'relevance') params.set('sort', next.sort);
  return `/search?${params.toString()}`;
}

const KIND_OF: Record<SearchKind, HitKind> = { threads: 'thread', posts: 'post', resources: 'resource' };
const KIND_LABELS: Record<HitKind, string> = { thread: 'Thread', post: 'Post', resource: 'Resource' };

/** The kinds a search reads: the one asked for, less any a filter cannot apply to. */
function kindsFor(query: SearchQuery): HitKind[] {
  let kinds: HitKind[] = query.kind ? [KIND_OF[query.kind]] : ['thread', 'post', 'resource'];
  // Categories hold threads and posts; resource types and initiative types belong to resources.
  if (query.category !== undefined) kinds = kinds.filter((kind) => kind !== 'resource');
  if (query.type !== undefined || query.initiative !== undefined) kinds = kinds.filter((kind) => kind === 'resource');
  return kinds;
}

/**
 * A filter that cannot apply to any kind the search would read (a resource type with only
 * threads, a category with only resources): refused with why, rather than answered with nothing.
 */
function conflictingFilter(query: SearchQuery): { field: FilterKey; message: string } | undefined {
  const forumOnly = query.kind === 'threads' || query.kind === 'posts';
  if (query.kind === 'resources' && query.category !== undefined) return { field: 'category', message: M.categoryNotForResources };
  if (forumOnly && query.type !== undefined) return { field: 'type', message: M.onlyForResources };
  if (forumOnly && query.initiative !== undefined) return { field: 'initiative', message: M.onlyForResources };
  if (query.category !== undefined && (query.type !== undefined || query.initiative !== undefined)) return { field: 'category', message: M.categoryOrResourceFilters };
  return undefined;
}

export interface ShownHit {
  kindLabel: string;
  href: string;
  title_html: string;
  snippet_html: string;
  createdAt: Date;
  authorName: string;
  placeName: string;
  hidden: boolean;
  held: boolean;
}

function showHit(hit: SearchHit): ShownHit {
  const shown = { kindLabel: KIND_LABELS[hit.kind], title_html: highlightedHtml(hit.title_marked), snippet_html: highlightedHtml(hit.snippet_marked), createdAt: hit.createdAt, authorName: hit.authorName, hidden: hit.hidden, held: hit.held };
  switch (hit.kind) {
    case 'thread':
      return { ...shown, href: threadPath({ id: hit.id, slug: hit.slug! }), placeName: hit.placeName };
    case 'post':
      // The address notifications use: it finds the post's page and anchor whatever moved since.
      return { ...shown, href: `/p/${hit.id}`, placeName: hit.placeName };
    case 'resource':
      return { ...shown, href: resourcePath({ id: hit.id, title: withoutMarks(hit.title_marked) }), placeName: RESOURCE_KINDS[hit.placeName as ResourceKind] ?? hit.placeName };
  }
}

export interface Chip {
  label: string;
  clearHref: string;
}

export type SearchOutcome =
  | { kind: 'explained'; message: string; q: string }
  | { kind: 'refused'; field: FilterKey; message: string }
  | { kind: 'results'; view: SearchView };

export interface SearchView {
  q: string;
  summary: string;
  cappedNote: string | undefined;
  /** What the page says when nothing matched. */
  noResults: string;
  hits: ShownHit[];
  chips: Chip[];
  clearAllHref: string;
  sorts: { label: string; href: string; current: boolean }[];
  members: MemberMatch[];
  tags: { tag: string; count: number; href: string }[];
  pagination: Pagination;
}

const DATE_LABELS: Record<'from' | 'to', string> = { from: 'From', to: 'To' };

/**
 * A search as the page shows it: what the words come to (nothing to search for is explained,
 * never answered with everything), the filters checked against what exists and the viewer may
 * see, one page of results, and on page 1 of an unfiltered search the members and tags the
 * words name.
 */
export async function searchSite(deps: Pick<Deps, 'db' | 'settings'>, viewer: Viewer & { timeZone: string | null }, query: SearchQuery): Promise<SearchOutcome> {
  const q = query.q;
  if (q === '') return { kind: 'explained', message: M.emptyQuery, q };
  const analysed = await analyseQuery(deps.db, q);
  if (analysed !== 'searchable') return { kind: 'explained', message: analysed === 'only-exclusions' ? M.onlyExclusions : /[\p{L}\p{N}]/u.test(q) ? M.onlyCommonWords : M.noWords, q };

  const conflict = conflictingFilter(query);
  if (conflict) return { kind: 'refused', ...conflict };

  const named = await findFilterTargets(deps.db, viewer, { category: query.category, initiative: query.initiative, agencyId: query.agency, author: query.author });
  if (query.category !== undefined && !named.category) return { kind: 'refused', field: 'category', message: M.badCategory };
  if (query.initiative !== undefined && !named.initiative) return { kind: 'refused', field: 'initiative', message: M.badInitiativeType };
  if (query.agency !== undefined && !named.agency) return { kind: 'refused', field: 'agency', message: M.badAgency };
  if (query.author !== undefined && !named.author) return { kind: 'refused', field: 'author', message: M.badAuthor };

  const sort = query.sort ?? 'relevance';
  const page = query.page ?? 1;
  const filters: SearchFilters = {
    kinds: kindsFor(query),
    categoryId: named.category?.id,
    resourceKind: query.type,
    initiativeTypeId: named.initiative?.id,
    agencyId: named.agency?.id,
    agencyType: query.agency_type,
    authorId: named.author?.id,
    from: query.from,
    to: query.to,
    timeZone: viewer.timeZone ?? deps.settings.current.TIME_ZONE,
  };
  const counts = await searchContent(deps.db, viewer, q, filters, { sort, offset: (page - 1) * RESULTS_PER_PAGE, limit: RESULTS_PER_PAGE });
  const pageCount = Math.max(1, Math.ceil(counts.total / RESULTS_PER_PAGE));
  if (page > pageCount) throw new NotFound();
  const hits = await listSearchHits(deps.db, viewer, q, counts.page);

  const state: SearchState = { q, sort, ...Object.fromEntries(FILTER_KEYS.flatMap((key) => (query[key] === undefined ? [] : [[key, String(query[key])]]))) };
  const chipLabels: Record<FilterKey, string | undefined> = {
    kind: query.kind && `Only ${SEARCH_KINDS[query.kind].toLowerCase()}`,
    category: named.category && `Category: ${named.category.name}`,
    type: query.type && `Resource type: ${RESOURCE_KINDS[query.type]}`,
    initiative: named.initiative && `Initiative type: ${named.initiative.name}`,
    agency: named.agency && `Agency: ${named.agency.name}`,
    agency_type: query.agency_type && `Type of agency: ${AGENCY_TYPE_NAMES[query.agency_type as AgencyType]}`,
    author: named.author && `By ${named.author.name} (@${named.author.handle})`,
    from: query.from && `${DATE_LABELS.from} ${query.from}`,
    to: query.to && `${DATE_LABELS.to} ${query.to}`,
  };
  const chips = FILTER_KEYS.flatMap((key) => (chipLabels[key] === undefined ? [] : [{ label: chipLabels[key]!, clearHref: searchHref(state, { [key]: undefined }) }]));
  const unfiltered = chips.length === 0;
  const firstPage = page === 1;
  const tag = normaliseTag(q);
  const [members, tags] = await Promise.all([
    firstPage && unfiltered && [...q].length >= 3 ? findMembersLike(deps.db, q) : [],
    firstPage && (unfiltered || query.kind === 'resources') && tag.length >= 3 ? findTagsLike(deps.db, viewer, tag, !/\s/.test(q.trim())) : [],
  ]);
  const pagingQuery = Object.fromEntries(new URLSearchParams(searchHref(state).split('?')[1] ?? ''));
  return {
    kind: 'results',
    view: {
      q,
      summary: M.resultCount(counts.total, counts.capped),
      cappedNote: counts.capped ? M.cappedNote(CANDIDATES_PER_KIND) : undefined,
      noResults: unfiltered ? M.noResults : M.noResultsFiltered,
      hits: hits.map(showHit),
      chips,
      clearAllHref: searchHref({ q, sort }),
      sorts: Object.entries(SEARCH_SORTS).map(([value, label]) => ({ label, href: searchHref(state, { sort: value as SearchSort }), current: value === sort })),
      members,
      tags: tags.map((found) => ({ ...found, href: `/resources?tag=${encodeURIComponent(found.tag)}` })),
      pagination: paginate('/search', page, pageCount, pagingQuery),
    },
  };
}

/** The filter form's choices that do not depend on the search: fixed lists. */
export function fixedChoices() {
  return {
    kinds: Object.entries(SEARCH_KINDS).map(([value, label]) => ({ value, label })),
    types: Object.entries(RESOURCE_KINDS).map(([value, label]) => ({ value, label })),
    agencyTypes: AGENCY_TYPES.map((value) => ({ value, label: AGENCY_TYPE_NAMES[value] })),
    sorts: Object.entries(SEARCH_SORTS).map(([value, label]) => ({ value, label })),
  };
}
