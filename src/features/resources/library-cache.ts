import type { LibraryCounts } from './queries/library.js';

/**
 * The facet counts and page ids of recent views of the library, each with the library version
 * it was read at. Counting the facets reads every resource the viewer may see (a few
 * milliseconds of the database's time at 5,000 resources, on every view); a kept one is used
 * while the library's version is unchanged, which one read of a one-row table tells. Changes
 * that leave the version alone (helpful marks and downloads, which only reorder the sorts by
 * them; an administrator changing an agency's type) show within MAX_AGE_MS.
 * docs/decisions/0012-library-facet-counts.md says why.
 */
const MAX_ENTRIES = 100;
const MAX_AGE_MS = 30_000;

export class LibraryCache {
  #entries = new Map<string, { counts: LibraryCounts; storedAt: number }>();

  /** What was kept for this view, unless it is too old; the caller checks its version. */
  get(key: string, now: number): LibraryCounts | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (now - entry.storedAt > MAX_AGE_MS) return undefined;
    // Most recently used last: the first key is the one to drop.
    this.#entries.set(key, entry);
    return entry.counts;
  }

  set(key: string, counts: LibraryCounts, now: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { counts, storedAt: now });
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
