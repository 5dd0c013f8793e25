/** A view of the library as it was rendered, and the library's version it was read at. */
export interface KeptLibraryView {
  version: number;
  title: string;
  bodyHtml: string;
}

/**
 * Recent views of the library, rendered. A view counts every resource the viewer may see for
 * its facets (a few milliseconds of the database's time at 5,000 resources) and renders 24
 * cards and a hundred facet links (more of the app's time than the rest of the page); a kept one
 * is used while the library's version is unchanged, which one read of a one-row table tells, and
 * for at most MAX_AGE_MS. Changes that leave the version alone show within that time: helpful
 * marks, downloads and replies, which only change the cards' counts and the sorts by them; an
 * administrator changing an agency's name or type; a member changing their display name.
 * Bounded by entries, about 40 KB each. docs/decisions/0012 and 0013 say why.
 */
const MAX_ENTRIES = 100;
const MAX_AGE_MS = 30_000;

export class LibraryCache {
  #entries = new Map<string, { view: KeptLibraryView; storedAt: number }>();

  /** What was kept for this view, unless it is too old; the caller checks its version. */
  get(key: string, now: number): KeptLibraryView | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (now - entry.storedAt > MAX_AGE_MS) return undefined;
    // Most recently used last: the first key is the one to drop.
    this.#entries.set(key, entry);
    return entry.view;
  }

  set(key: string, view: KeptLibraryView, now: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { view, storedAt: now });
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
