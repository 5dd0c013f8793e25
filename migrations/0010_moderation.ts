import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

// Issue 10, moderation: every table and column its parts use, in one migration so the parts
// (flags and the queue, thread and post actions, warnings and suspensions, approvals) share it.
export async function up(db: Kysely<any>): Promise<void> {
  // Why a moderator hid a post, shown to its author; who hid it (null: hidden by flags reaching
  // the threshold, until a moderator reviews it).
  await db.schema
    .alterTable('posts')
    .addColumn('hidden_reason', 'text', (c) => c.check(sql`char_length(hidden_reason) <= 1000`))
    .addColumn('hidden_by', 'bigint', (c) => c.references('members.id'))
    // Waiting for a moderator's approval: a new member's first posts, or the same text posted in
    // several threads. Seen only by its author (marked) and staff until approved.
    .addColumn('held_at', 'timestamptz')
    .addColumn('held_reason', 'text', (c) => c.check(sql`held_reason in ('first_posts', 'repeated_text')`))
    .execute();
  await db.schema.alterTable('posts').addCheckConstraint('posts_held_with_reason', sql`(held_at is null) = (held_reason is null)`).execute();
  await sql`create index posts_held on posts (held_at) where held_at is not null`.execute(db);

  // A moderator's edit is kept in the revisions like the author's, and says so.
  await db.schema.alterTable('post_revisions').addColumn('by_moderator', 'boolean', (c) => c.notNull().defaultTo(false)).execute();

  await db.schema
    .alterTable('threads')
    // Optimistic concurrency for moderators' actions: each one names the version it saw, and a
    // second action on the same version is refused (409) with the thread as it now is.
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    // Pinned at the top of every category list and the home page, not only its own category.
    .addColumn('pinned_site_wide', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('hidden_reason', 'text', (c) => c.check(sql`char_length(hidden_reason) <= 1000`))
    // A thread merged into another: its URL redirects there.
    .addColumn('merged_into_id', 'bigint', (c) => c.references('threads.id'))
    .execute();
  await db.schema.alterTable('threads').addCheckConstraint('threads_site_wide_pin_is_a_pin', sql`not pinned_site_wide or pinned_at is not null`).execute();

  // A resource hidden by flags or by a moderator (removal is the sharer's or a moderator's
  // decision to take it out of the library; hiding is moderation pending or done).
  await db.schema
    .alterTable('resources')
    .addColumn('hidden_at', 'timestamptz')
    .addColumn('hidden_reason', 'text', (c) => c.check(sql`char_length(hidden_reason) <= 1000`))
    .addColumn('hidden_by', 'bigint', (c) => c.references('members.id'))
    .execute();

  // One flag per member per post or resource; resolved together when a moderator acts.
  await db.schema
    .createTable('flags')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('post_id', 'bigint', (c) => c.references('posts.id').onDelete('cascade'))
    .addColumn('resource_id', 'bigint', (c) => c.references('resources.id').onDelete('cascade'))
    .addColumn('flagger_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`reason in ('off_topic', 'disrespectful', 'conduct', 'spam', 'other')`))
    .addColumn('note', 'text', (c) => c.check(sql`char_length(note) <= 1000`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolved_by', 'bigint', (c) => c.references('members.id'))
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in ('kept', 'hidden', 'deleted', 'edited')`))
    .addCheckConstraint('flags_one_target', sql`num_nonnulls(post_id, resource_id) = 1`)
    .addCheckConstraint('flags_resolved_with_outcome', sql`(resolved_at is null) = (outcome is null)`)
    .execute();
  await sql`create unique index flags_once_per_post on flags (post_id, flagger_id) where post_id is not null`.execute(db);
  await sql`create unique index flags_once_per_resource on flags (resource_id, flagger_id) where resource_id is not null`.execute(db);
  await sql`create index flags_open on flags (created_at, id) where resolved_at is null`.execute(db);
  await db.schema.createIndex('flags_flagger_id').on('flags').column('flagger_id').execute();

  // A private notice to a member, which they must acknowledge before they post again.
  await db.schema
    .createTable('member_warnings')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('moderator_id', 'bigint', (c) => c.notNull().references('members.id'))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`char_length(reason) between 1 and 1000`))
    // The post or resource it is about, if any.
    .addColumn('post_id', 'bigint', (c) => c.references('posts.id').onDelete('set null'))
    .addColumn('resource_id', 'bigint', (c) => c.references('resources.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('acknowledged_at', 'timestamptz')
    .execute();
  await sql`create index member_warnings_unacknowledged on member_warnings (member_id) where acknowledged_at is null`.execute(db);

  await db.schema
    .alterTable('members')
    // Suspended until then, with the reason they read when they try to sign in.
    .addColumn('suspended_until', 'timestamptz')
    .addColumn('suspension_reason', 'text', (c) => c.check(sql`char_length(suspension_reason) <= 1000`))
    // Verified, and waiting for a moderator's approval (when approvals are on); null once approved.
    .addColumn('awaiting_approval_since', 'timestamptz')
    .execute();
  await db.schema.alterTable('members').addCheckConstraint('members_suspended_with_reason', sql`(suspended_until is null) = (suspension_reason is null)`).execute();
  await sql`create index members_awaiting_approval on members (awaiting_approval_since) where awaiting_approval_since is not null`.execute(db);

  // Members hear the outcome of their flags, and of actions on their own content.
  await sql`alter table notifications drop constraint notifications_kind_check`.execute(db);
  await sql`alter table notifications add constraint notifications_kind_check check (kind in ('reply', 'mention', 'watched_reply', 'watched_thread', 'answer', 'flag_outcome', 'moderation'))`.execute(db);
}
