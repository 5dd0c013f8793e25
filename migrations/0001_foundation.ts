import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // One row per security-relevant event. Later issues add members; actor_member_id gains its
  // foreign key then. The trigger below makes the table append-only in the database itself.
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor_member_id', 'bigint')
    .addColumn('actor_label', 'text', (c) => c.check(sql`char_length(actor_label) <= 200`))
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action ~ '^[a-z][a-z0-9_.]{1,79}$'`))
    .addColumn('target_type', 'text', (c) => c.check(sql`target_type ~ '^[a-z][a-z_]{1,39}$'`))
    .addColumn('target_id', 'text', (c) => c.check(sql`char_length(target_id) <= 200`))
    .addColumn('ip_address', sql`inet`)
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addCheckConstraint('audit_events_actor', sql`num_nonnulls(actor_member_id, actor_label) = 1`)
    .addCheckConstraint('audit_events_target', sql`(target_type is null) = (target_id is null)`)
    .execute();
  await db.schema.createIndex('audit_events_occurred_at').on('audit_events').column('occurred_at').execute();
  await db.schema.createIndex('audit_events_actor_member_id').on('audit_events').columns(['actor_member_id', 'occurred_at']).execute();
  await db.schema.createIndex('audit_events_target').on('audit_events').columns(['target_type', 'target_id']).execute();

  await sql`
    create function audit_events_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`
    create trigger audit_events_no_update_or_delete before update or delete on audit_events
    for each row execute function audit_events_refuse_change()`.execute(db);
  await sql`
    create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function audit_events_refuse_change()`.execute(db);

  // The session store keys rows by a SHA-256 of the session id, so the table never holds a
  // usable cookie value.
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();

  // The mail outbox: rows are written in the transaction that causes the email and sent by
  // the worker (src/jobs/mail-worker.ts). next_attempt_at doubles as the claim lease.
  await db.schema
    .createTable('outbound_emails')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('to_address', 'text', (c) => c.notNull().check(sql`char_length(to_address) <= 320 and to_address !~ '[\r\n]'`))
    .addColumn('subject', 'text', (c) => c.notNull().check(sql`char_length(subject) <= 300 and subject !~ '[\r\n]'`))
    .addColumn('text_body', 'text')
    .addColumn('html_body', 'text')
    .addColumn('headers', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind ~ '^[a-z][a-z0-9_.-]{1,59}$'`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'sending', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('failed_at', 'timestamptz')
    .addCheckConstraint('outbound_emails_sent_has_no_body', sql`status <> 'sent' or (text_body is null and html_body is null)`)
    .execute();
  await sql`create index outbound_emails_due on outbound_emails (next_attempt_at) where status in ('pending', 'sending')`.execute(db);
  await sql`create index outbound_emails_sent_at on outbound_emails (sent_at) where status = 'sent'`.execute(db);
  await sql`create index outbound_emails_failed on outbound_emails (failed_at) where status = 'failed'`.execute(db);

  // Messages to the operators from the contact page, kept so none is lost to a mail outage.
  await db.schema
    .createTable('contact_messages')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('form_token', 'uuid', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`char_length(name) between 1 and 100`))
    .addColumn('email', 'text', (c) => c.notNull().check(sql`char_length(email) between 3 and 254`))
    .addColumn('subject', 'text', (c) => c.notNull().check(sql`char_length(subject) between 1 and 150`))
    .addColumn('message', 'text', (c) => c.notNull().check(sql`char_length(message) between 1 and 5000`))
    .addColumn('ip_address', sql`inet`)
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('contact_messages_created_at').on('contact_messages').column('created_at').execute();
}
