import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // `digest_sent_for` is the member's local date whose digest has been claimed (sent, or found
  // empty): the claim sets it only where it differs, so one instance takes each day once.
  // `digest_sent_at` closes the window the next digest's resources and busy threads start from.
  // `digest_version` is what the digest's own unsubscribe link is signed over, moved when used.
  await sql`
    alter table members
      add column notification_digest_sent_for date,
      add column notification_digest_sent_at timestamptz,
      add column notification_digest_version integer not null default 0
  `.execute(db);
}
