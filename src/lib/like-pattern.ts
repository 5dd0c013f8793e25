/**
 * A LIKE pattern matching text that contains `search`: LIKE's own wildcards and its escape
 * character, typed into a search, stand for themselves. Backslash is PostgreSQL's default LIKE
 * escape, so no ESCAPE clause is needed.
 */
export function containsPattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, '\\$&')}%`;
}
