import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // A setting an administrator changed at /admin/settings, in the text form its environment
  // variable takes: no row means the environment's value (or the default) is in force. Apart from
  // site_settings, which keeps the site's own facts (such as "the domain rules were seeded").
  await db.schema
    .createTable('setting_overrides')
    .addColumn('name', 'text', (c) => c.primaryKey().check(sql`name ~ '^[A-Z_]{1,64}$'`))
    .addColumn('value', 'text', (c) => c.notNull().check(sql`length(value) <= 1000`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by', 'bigint', (c) => c.references('members.id'))
    .execute();
}
