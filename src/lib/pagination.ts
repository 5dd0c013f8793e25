/**
 * The links of a paged list (views/partials/pagination.hbs): previous and next, the first and
 * last pages, and the pages either side of this one, with a gap for the rest. Page 1 is the
 * bare path, so a list has one address for its first page.
 */
export type PageLink = { number: number; href: string; current: boolean } | { gap: true };

export interface Pagination {
  page: number;
  pageCount: number;
  previous?: string;
  next?: string;
  /** Empty when there is only one page: nothing to show. */
  pages: PageLink[];
}

// Pages shown either side of the current one.
const AROUND = 1;

/**
 * Page `page` (1 to pageCount: a route answers a page past the end before it gets here) of
 * `pageCount` at `path`; `query` is kept in every link (filters, a search).
 */
export function paginate(path: string, page: number, pageCount: number, query: Record<string, string> = {}): Pagination {
  const href = (number: number) => {
    const params = new URLSearchParams(query);
    params.delete('page');
    if (number > 1) params.set('page', String(number));
    const search = params.toString();
    return search ? `${path}?${search}` : path;
  };
  if (pageCount <= 1) return { page: 1, pageCount: 1, pages: [] };
  const pages: PageLink[] = [];
  for (let number = 1; number <= pageCount; number += 1) {
    const shown = number === 1 || number === pageCount || Math.abs(number - page) <= AROUND;
    // A gap of one page is shown as that page: "1 … 3" hides nothing worth hiding.
    const onlyOneHidden = Math.abs(number - page) === AROUND + 1 && (number === 2 || number === pageCount - 1);
    const last = pages.at(-1);
    if (shown || onlyOneHidden) pages.push({ number, href: href(number), current: number === page });
    else if (last && !('gap' in last)) pages.push({ gap: true });
  }
  return {
    page,
    pageCount,
    ...(page > 1 ? { previous: href(page - 1) } : {}),
    ...(page < pageCount ? { next: href(page + 1) } : {}),
    pages,
  };
}
