import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

const SEARCH_INDEXES = ['posts_search', 'threads_search', 'resources_search', 'members_search_names', 'resource_tags_similar'];

export async function up(db: Kysely<any>): Promise<void> {
  // A GIN index with fastupdate (PostgreSQL's default) puts new entries in a pending list that
  // every search reads whole, until an insert fills it to gin_pending_list_limit (4 MB) and pays
  // for merging it, or a vacuum does. In the soak (RELIABILITY.md) posts_search's list grew to
  // 495 pages (nearly 4 MB) in half an hour, read whole by every search. PostgreSQL's
  // documentation: turn fastupdate off where steady response time matters more than write speed.
  // A forum writes a post a second at most, each a few hundred index entries.
  for (const index of SEARCH_INDEXES) {
    await sql`alter index ${sql.id(index)} set (fastupdate = off)`.execute(db);
    // Turning it off leaves entries already pending for a vacuum: merge them now.
    await sql`select gin_clean_pending_list(${index}::regclass)`.execute(db);
  }
}
