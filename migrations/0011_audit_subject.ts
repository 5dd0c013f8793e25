import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // The member an event is about (the author of a hidden post, a suspended member), so a member
  // can list the actions taken on their own content, and /mod/log can filter by member, by key.
  await db.schema.alterTable('audit_events').addColumn('subject_member_id', 'bigint', (c) => c.references('members.id')).execute();
  await sql`create index audit_events_subject on audit_events (subject_member_id, occurred_at desc, id desc) where subject_member_id is not null`.execute(db);
}
