import { sql } from 'kysely';
import type { Database } from '../../../src/db/database.js';

type Db = Database['db'];

/**
 * A whole-database fingerprint cheap enough to take around every request: per table, its row
 * count and the newest `xmin` among its rows. Every INSERT and UPDATE writes a row version whose
 * xmin is the writing transaction's id, newer than any before it, so it moves the maximum; a
 * DELETE moves the count. A transaction that rolled back leaves no visible row, so it changes
 * nothing here, as it should.
 *
 * Nothing can change a row without a transaction id being assigned, so `writesSince` (is the next
 * id still the one noted before the request?) answers most requests with one query, and the
 * table scans run only after something wrote (or an autovacuum's ANALYZE, which is harmless:
 * its catalog rows are not in any of these tables).
 */
export class DatabaseFingerprint {
  private constructor(private readonly db: Db, private readonly query: ReturnType<typeof sql.raw>) {}

  static async of(db: Db): Promise<DatabaseFingerprint> {
    const { rows } = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = 'public' order by tablename`.execute(db);
    const perTable = rows.map(({ name }) => `select '${name}' as name, count(*)::text || ':' || coalesce(max(xmin::text::bigint), 0)::text as print from "${name}"`);
    return new DatabaseFingerprint(db, sql.raw(perTable.join(' union all ')));
  }

  /** The next transaction id to be assigned: unchanged means nothing wrote anything since. */
  async nextTransactionId(): Promise<string> {
    const { rows } = await sql<{ next: string }>`select pg_snapshot_xmax(pg_current_snapshot())::text as next`.execute(this.db);
    return rows[0]!.next;
  }

  async take(): Promise<Map<string, string>> {
    const { rows } = await this.query.execute(this.db);
    return new Map((rows as { name: string; print: string }[]).map(({ name, print }) => [name, print]));
  }
}

/** The tables whose print differs between two fingerprints. */
export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((name) => before.get(name) !== after.get(name));
}
