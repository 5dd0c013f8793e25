import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // A moderator's rename is kept like the author's, and says so (as post_revisions.by_moderator
  // does), so the revisions page can show "a moderator" rather than their name.
  await db.schema.alterTable('thread_title_revisions').addColumn('by_moderator', 'boolean', (c) => c.notNull().defaultTo(false)).execute();

  // Hidden because a moderator hid the resource it discusses: showing the resource again shows
  // it again, while a thread a moderator hid on its own account stays hidden.
  await db.schema.alterTable('threads').addColumn('hidden_with_resource', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await db.schema.alterTable('threads').addCheckConstraint('threads_hidden_with_resource_is_hidden', sql`not hidden_with_resource or hidden_at is not null`).execute();
}
