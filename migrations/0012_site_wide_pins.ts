import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // Site-wide pins lead every category page and the home page: a handful of rows, found by this
  // index rather than a scan of every thread on each of those pages.
  await sql`create index threads_site_wide_pins on threads (last_posted_at desc, id desc) where pinned_site_wide and deleted_at is null`.execute(db);
}
