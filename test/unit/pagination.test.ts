import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { paginate, type PageLink } from '../../src/lib/pagination.js';
import { VIEWS_DIR } from '../../src/lib/paths.js';
import { loadTemplates } from '../../src/lib/templates.js';
import { useTempDirs } from '../support/temp-dirs.js';

/** What a row of page links reads as: numbers, "…" for a gap, the current one in brackets. */
function shape(pages: PageLink[]): string {
  return pages.map((link) => ('gap' in link ? '…' : link.current ? `[${link.number}]` : String(link.number))).join(' ');
}

describe('paginate', () => {
  it('shows the first and last pages and those either side of this one, with gaps for the rest', () => {
    expect(shape(paginate('/c/x', 1, 1).pages)).toBe('');
    expect(shape(paginate('/c/x', 1, 3).pages)).toBe('[1] 2 3');
    expect(shape(paginate('/c/x', 1, 10).pages)).toBe('[1] 2 … 10');
    expect(shape(paginate('/c/x', 4, 10).pages)).toBe('1 2 3 [4] 5 … 10');
    expect(shape(paginate('/c/x', 6, 10).pages)).toBe('1 … 5 [6] 7 … 10');
    expect(shape(paginate('/c/x', 10, 10).pages)).toBe('1 … 9 [10]');
  });

  it('links page 1 at the bare path and keeps the rest of the query', () => {
    const pagination = paginate('/search', 2, 3, { q: 'grants & funding', page: '2' });
    expect(pagination.previous).toBe('/search?q=grants+%26+funding');
    expect(pagination.next).toBe('/search?q=grants+%26+funding&page=3');
    expect(paginate('/t/1', 1, 2).previous).toBeUndefined();
    expect(paginate('/t/1', 2, 2).next).toBeUndefined();
  });
});

describe('the pagination partial', () => {
  const tempDir = useTempDirs('pagination');

  /** The partial rendered as a page would render it. */
  function render(data: object): string {
    const views = tempDir();
    fs.cpSync(path.join(VIEWS_DIR, 'partials'), path.join(views, 'partials'), { recursive: true });
    fs.writeFileSync(path.join(views, 'list.hbs'), '{{> pagination pagination}}');
    // Handlebars writes = in an attribute as &#x3D;, which a browser reads as =.
    return loadTemplates(views).render('list', { pagination: data }).replaceAll('&#x3D;', '=');
  }

  it('links previous and next with rel, marks this page with aria-current and says the page count', () => {
    const html = render(paginate('/c/grants', 2, 7));
    expect(html).toContain('<nav class="pagination" aria-label="Pages">');
    expect(html).toContain('Page 2 of 7');
    expect(html).toMatch(/<a class="pagination__step" href="\/c\/grants" rel="prev">Previous/);
    expect(html).toMatch(/<a class="pagination__step" href="\/c\/grants\?page=3" rel="next">Next/);
    expect(html.match(/aria-current="page"/g)).toHaveLength(1);
    expect(html).toContain('<a class="pagination__page" href="/c/grants?page=2" aria-label="Page 2" aria-current="page">2</a>');
    expect(html).toContain('<li class="pagination__gap" aria-hidden="true">…</li>');
  });

  it('leaves out previous on the first page and next on the last', () => {
    expect(render(paginate('/c/grants', 1, 2))).not.toContain('rel="prev"');
    expect(render(paginate('/c/grants', 2, 2))).not.toContain('rel="next"');
  });

  it('shows nothing for a list of one page', () => {
    expect(render(paginate('/c/grants', 1, 1)).trim()).toBe('');
  });
});
