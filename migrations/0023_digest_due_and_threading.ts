import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // The UTC instant of the member's next digest hour, so a poll reads only members who are due
  // (the partial index) rather than judging every member's local hour. Null: no digest (they take
  // no kind in it, or are deactivated or awaiting approval). '-infinity': changed, to be worked
  // out by the next poll (the site's time zone is a setting, which SQL here cannot read): what a
  // new member starts with, and what every member has here (the backfill is the default).
  await sql`alter table members add column notification_digest_due_at timestamptz default '-infinity'`.execute(db);
  await sql`create index members_notification_digest_due on members (notification_digest_due_at) where notification_digest_due_at is not null`.execute(db);

  // The first email about a thread to a member: its Message-ID, which the later ones refer to
  // (In-Reply-To, References) so mail clients group them.
  await sql`alter table notification_emails add column first_message_id text`.execute(db);
}
