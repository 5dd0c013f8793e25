import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // Trigram matching for members' names and handles and for tags (near misses). PGlite ships
  // pg_trgm as a contrib extension; src/db/embedded.ts loads it so this runs there too.
  await sql`create extension if not exists pg_trgm`.execute(db);

  // Full-text search (docs/decisions/0024): each searchable row keeps its own weighted
  // tsvector, generated from its columns, so it can never fall out of step with them, and a
  // GIN index finds the rows matching a query without reading the others. Weights: titles A,
  // tags and summaries B, bodies (a post's, a resource's description and case-study sections) C.
  // A post's vector is its body alone: its thread's title is the thread's own result.
  await sql`alter table threads add column search_vector tsvector generated always as (setweight(to_tsvector('english', title), 'A')) stored`.execute(db);
  await sql`create index threads_search on threads using gin (search_vector)`.execute(db);
  await sql`alter table posts add column search_vector tsvector generated always as (setweight(to_tsvector('english', body_source), 'C')) stored`.execute(db);
  await sql`create index posts_search on posts using gin (search_vector)`.execute(db);

  // A resource's tags live in resource_tags; a generated column cannot read another table, so
  // the resource keeps them as text too (search_tags), kept by the trigger below whatever
  // writes the tags (the app, a seed, an administrator's SQL).
  await sql`alter table resources add column search_tags text not null default ''`.execute(db);
  await sql`
    create function resources_keep_search_tags() returns trigger language plpgsql as $$
    begin
      update resources r
        set search_tags = coalesce((select string_agg(rt.tag, ' ' order by rt.tag) from resource_tags rt where rt.resource_id = r.id), '')
        where r.id in (select resource_id from changed_tags);
      return null;
    end
    $$
  `.execute(db);
  // Statement triggers with transition tables: replacing a resource's ten tags updates it once per statement, not per tag.
  await sql`create trigger resource_tags_inserted after insert on resource_tags referencing new table as changed_tags for each statement execute function resources_keep_search_tags()`.execute(db);
  await sql`create trigger resource_tags_deleted after delete on resource_tags referencing old table as changed_tags for each statement execute function resources_keep_search_tags()`.execute(db);
  await sql`update resources r set search_tags = coalesce((select string_agg(rt.tag, ' ' order by rt.tag) from resource_tags rt where rt.resource_id = r.id), '')`.execute(db);
  await sql`
    alter table resources add column search_vector tsvector generated always as (
      setweight(to_tsvector('english', title), 'A')
      || setweight(to_tsvector('english', summary || ' ' || replace(search_tags, '-', ' ')), 'B')
      || setweight(to_tsvector('english', body_source || ' ' || coalesce(context_source, '') || ' ' || coalesce(approach_source, '') || ' ' || coalesce(outcome_source, '') || ' ' || coalesce(lessons_source, '')), 'C')
    ) stored
  `.execute(db);
  await sql`create index resources_search on resources using gin (search_vector)`.execute(db);

  // Near misses: "jon smth" finds Jon Smith, "procurment" the procurement tag.
  await sql`create index members_search_names on members using gin ((display_name || ' ' || handle) gin_trgm_ops) where deactivated_at is null`.execute(db);
  await sql`create index resource_tags_similar on resource_tags using gin (tag gin_trgm_ops)`.execute(db);
}
