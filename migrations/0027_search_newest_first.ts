import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // Search reads each kind's newest rows one by one before it asks the full-text index
  // (docs/decisions/0025): these give threads and posts that order, for members and staff alike
  // (posts_counted_created_at leaves out what staff may still see). resources_newest already
  // serves resources.
  await sql`create index threads_live_created_at on threads (created_at desc) where deleted_at is null`.execute(db);
  await sql`create index posts_live_created_at on posts (created_at desc) where deleted_at is null`.execute(db);
}
