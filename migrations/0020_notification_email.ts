import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // A member's choice for one kind of notification. No row means the default for that kind;
  // `version` moves whenever the choice changes, so an unsubscribe link signed over it works once.
  await sql`
    create table notification_preferences (
      member_id bigint not null references members (id) on delete cascade,
      kind text not null check (kind in ('reply', 'mention', 'watched_reply', 'watched_thread', 'answer', 'moderation')),
      delivery text not null check (delivery in ('immediately', 'digest', 'never')),
      version integer not null default 1,
      updated_at timestamptz not null default now(),
      primary key (member_id, kind)
    )
  `.execute(db);
  // The hour (in the member's time zone) the daily digest is sent at.
  await sql`alter table members add column notification_digest_hour smallint not null default 8 check (notification_digest_hour between 0 and 23)`.execute(db);

  await sql`alter table notifications add column emailed_at timestamptz`.execute(db);

  // One row per member and thread that has had notifications to email: `due_at` is set when
  // something waits (null once sent), `last_sent_at` keeps one email per thread per interval.
  await sql`
    create table notification_emails (
      member_id bigint not null references members (id) on delete cascade,
      thread_id bigint not null references threads (id) on delete cascade,
      due_at timestamptz,
      last_sent_at timestamptz,
      batches integer not null default 0,
      primary key (member_id, thread_id)
    )
  `.execute(db);
  await sql`create index notification_emails_due on notification_emails (due_at) where due_at is not null`.execute(db);
}
