import type { Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // Refused tries at a link's form (a taken handle, a weak password): past a few the link is
  // spent, so a replayed form cannot be sent for ever.
  await db.schema
    .alterTable('email_tokens')
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
