import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // Who may see a category, and who may start threads in it: every member, or only
  // moderators and administrators (an announcements board; a lounge members never see).
  const audience = (column: string) => sql.raw(`${column} in ('members', 'moderators')`);
  await db.schema
    .createTable('categories')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('slug', 'text', (c) => c.notNull().unique().check(sql`slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 60`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`char_length(name) between 1 and 80`))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo('').check(sql`char_length(description) <= 500`))
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('visible_to', 'text', (c) => c.notNull().defaultTo('members').check(audience('visible_to')))
    .addColumn('threads_started_by', 'text', (c) => c.notNull().defaultTo('members').check(audience('threads_started_by')))
    // Kept by the services in the same transaction as the post: /c reads them without counting.
    .addColumn('thread_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('post_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_posted_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('threads')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('category_id', 'bigint', (c) => c.notNull().references('categories.id'))
    .addColumn('author_id', 'bigint', (c) => c.notNull().references('members.id'))
    .addColumn('title', 'text', (c) => c.notNull().check(sql`char_length(title) between 1 and 150`))
    .addColumn('slug', 'text', (c) => c.notNull().check(sql`char_length(slug) <= 80`))
    // The form that started it: a resubmitted form finds this thread instead of making another.
    .addColumn('form_token', 'uuid', (c) => c.notNull().unique())
    // Positions handed out so far (the first post is 1); a deleted post keeps its position, so
    // page N is a range of positions, never an OFFSET.
    .addColumn('post_count', 'integer', (c) => c.notNull().defaultTo(1))
    // Replies members can read (not deleted, not hidden): what lists show.
    .addColumn('reply_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_posted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_poster_id', 'bigint', (c) => c.references('members.id'))
    .addColumn('pinned_at', 'timestamptz')
    .addColumn('locked_at', 'timestamptz')
    .addColumn('hidden_at', 'timestamptz')
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('title_edited_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // A category page: pinned first, then latest activity.
  await sql`create index threads_category_activity on threads (category_id, (pinned_at is null), last_posted_at desc, id desc) where deleted_at is null`.execute(db);
  await sql`create index threads_activity on threads (last_posted_at desc, id desc) where deleted_at is null`.execute(db);
  await db.schema.createIndex('threads_author_id').on('threads').column('author_id').execute();

  await db.schema
    .createTable('thread_title_revisions')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('thread_id', 'bigint', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    // The title as it was before the edit, who replaced it, and when.
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('replaced_by', 'bigint', (c) => c.references('members.id'))
    .addColumn('replaced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('thread_title_revisions_thread_id').on('thread_title_revisions').column('thread_id').execute();

  await db.schema
    .createTable('posts')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('thread_id', 'bigint', (c) => c.notNull().references('threads.id'))
    .addColumn('author_id', 'bigint', (c) => c.notNull().references('members.id'))
    .addColumn('position', 'integer', (c) => c.notNull().check(sql`position >= 1`))
    .addColumn('reply_to_post_id', 'bigint', (c) => c.references('posts.id'))
    // 0 for a post that answers the thread; one more than the post it answers otherwise.
    .addColumn('depth', 'integer', (c) => c.notNull().defaultTo(0).check(sql`depth >= 0`))
    .addColumn('body_source', 'text', (c) => c.notNull().check(sql`char_length(body_source) between 1 and 32000`))
    // The sanitised HTML of body_source, and the renderer version that made it: a new renderer
    // re-renders old posts when they are next shown.
    .addColumn('body_html', 'text', (c) => c.notNull())
    .addColumn('renderer_version', 'integer', (c) => c.notNull())
    // Optimistic locking: an edit names the version it started from.
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('form_token', 'uuid', (c) => c.notNull().unique())
    .addColumn('helpful_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('answered_at', 'timestamptz')
    .addColumn('answered_by', 'bigint', (c) => c.references('members.id'))
    .addColumn('edited_at', 'timestamptz')
    .addColumn('hidden_at', 'timestamptz')
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('deleted_by', 'bigint', (c) => c.references('members.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('posts_thread_position', ['thread_id', 'position'])
    .addCheckConstraint('posts_first_is_not_an_answer', sql`position > 1 or answered_at is null`)
    .execute();
  // One answer per thread, whoever races to mark it.
  await sql`create unique index posts_one_answer on posts (thread_id) where answered_at is not null`.execute(db);
  await sql`create index posts_author_recent on posts (author_id, created_at desc, id desc) where deleted_at is null`.execute(db);
  await sql`create index posts_reply_to on posts (reply_to_post_id) where reply_to_post_id is not null`.execute(db);

  await db.schema
    .createTable('post_revisions')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('post_id', 'bigint', (c) => c.notNull().references('posts.id').onDelete('cascade'))
    // The text as it was at `version`, before the edit that replaced it.
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('body_source', 'text', (c) => c.notNull())
    .addColumn('written_at', 'timestamptz', (c) => c.notNull())
    .addColumn('replaced_by', 'bigint', (c) => c.references('members.id'))
    .addColumn('replaced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('post_revisions_post_version', ['post_id', 'version'])
    .execute();

  await db.schema
    .createTable('post_reactions')
    .addColumn('post_id', 'bigint', (c) => c.notNull().references('posts.id').onDelete('cascade'))
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('helpful').check(sql`kind in ('helpful')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('post_reactions_pkey', ['post_id', 'member_id', 'kind'])
    .execute();

  // How far each member has read each thread: the highest position they have been shown.
  await db.schema
    .createTable('thread_reads')
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('thread_id', 'bigint', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addColumn('last_read_position', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('thread_reads_pkey', ['member_id', 'thread_id'])
    .execute();

  await db.schema
    .createTable('thread_watches')
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('thread_id', 'bigint', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addColumn('level', 'text', (c) => c.notNull().check(sql`level in ('watching', 'muted')`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('thread_watches_pkey', ['member_id', 'thread_id'])
    .execute();
  await sql`create index thread_watches_watchers on thread_watches (thread_id) where level = 'watching'`.execute(db);

  await db.schema
    .createTable('category_watches')
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('category_id', 'bigint', (c) => c.notNull().references('categories.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('category_watches_pkey', ['member_id', 'category_id'])
    .execute();
  await db.schema.createIndex('category_watches_category_id').on('category_watches').column('category_id').execute();

  // In-app notifications, one per member per post per kind. Email delivery (a later feature)
  // reads this table; whether a member may still see the post is checked when it is shown.
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('reply', 'mention', 'watched_reply', 'watched_thread', 'answer')`))
    .addColumn('actor_id', 'bigint', (c) => c.references('members.id').onDelete('set null'))
    .addColumn('thread_id', 'bigint', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addColumn('post_id', 'bigint', (c) => c.notNull().references('posts.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('read_at', 'timestamptz')
    .addUniqueConstraint('notifications_once', ['member_id', 'post_id', 'kind'])
    .execute();
  await sql`create index notifications_recent on notifications (member_id, created_at desc, id desc)`.execute(db);
  await sql`create index notifications_unread on notifications (member_id) where read_at is null`.execute(db);

  // The first start's categories, for a community of practitioners; administrators change them.
  await db
    .insertInto('categories')
    .values([
      { slug: 'introductions', name: 'Introductions', description: 'Say who you are, where you work and what you hope to share or learn.', position: 1 },
      { slug: 'questions', name: 'Questions and answers', description: 'Ask how other agencies handle something; mark the reply that answered it.', position: 2 },
      { slug: 'social-media-practice', name: 'Social media practice', description: 'Running agency accounts: planning, moderating public comments, measuring, responding in a crisis.', position: 3 },
      { slug: 'policy-and-governance', name: 'Policy and governance', description: 'Policies, approvals, records keeping, the code of conduct online and the rules behind the work.', position: 4 },
      { slug: 'tools-and-platforms', name: 'Tools and platforms', description: 'Scheduling, monitoring, archiving and accessibility tools, and how the platforms change.', position: 5 },
      { slug: 'announcements', name: 'Announcements', description: 'News from the moderators and the operators of Commons.', position: 6, threads_started_by: 'moderators' },
      { slug: 'moderators', name: 'Moderators’ lounge', description: 'For moderators and administrators only: members cannot see this category.', position: 7, visible_to: 'moderators', threads_started_by: 'moderators' },
    ])
    .execute();
}
