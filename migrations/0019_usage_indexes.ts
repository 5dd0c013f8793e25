import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // /admin/usage counts a year of rows by week: each of these serves one of its range scans, so
  // the page reads only that year's rows, and only the columns it counts, however old the site.
  // Posts members see (not deleted, hidden or held), with what the active-member count needs.
  await sql`create index posts_counted_created_at on posts (created_at) include (author_id, thread_id) where deleted_at is null and hidden_at is null and held_at is null`.execute(db);
  await db.schema.createIndex('members_created_at').on('members').column('created_at').execute();
  await sql`create index audit_events_signins on audit_events (occurred_at) include (actor_member_id) where action = 'signin.succeeded'`.execute(db);
  // The most downloaded resources in the library: the first twenty entries of this index.
  await sql`create index resources_most_downloaded on resources (download_count desc, helpful_count desc, id desc) where removed_at is null and hidden_at is null`.execute(db);
}
