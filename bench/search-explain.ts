import { performance } from 'node:perf_hooks';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import type { DB } from '../src/db/schema.js';
import { searchSite } from '../src/features/search/service.js';
import { SearchQuery } from '../src/features/search/schemas.js';

/**
 * `node dist/bench/search-explain.js <query>...` with DATABASE_URL at a seeded forum: runs the
 * search route's service as a member (no filters, page 1), times each statement it runs, and
 * shows EXPLAIN (ANALYZE, BUFFERS) of each that took over EXPLAIN_OVER ms (20; EXPLAIN_ALL=1 for
 * every one), with a custom plan and with the generic plan a prepared statement is given after
 * five runs.
 */
const url = process.env.DATABASE_URL!;
const pool = new pg.Pool({ connectionString: url, max: 1 });
const captured: CompiledQuery[] = [];
const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: (event) => void captured.push(event.query) });
const member = await pool.query<{ id: string }>(`select id from members where role = 'member' order by id limit 1`);
const viewer = { id: Number(member.rows[0]!.id), role: 'member' as const, timeZone: 'Australia/Sydney' };
const literal = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return pg.Client.prototype.escapeLiteral(`{${value.map((v) => `"${String(v)}"`).join(',')}}`);
  if (value instanceof Date) return pg.Client.prototype.escapeLiteral(value.toISOString());
  return pg.Client.prototype.escapeLiteral(String(value));
};
for (const q of process.argv.slice(2)) {
  captured.length = 0;
  const started = performance.now();
  await searchSite({ db, settings: undefined as never } as never, viewer as never, SearchQuery.parse({ q }));
  console.log(`\n=== ${q}: searchSite ${(performance.now() - started).toFixed(1)} ms, ${captured.length} statements`);
  for (const [i, query] of captured.entries()) {
    const t0 = performance.now();
    await pool.query(query.sql, query.parameters as unknown[]);
    const ms = performance.now() - t0;
    console.log(`\n--- statement ${i + 1}: ${ms.toFixed(1)} ms: ${query.sql.replace(/\s+/g, ' ').slice(0, 120)}`);
    if (process.env.EXPLAIN_ALL || ms > Number(process.env.EXPLAIN_OVER ?? 20)) {
      const custom = await pool.query(`explain (analyze, buffers) ${query.sql}`, query.parameters as unknown[]);
      console.log('custom plan:\n' + custom.rows.map((r) => r['QUERY PLAN']).join('\n'));
      await pool.query(`prepare explained as ${query.sql}`);
      await pool.query('set plan_cache_mode = force_generic_plan');
      const generic = await pool.query(`explain (analyze, buffers) execute explained(${query.parameters.map(literal).join(', ')})`);
      console.log('generic plan:\n' + generic.rows.map((r) => r['QUERY PLAN']).join('\n'));
      await pool.query('reset plan_cache_mode');
      await pool.query('deallocate explained');
    }
  }
}
await db.destroy();
