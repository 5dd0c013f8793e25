import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // The unread counts of /c: a category's threads active in the last few weeks, newest first, as
  // a range on last activity (threads_category_activity puts "pinned" between the category and
  // the time, so a range there reads every entry of the category). The id and post count ride
  // along, so where the table's pages are all-visible the count reads the index alone.
  await sql`create index threads_category_recent on threads (category_id, last_posted_at) include (id, post_count) where deleted_at is null and hidden_at is null`.execute(db);
}
