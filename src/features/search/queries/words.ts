import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../../db/types.js';

/* The words as PostgreSQL reads them, for every statement of a search. */

// Highlight markers that cannot be HTML: control characters, stripped from the text first, so
// the snippet can be escaped whole and only the markers made into <mark> (highlightedHtml).
export const MARK_START = '\u0001';
export const MARK_STOP = '\u0002';

/** The words as a tsquery: "quoted phrases", -exclusions and OR, never a syntax error. */
export function tsquery(text: string): RawBuilder<unknown> {
  return sql`websearch_to_tsquery('english', ${text}::text)`;
}

/** What a query comes to once stop words are dropped: nothing, only exclusions, or something to find. */
export async function analyseQuery(db: Db, text: string): Promise<'empty' | 'only-exclusions' | 'searchable'> {
  const { rows } = await sql<{ nodes: number; tree: string }>`select numnode(${tsquery(text)}) as nodes, querytree(${tsquery(text)}) as tree`.execute(db);
  const row = rows[0]!;
  if (row.nodes === 0) return 'empty';
  // querytree leaves out what an index cannot find (a negation on its own): 'T' means nothing is left.
  return row.tree === 'T' ? 'only-exclusions' : 'searchable';
}
