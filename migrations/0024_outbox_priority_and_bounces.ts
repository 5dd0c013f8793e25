import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // How soon a queued email goes: 0 an account or security email (a sign-up link, a password
  // reset), 1 a notification, 2 a daily digest. The worker claims by priority, then by when the
  // email is due, so the morning's digests never queue in front of a password reset.
  await sql`alter table outbound_emails add column priority smallint not null default 1 check (priority between 0 and 2)`.execute(db);
  await sql`
    update outbound_emails set priority = case
      when kind = 'notification.digest' then 2
      when kind = 'notification' or kind like 'moderation.post-%' then 1
      else 0
    end
    where status in ('pending', 'sending')
  `.execute(db);
  // The claim reads this index in its own order: the most urgent kind first, then the oldest due.
  await sql`create index outbound_emails_claim on outbound_emails (priority, next_attempt_at) where status in ('pending', 'sending')`.execute(db);
  await sql`drop index outbound_emails_due`.execute(db);

  // The member's address refused email for good (a hard bounce) while they stayed a member: when,
  // and the receiving server's reply. Notification emails and digests stop until the address
  // changes or the member asks to try again.
  await sql`
    alter table members
      add column email_bounced_at timestamptz,
      add column email_bounce_response text
  `.execute(db);
}
