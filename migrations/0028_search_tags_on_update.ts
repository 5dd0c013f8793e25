import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // Migration 0025 kept resources.search_tags on insert and delete only: an UPDATE of a tag (an
  // administrator renaming one in SQL) left the resource's vector with the old word. Both sides
  // of an update are recounted, so a tag moved to another resource leaves the first one too.
  await sql`create trigger resource_tags_updated_to after update on resource_tags referencing new table as changed_tags for each statement execute function resources_keep_search_tags()`.execute(db);
  await sql`create trigger resource_tags_updated_from after update on resource_tags referencing old table as changed_tags for each statement execute function resources_keep_search_tags()`.execute(db);
}
