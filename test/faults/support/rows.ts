import { sql } from 'kysely';
import type { Database } from '../../../src/db/database.js';

/**
 * The row count of every table in the public schema, by name: equal before and after, nothing
 * was written anywhere, including tables no one thought to list.
 */
export async function countEveryTable(db: Database['db']): Promise<Record<string, number>> {
  const { rows } = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db);
  const counts: Record<string, number> = {};
  for (const { table_name: table } of rows) {
    const { rows: [row] } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    counts[table] = Number(row!.n);
  }
  return counts;
}

/** The tables whose counts differ, with both counts: an empty object when nothing changed. */
export function changedCounts(before: Record<string, number>, after: Record<string, number>): Record<string, { before: number; after: number }> {
  const changed: Record<string, { before: number; after: number }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[table] !== after[table]) changed[table] = { before: before[table] ?? 0, after: after[table] ?? 0 };
  }
  return changed;
}
