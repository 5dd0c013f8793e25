import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // Site-wide facts and settings, one row each (e.g. "the domain rules were seeded").
  await db.schema
    .createTable('site_settings')
    .addColumn('key', 'text', (c) => c.primaryKey().check(sql`key ~ '^[a-z][a-z0-9_.]{1,79}$'`))
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Agencies are first-class: machinery-of-government changes rename and merge them, and
  // members follow. A provisional agency is an email domain no administrator has mapped yet.
  await db.schema
    .createTable('agencies')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`char_length(name) between 1 and 200`))
    .addColumn('jurisdiction', 'text', (c) => c.check(sql`jurisdiction in ('commonwealth', 'state', 'territory', 'local')`))
    .addColumn('parent_agency_id', 'bigint', (c) => c.references('agencies.id').onDelete('set null'))
    .addColumn('provisional_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index agencies_name on agencies (lower(name))`.execute(db);

  await db.schema
    .createTable('domain_rules')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('domain', 'text', (c) => c.notNull().check(sql`domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$' and char_length(domain) <= 253`))
    .addColumn('effect', 'text', (c) => c.notNull().check(sql`effect in ('allow', 'block')`))
    .addColumn('agency_id', 'bigint', (c) => c.references('agencies.id').onDelete('set null'))
    .addColumn('note', 'text', (c) => c.check(sql`char_length(note) <= 500`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('domain_rules_domain_effect', ['domain', 'effect'])
    .execute();

  await db.schema
    .createTable('members')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('email', 'text', (c) => c.notNull().check(sql`char_length(email) <= 254`))
    .addColumn('canonical_email', 'text', (c) => c.notNull().unique().check(sql`canonical_email = lower(canonical_email) and char_length(canonical_email) <= 254`))
    .addColumn('display_name', 'text', (c) => c.notNull().check(sql`char_length(display_name) between 1 and 80`))
    .addColumn('handle', 'text', (c) => c.notNull().check(sql`handle ~ '^[A-Za-z0-9_]{3,30}$'`))
    .addColumn('job_title', 'text', (c) => c.check(sql`char_length(job_title) <= 120`))
    .addColumn('bio', 'text', (c) => c.check(sql`char_length(bio) <= 1000`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('member').check(sql`role in ('member', 'moderator', 'administrator')`))
    .addColumn('agency_id', 'bigint', (c) => c.references('agencies.id').onDelete('set null'))
    .addColumn('guidelines_version', 'text', (c) => c.notNull())
    .addColumn('guidelines_accepted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('verified_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deactivated_at', 'timestamptz')
    .addColumn('last_signed_in_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index members_handle on members (lower(handle))`.execute(db);
  await db.schema.createIndex('members_agency_id').on('members').column('agency_id').execute();

  // An address that asked to join and has not finished: no password exists until step 2.
  await db.schema
    .createTable('signup_requests')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('email', 'text', (c) => c.notNull().check(sql`char_length(email) <= 254`))
    .addColumn('canonical_email', 'text', (c) => c.notNull().unique())
    .addColumn('guidelines_version', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Links in emails. Only a SHA-256 of the token is stored, so the table holds nothing usable.
  await db.schema
    .createTable('email_tokens')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('verify', 'reset', 'unlock')`))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('canonical_email', 'text', (c) => c.notNull())
    .addColumn('member_id', 'bigint', (c) => c.references('members.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('email_tokens_canonical_email').on('email_tokens').columns(['canonical_email', 'purpose']).execute();

  // Failed sign-ins per submitted address, member or not, so a lock reveals nothing.
  await db.schema
    .createTable('signin_locks')
    .addColumn('canonical_email', 'text', (c) => c.primaryKey())
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lock_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('last_failure_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Browsers a member has signed in from (a long-lived random cookie, stored hashed): staff are
  // emailed when they sign in from a new one, which stands in for a second factor for now.
  await db.schema
    .createTable('member_devices')
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('device_hash', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('member_devices_pkey', ['member_id', 'device_hash'])
    .execute();

  await db.schema
    .alterTable('sessions')
    .addColumn('member_id', 'bigint', (c) => c.references('members.id').onDelete('cascade'))
    .addColumn('public_id', 'uuid', (c) => c.unique())
    .addColumn('user_agent', 'text')
    .addColumn('ip_address', sql`inet`)
    .addColumn('last_seen_at', 'timestamptz')
    .addColumn('absolute_expires_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('sessions_member_id').on('sessions').columns(['member_id', 'created_at']).execute();

  await db.schema.alterTable('audit_events').addForeignKeyConstraint('audit_events_actor_member', ['actor_member_id'], 'members', ['id']).execute();
}
