import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // The library's version: one more with every change to what /resources lists or counts (a
  // resource shared, edited, removed, featured), in that change's transaction. An instance keeps
  // the facet counts it computed beside the version they were read at (one statement, one
  // snapshot), and a cheap read of this row tells it whether they still hold.
  await db.schema
    .createTable('resource_library_version')
    .addColumn('one', 'boolean', (c) => c.primaryKey().defaultTo(true).check(sql`one`))
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.insertInto('resource_library_version').values({ one: true }).execute();
}
