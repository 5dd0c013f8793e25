import { z } from 'zod';
import { databaseIdField, textField } from '../../lib/forms.js';
import { AGENCY_TYPES } from '../admin/schemas.js';
import { HANDLE } from '../auth/schemas.js';
import { PageQuery } from '../discussions/schemas.js';
import { RESOURCE_KINDS, type ResourceKind } from '../resources/schemas.js';
import { SEARCH_MESSAGES as M } from './messages.js';

export const RESULTS_PER_PAGE = 20;
// websearch_to_tsquery reads any text, but nobody types 200 characters into a search box: past
// that it is a pasted document or an attack, and the page says so instead of searching it.
export const SEARCH_MAX = 200;

export const SEARCH_KINDS = { threads: 'Threads', posts: 'Posts', resources: 'Resources' } as const;
export type SearchKind = keyof typeof SEARCH_KINDS;
export const SEARCH_SORTS = { relevance: 'Relevance', newest: 'Newest' } as const;
export type SearchSort = keyof typeof SEARCH_SORTS;

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date as typed (YYYY-MM-DD), checked to exist (no 31 February). */
function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1900 && year <= 9999 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A filter from the query string: empty is no filter (the form sends every field); repeated is refused. */
function filter<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}
const oneOf = (message: string) => (issue: { input: unknown }) => (Array.isArray(issue.input) ? M.oneValueEach : message);
const text = (message: string, max: number, pattern: RegExp) => z.string({ error: oneOf(message) }).max(max, message).regex(pattern, message);

/**
 * `/search`'s query string: the words, the filters, the sort and the page. Strict: a filter the
 * page does not have is refused with a message rather than silently ignored.
 */
export const SearchQuery = PageQuery.extend({
  // A repeated `q` is not text: "Search must be text".
  q: textField({ label: 'Search', max: SEARCH_MAX, optional: true }),
  kind: filter(z.enum(Object.keys(SEARCH_KINDS) as [SearchKind, ...SearchKind[]], { error: oneOf(M.badKind) })),
  category: filter(text(M.badCategory, 60, SLUG)),
  type: filter(z.enum(Object.keys(RESOURCE_KINDS) as [ResourceKind, ...ResourceKind[]], { error: oneOf(M.badType) })),
  initiative: filter(text(M.badInitiativeType, 60, SLUG)),
  agency: filter(z.string({ error: oneOf(M.badAgency) }).pipe(databaseIdField(M.badAgency))),
  agency_type: filter(z.enum(AGENCY_TYPES, { error: oneOf(M.badAgencyType) })),
  author: filter(text(M.badAuthor, 30, HANDLE)),
  from: filter(z.string({ error: oneOf(M.badDate) }).refine(isCalendarDate, M.badDate)),
  to: filter(z.string({ error: oneOf(M.badDate) }).refine(isCalendarDate, M.badDate)),
  sort: filter(z.enum(Object.keys(SEARCH_SORTS) as [SearchSort, ...SearchSort[]], { error: oneOf(M.badSort) })),
})
  .strict()
  .refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, { message: M.datesReversed, path: ['to'] });
export type SearchQuery = z.infer<typeof SearchQuery>;

/** The query-string keys of the filters, in the order a search URL lists them. */
export const FILTER_KEYS = ['kind', 'category', 'type', 'initiative', 'agency', 'agency_type', 'author', 'from', 'to'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
