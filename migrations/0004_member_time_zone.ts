import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // The member's own IANA time zone for the times they are shown; null means the site's
  // (TIME_ZONE). Which names are valid is Intl's to say and changes with it, so it is checked
  // where the member chooses it; here only its length.
  await db.schema
    .alterTable('members')
    .addColumn('time_zone', 'text', (c) => c.check(sql`char_length(time_zone) between 1 and 64`))
    .execute();
}
