import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // The seeds' catalogue is searched "by type of agency and type of initiative".
  await db.schema
    .alterTable('agencies')
    .addColumn('agency_type', 'text', (c) => c.check(sql`agency_type in ('department', 'regulator', 'service_delivery', 'council', 'statutory_body', 'other')`))
    .execute();

  await db.schema
    .createTable('initiative_types')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('slug', 'text', (c) => c.notNull().unique().check(sql`slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 60`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`char_length(name) between 1 and 80`))
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Stored file contents, one row per distinct SHA-256, written in chunks by short statements;
  // `stored_at` is set once the last chunk is in, so a half-written blob is never served and
  // housekeeping removes it.
  await db.schema
    .createTable('file_blobs')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('sha256', 'bytea', (c) => c.notNull().unique().check(sql`octet_length(sha256) = 32`))
    .addColumn('byte_size', 'bigint', (c) => c.notNull().check(sql`byte_size > 0`))
    .addColumn('chunk_count', 'integer', (c) => c.notNull().check(sql`chunk_count > 0`))
    .addColumn('stored_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('file_blob_chunks')
    .addColumn('blob_id', 'bigint', (c) => c.notNull().references('file_blobs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull().check(sql`seq >= 0`))
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_blob_chunks_pkey', ['blob_id', 'seq'])
    .execute();
  // Uploads are mostly compressed already (PDF, Office, images): TOAST's compression would
  // spend CPU for nothing.
  await sql`alter table file_blob_chunks alter column data set storage external`.execute(db);

  await db
    .insertInto('categories')
    .values({ slug: 'resource-library', name: 'Resource library', description: 'Talk about the case studies, guides and templates members share: every resource has its thread here.', position: 8 })
    .execute();

  await db.schema
    .createTable('resources')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('case_study', 'guide', 'template', 'policy', 'presentation', 'link', 'other')`))
    .addColumn('title', 'text', (c) => c.notNull().check(sql`char_length(title) between 1 and 150`))
    .addColumn('summary', 'text', (c) => c.notNull().check(sql`char_length(summary) between 1 and 600`))
    // Markdown and its sanitised HTML, as for posts. A case study reads in four sections; its
    // body is what else there is to say, and may be empty.
    .addColumn('body_source', 'text', (c) => c.notNull().defaultTo('').check(sql`char_length(body_source) <= 32000`))
    .addColumn('body_html', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('context_source', 'text')
    .addColumn('context_html', 'text')
    .addColumn('approach_source', 'text')
    .addColumn('approach_html', 'text')
    .addColumn('outcome_source', 'text')
    .addColumn('outcome_html', 'text')
    .addColumn('lessons_source', 'text')
    .addColumn('lessons_html', 'text')
    .addColumn('renderer_version', 'integer', (c) => c.notNull())
    .addColumn('external_url', 'text', (c) => c.check(sql`external_url ~ '^https?://' and char_length(external_url) <= 2000`))
    .addColumn('sharer_id', 'bigint', (c) => c.notNull().references('members.id'))
    .addColumn('agency_id', 'bigint', (c) => c.references('agencies.id').onDelete('set null'))
    // Its discussion: a thread of its own in the resource library category.
    .addColumn('thread_id', 'bigint', (c) => c.notNull().unique().references('threads.id'))
    .addColumn('form_token', 'uuid', (c) => c.notNull().unique())
    // Optimistic locking: an edit names the version it started from.
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('helpful_count', 'integer', (c) => c.notNull().defaultTo(0))
    // Distinct member-days of downloads over its files (file_downloads), for "most downloaded".
    .addColumn('download_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('featured_at', 'timestamptz')
    .addColumn('featured_by', 'bigint', (c) => c.references('members.id'))
    .addColumn('removed_at', 'timestamptz')
    .addColumn('removed_by', 'bigint', (c) => c.references('members.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'resources_case_study_sections',
      sql`num_nonnulls(context_source, context_html, approach_source, approach_html, outcome_source, outcome_html, lessons_source, lessons_html) = case when kind = 'case_study' then 8 else 0 end`,
    )
    .execute();
  // The library's sorts, over what members may see.
  await sql`create index resources_newest on resources (created_at desc, id desc) where removed_at is null`.execute(db);
  await sql`create index resources_featured on resources (featured_at desc, id desc) where removed_at is null and featured_at is not null`.execute(db);
  await db.schema.createIndex('resources_agency_id').on('resources').column('agency_id').execute();
  await db.schema.createIndex('resources_sharer_id').on('resources').column('sharer_id').execute();

  await db.schema
    .createTable('resource_initiative_types')
    .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
    .addColumn('initiative_type_id', 'bigint', (c) => c.notNull().references('initiative_types.id'))
    .addPrimaryKeyConstraint('resource_initiative_types_pkey', ['resource_id', 'initiative_type_id'])
    .execute();
  await db.schema.createIndex('resource_initiative_types_type').on('resource_initiative_types').columns(['initiative_type_id', 'resource_id']).execute();

  await db.schema
    .createTable('resource_tags')
    .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull().check(sql`tag ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(tag) <= 40`))
    .addPrimaryKeyConstraint('resource_tags_pkey', ['resource_id', 'tag'])
    .execute();
  await db.schema.createIndex('resource_tags_tag').on('resource_tags').columns(['tag', 'resource_id']).execute();

  // Each earlier version of a resource, whole, as it was before the edit that replaced it.
  await db.schema
    .createTable('resource_revisions')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('replaced_by', 'bigint', (c) => c.references('members.id'))
    .addColumn('replaced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('resource_revisions_resource_version', ['resource_id', 'version'])
    .execute();

  await db.schema
    .createTable('resource_reactions')
    .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('helpful').check(sql`kind in ('helpful')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('resource_reactions_pkey', ['resource_id', 'member_id', 'kind'])
    .execute();

  // A file attached to a resource or a post. Its contents live in the store under
  // `storage_key` (the SHA-256, so equal files are stored once); the row is what a member sees.
  // Replacing a file adds a row naming the first version; earlier versions stay downloadable.
  await db.schema
    .createTable('files')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('storage_key', 'text', (c) => c.notNull().check(sql`storage_key ~ '^[0-9a-f]{64}$'`))
    .addColumn('byte_size', 'bigint', (c) => c.notNull().check(sql`byte_size > 0`))
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`char_length(name) between 1 and 200`))
    .addColumn('alt_text', 'text', (c) => c.check(sql`char_length(alt_text) <= 500`))
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('resource_id', 'bigint', (c) => c.references('resources.id').onDelete('cascade'))
    .addColumn('post_id', 'bigint', (c) => c.references('posts.id').onDelete('cascade'))
    .addColumn('version_of', 'bigint', (c) => c.references('files.id').onDelete('cascade'))
    .addColumn('replaced_at', 'timestamptz')
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('download_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('uploaded_by', 'bigint', (c) => c.notNull().references('members.id'))
    .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('files_one_owner', sql`num_nonnulls(resource_id, post_id) = 1`)
    .execute();
  await db.schema.createIndex('files_resource_id').on('files').column('resource_id').where('resource_id', 'is not', null).execute();
  await db.schema.createIndex('files_post_id').on('files').column('post_id').where('post_id', 'is not', null).execute();
  await db.schema.createIndex('files_storage_key').on('files').column('storage_key').execute();
  await db.schema.createIndex('files_version_of').on('files').column('version_of').where('version_of', 'is not', null).execute();

  // A download counts once per member per file per day.
  await db.schema
    .createTable('file_downloads')
    .addColumn('file_id', 'bigint', (c) => c.notNull().references('files.id').onDelete('cascade'))
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('day', 'date', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_downloads_pkey', ['file_id', 'member_id', 'day'])
    .execute();

  await db
    .insertInto('initiative_types')
    .values([
      { slug: 'service-delivery', name: 'Service delivery', position: 1 },
      { slug: 'collaboration-and-shared-services', name: 'Collaboration and shared services', position: 2 },
      { slug: 'staff-capability', name: 'Staff capability', position: 3 },
      { slug: 'corporate-and-back-office', name: 'Corporate and back-office', position: 4 },
      { slug: 'engagement-and-communication', name: 'Engagement and communication', position: 5 },
      { slug: 'data-and-reporting', name: 'Data and reporting', position: 6 },
      { slug: 'digital-transformation', name: 'Digital transformation', position: 7 },
    ])
    .execute();
}
