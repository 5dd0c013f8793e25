import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../src/db/schema.js';
import { slugify } from '../src/features/discussions/slug.js';
import { markdownText, resourcePath } from '../src/features/resources/content.js';
import { RESOURCE_MESSAGES } from '../src/features/resources/messages.js';
import type { ResourceKind } from '../src/features/resources/schemas.js';
import { LIBRARY_CATEGORY } from '../src/features/resources/sharing.js';
import { RENDERER_VERSION, renderMarkdown } from '../src/lib/markdown.js';
import { pick, postBody, seededRandom, sentences, type Random } from './forum-text.js';

/**
 * Fills the library of a forum bench/forum-seed.ts has seeded: resources of every kind from
 * members of every agency (the agencies have their types), over the initiative types and a few
 * dozen tags (a few common, most rare), some featured, with helpful reactions, download counts,
 * small stored files, and each its discussion thread in the library's category with the first
 * post sharing writes and now and then a few replies. As src/features/resources/sharing.ts
 * leaves them: the thread, the resource and the first post share a form token, the category's
 * and threads' counters agree with the rows, posters read and watch their threads, and the
 * library's version (resource_library_version) has moved, so no instance keeps counts from
 * before. Bulk inserts from arrays, as the forum's seed does.
 */

export interface SeededLibrary {
  resources: number;
  /** The resource the bench's page scenario shows: a case study with files and replies. */
  page: { id: number; path: string; replies: number; files: number };
  /** Three filters of /resources, and how many resources pass all three. */
  filtered: { query: string; matching: number };
  counts: Record<'threads' | 'posts' | 'tags' | 'files' | 'featured' | 'reactions', number>;
  seconds: number;
}

const KIND_SHARES: readonly [ResourceKind, number][] = [
  ['case_study', 0.24],
  ['guide', 0.22],
  ['template', 0.16],
  ['policy', 0.12],
  ['presentation', 0.1],
  ['link', 0.09],
  ['other', 0.07],
];
const KIND_WORDS: Record<ResourceKind, readonly string[]> = {
  case_study: ['Case study:', 'How we changed', 'What happened when we tried', 'Results from'],
  guide: ['A guide to', 'Getting started with', 'Step by step:', 'Practical advice on'],
  template: ['Template for', 'Checklist for', 'Plan template:', 'Form and checklist for'],
  policy: ['Policy on', 'Our agency policy for', 'Standard operating procedure for', 'Guideline on'],
  presentation: ['Slides:', 'Conference talk on', 'Briefing deck on', 'Lunchtime session on'],
  link: ['External guidance on', 'Reference site for', 'Research on', 'Toolkit for'],
  other: ['Notes on', 'Collected examples of', 'Reading list on', 'Survey results on'],
};
const TOPICS = [
  'reducing call wait times', 'moving forms online', 'a shared records service', 'onboarding new graduates', 'an accessible website rebuild', 'plain language letters',
  'a data dashboard for executives', 'co-designing with service users', 'after-hours social media cover', 'consolidating payroll across agencies', 'open data releases',
  'a customer satisfaction survey', 'digital identity at the counter', 'a mentoring program for managers', 'procurement of a cloud platform', 'emergency warnings by SMS',
  'grant application processing', 'community consultation online', 'a chatbot for common questions', 'mobile inspections in the field', 'reporting to parliament',
];
const TOPIC_TAILS = ['', '', ' in a regional office', ' across three agencies', ' on a small budget', ' in twelve weeks', ' with a contact centre'];
// Tag popularity falls off as 1/rank: a few tags on many resources, most on a few.
const TAGS = [
  'accessibility', 'plain-language', 'digital-service', 'records', 'social-media', 'data', 'co-design', 'contact-centre', 'procurement', 'cloud',
  'privacy', 'security', 'training', 'onboarding', 'leadership', 'survey', 'dashboard', 'open-data', 'emergency', 'consultation',
  'payroll', 'shared-services', 'grants', 'chatbot', 'identity', 'mobile', 'forms', 'reporting', 'risk', 'evaluation',
  'video', 'translation', 'first-nations', 'regional', 'rostering', 'budget',
];
const TAG_WEIGHTS = TAGS.map((_, rank) => 1 / (rank + 1));
// Initiative types by their position: the first few are the common ones.
const INITIATIVE_WEIGHTS = [0.3, 0.2, 0.15, 0.12, 0.1, 0.08, 0.05];
const DISTINCT_BODIES = 120;
const DISTINCT_CASE_STUDIES = 40;
const DAY_SECONDS = 86_400;
/** The moderator who features resources (members 2..5 are moderators). */
const FEATURER = 2;
const FILE_CONTENTS = [
  { name: 'figures.csv', type: 'text/csv', text: 'quarter,calls,average_wait_seconds\n2024-Q1,18200,412\n2024-Q2,17650,305\n2024-Q3,16990,241\n2024-Q4,16120,198\n' },
  { name: 'checklist.txt', type: 'text/plain', text: 'Before launch\n- Plain language review\n- Accessibility check (WCAG 2.2 AA)\n- Records authority confirmed\n- Privacy impact assessment\n' },
  { name: 'budget.csv', type: 'text/csv', text: 'item,cost_aud\nDesign,42000\nBuild,118000\nTesting,23000\nTraining,9000\n' },
  { name: 'notes.txt', type: 'text/plain', text: 'Lessons: start with the people who answer the phones; measure before you change anything; publish what you learn.\n' },
] as const;

function weighted<T>(random: Random, items: readonly T[], weights: readonly number[]): T {
  let roll = random() * weights.reduce((sum, w) => sum + w, 0);
  for (let i = 0; i < items.length; i += 1) if ((roll -= weights[i]!) < 0) return items[i]!;
  return items.at(-1)!;
}

function distinct<T>(random: Random, count: number, draw: (random: Random) => T): T[] {
  const chosen = new Set<T>();
  for (let tries = 0; chosen.size < count && tries < count * 10; tries += 1) chosen.add(draw(random));
  return [...chosen];
}

/** Small numbers mostly, now and then a large one (a Pareto tail). */
const skewed = (random: Random, scale: number) => Math.floor(scale * (1 / Math.sqrt(1 - random()) - 1));

/** Seeds `resources` resources into a forum seeded by seedForum (members, agencies and threads there, no resources yet). */
export async function seedLibrary(db: Kysely<DB>, resources: number, progress: (message: string) => void = () => undefined): Promise<SeededLibrary> {
  const started = performance.now();
  const random = seededRandom(20260909);
  const category = await db.selectFrom('categories').select('id').where('slug', '=', LIBRARY_CATEGORY).executeTakeFirstOrThrow();
  const initiativeTypes = await db.selectFrom('initiative_types').select(['id', 'slug']).orderBy('position').orderBy('id').execute();
  const sharers = await db.selectFrom('members').select(['id', 'agency_id', 'handle']).where('role', '=', 'member').orderBy('id').execute();
  const agencies = await db.selectFrom('agencies').select('id').orderBy('id').execute();
  const ids = await sql<{ threads: number | null; posts: number | null; resources: number }>`select (select max(id) from threads) as threads, (select max(id) from posts) as posts, (select count(*) from resources)::int as resources`.execute(db);
  const { threads: lastThread, posts: lastPost, resources: existing } = ids.rows[0]!;
  if (existing > 0 || sharers.length === 0) throw new Error('seedLibrary needs a seeded forum with no resources yet');

  const handles = sharers.slice(0, 200).map((member) => member.handle);
  const bodies = Array.from({ length: DISTINCT_BODIES }, () => postBody(random, handles));
  const bodyHtml = bodies.map(renderMarkdown);
  const caseStudies = Array.from({ length: DISTINCT_CASE_STUDIES }, () => Array.from({ length: 4 }, () => postBody(random, [])));
  const caseStudyHtml = caseStudies.map((sections) => sections.map(renderMarkdown));

  // The plan: one row per resource, its thread and first post; replies and pairs in lists of their own.
  const plan = {
    id: [] as number[], threadId: [] as number[], firstPostId: [] as number[], kind: [] as string[], title: [] as string[], slug: [] as string[], summary: [] as string[],
    bodyId: [] as number[], caseStudyId: [] as (number | null)[], firstSource: [] as string[], firstHtml: [] as string[], sharerId: [] as number[], agencyId: [] as number[],
    externalUrl: [] as (string | null)[], helpful: [] as number[], downloads: [] as number[], featured: [] as boolean[], ageSeconds: [] as number[], replies: [] as number[],
  };
  const tagPairs = { resourceId: [] as number[], tag: [] as string[] };
  const typePairs = { resourceId: [] as number[], typeId: [] as number[] };
  const files = { resourceId: [] as number[], content: [] as number[], position: [] as number[], downloads: [] as number[] };
  // Every post of every thread: the first by the sharer, replies by other members hours apart.
  const posts = { id: [] as number[], threadId: [] as number[], position: [] as number[], authorId: [] as number[], bodyId: [] as number[], afterSeconds: [] as number[] };
  // Helpful marks, none from the sharer; each resource's count is its number of rows.
  const reactions = { resourceId: [] as number[], memberId: [] as number[] };
  // The page scenario's resource: a case study a third of the way in, with files and replies.
  const pageIndex = Math.floor(resources / 3);
  let nextPost = (lastPost ?? 0) + 1;
  for (let i = 0; i < resources; i += 1) {
    const id = i + 1;
    const showcase = i === pageIndex;
    const kind = showcase ? 'case_study' : weighted(random, KIND_SHARES.map(([k]) => k), KIND_SHARES.map(([, share]) => share));
    const title = `${pick(random, KIND_WORDS[kind])} ${pick(random, TOPICS)}${pick(random, TOPIC_TAILS)}`;
    const sharer = pick(random, sharers);
    const replies = showcase ? 8 : random() < 0.3 ? 1 + Math.floor(random() * 4) : 0;
    const firstSource = RESOURCE_MESSAGES.firstPost(markdownText(title), id);
    plan.id.push(id);
    plan.threadId.push((lastThread ?? 0) + id);
    plan.firstPostId.push(nextPost);
    plan.kind.push(kind);
    plan.title.push(title);
    plan.slug.push(slugify(title));
    plan.summary.push(sentences(random, 2 + Math.floor(random() * 2)).slice(0, 600));
    plan.bodyId.push(Math.floor(random() * DISTINCT_BODIES));
    plan.caseStudyId.push(kind === 'case_study' ? Math.floor(random() * DISTINCT_CASE_STUDIES) : null);
    plan.firstSource.push(firstSource);
    plan.firstHtml.push(renderMarkdown(firstSource));
    // Mostly the sharer's own agency; now and then shared on another's behalf.
    plan.sharerId.push(sharer.id);
    plan.agencyId.push(random() < 0.85 && sharer.agency_id !== null ? sharer.agency_id : pick(random, agencies).id);
    plan.externalUrl.push(kind === 'link' || random() < 0.1 ? `https://example.gov.au/resources/${id}` : null);
    const markers = distinct(random, Math.min(skewed(random, 2), sharers.length - 1), (r) => pick(r, sharers).id).filter((memberId) => memberId !== sharer.id);
    plan.helpful.push(markers.length);
    for (const memberId of markers) {
      reactions.resourceId.push(id);
      reactions.memberId.push(memberId);
    }
    plan.downloads.push(kind === 'link' ? 0 : skewed(random, 6));
    plan.featured.push(showcase || random() < 0.01);
    plan.ageSeconds.push(Math.floor((1 + random() * 700) * DAY_SECONDS));
    plan.replies.push(replies);
    const ageSeconds = plan.ageSeconds.at(-1)!;
    for (let position = 1; position <= 1 + replies; position += 1) {
      posts.id.push(nextPost++);
      posts.threadId.push(plan.threadId.at(-1)!);
      posts.position.push(position);
      posts.authorId.push(position === 1 ? sharer.id : pick(random, sharers).id);
      posts.bodyId.push(Math.floor(random() * DISTINCT_BODIES));
      // Replies spread over the first part of the resource's life, so the last is before now.
      posts.afterSeconds.push(Math.floor(((position - 1) / (1 + replies)) * ageSeconds * 0.5));
    }
    for (const tag of distinct(random, showcase ? 4 : 1 + Math.floor(random() * 4), (r) => weighted(r, TAGS, TAG_WEIGHTS))) {
      tagPairs.resourceId.push(id);
      tagPairs.tag.push(tag);
    }
    for (const type of distinct(random, 1 + Math.floor(random() * 2.5), (r) => weighted(r, initiativeTypes, INITIATIVE_WEIGHTS))) {
      typePairs.resourceId.push(id);
      typePairs.typeId.push(type.id);
    }
    const fileCount = kind === 'link' ? 0 : showcase ? 3 : random() < 0.5 ? 1 + Math.floor(random() * 2) : 0;
    for (let position = 1; position <= fileCount; position += 1) {
      files.resourceId.push(id);
      files.content.push(Math.floor(random() * FILE_CONTENTS.length));
      files.position.push(position);
      files.downloads.push(Math.floor(plan.downloads.at(-1)! / fileCount));
    }
  }

  const counts = await db.connection().execute(async (conn) => {
    await sql`set synchronous_commit = off`.execute(conn);
    await sql`set statement_timeout = 0`.execute(conn);
    await sql`
      create temporary table library_plan on commit preserve rows as
      select p.*, gen_random_uuid() as form_token, now() - p.age_seconds * interval '1 second' as created_at
      from unnest(${plan.id}::bigint[], ${plan.threadId}::bigint[], ${plan.firstPostId}::bigint[], ${plan.kind}::text[], ${plan.title}::text[], ${plan.slug}::text[],
        ${plan.summary}::text[], ${plan.bodyId}::int[], ${plan.caseStudyId}::int[], ${plan.firstSource}::text[], ${plan.firstHtml}::text[], ${plan.sharerId}::bigint[],
        ${plan.agencyId}::bigint[], ${plan.externalUrl}::text[], ${plan.helpful}::int[], ${plan.downloads}::int[], ${plan.featured}::bool[], ${plan.ageSeconds}::int[], ${plan.replies}::int[])
        as p(id, thread_id, first_post_id, kind, title, slug, summary, body_id, case_study_id, first_source, first_html, sharer_id, agency_id, external_url, helpful, downloads, featured, age_seconds, replies)
    `.execute(conn);
    await sql`
      create temporary table library_bodies on commit preserve rows as
      select * from unnest(${bodies.map((_, i) => i)}::int[], ${bodies}::text[], ${bodyHtml}::text[]) as b(id, source, html)
    `.execute(conn);
    const section = (n: number) => [caseStudies.map((s) => s[n]!), caseStudyHtml.map((s) => s[n]!)] as const;
    await sql`
      create temporary table library_case_studies on commit preserve rows as
      select * from unnest(${caseStudies.map((_, i) => i)}::int[], ${section(0)[0]}::text[], ${section(0)[1]}::text[], ${section(1)[0]}::text[], ${section(1)[1]}::text[],
        ${section(2)[0]}::text[], ${section(2)[1]}::text[], ${section(3)[0]}::text[], ${section(3)[1]}::text[])
        as c(id, context_source, context_html, approach_source, approach_html, outcome_source, outcome_html, lessons_source, lessons_html)
    `.execute(conn);
    await sql`
      create temporary table library_posts on commit preserve rows as
      select lp.id, lp.thread_id, lp.position, lp.author_id, lp.body_id, p.created_at + lp.after_seconds * interval '1 second' as created_at
      from unnest(${posts.id}::bigint[], ${posts.threadId}::bigint[], ${posts.position}::int[], ${posts.authorId}::bigint[], ${posts.bodyId}::int[], ${posts.afterSeconds}::int[])
        as lp(id, thread_id, position, author_id, body_id, after_seconds)
      join library_plan p on p.thread_id = lp.thread_id
    `.execute(conn);
    await sql`
      insert into threads (id, category_id, author_id, title, slug, form_token, post_count, reply_count, last_posted_at, last_poster_id, created_at, updated_at)
      overriding system value
      select p.thread_id, ${category.id}, p.sharer_id, p.title, p.slug, p.form_token, 1 + p.replies, p.replies, last.created_at, last.author_id, p.created_at, last.created_at
      from library_plan p join library_posts last on last.thread_id = p.thread_id and last.position = 1 + p.replies
    `.execute(conn);
    await sql`
      insert into resources (id, kind, title, summary, body_source, body_html, context_source, context_html, approach_source, approach_html, outcome_source, outcome_html,
        lessons_source, lessons_html, renderer_version, external_url, sharer_id, agency_id, thread_id, form_token, helpful_count, download_count, featured_at, featured_by, created_at, updated_at)
      overriding system value
      select p.id, p.kind, p.title, p.summary, case when p.kind = 'case_study' then '' else b.source end, case when p.kind = 'case_study' then '' else b.html end,
        c.context_source, c.context_html, c.approach_source, c.approach_html, c.outcome_source, c.outcome_html, c.lessons_source, c.lessons_html, ${RENDERER_VERSION},
        p.external_url, p.sharer_id, p.agency_id, p.thread_id, p.form_token, p.helpful, p.downloads,
        case when p.featured then p.created_at + interval '1 day' end, case when p.featured then ${FEATURER}::bigint end, p.created_at, p.created_at
      from library_plan p join library_bodies b on b.id = p.body_id left join library_case_studies c on c.id = p.case_study_id
    `.execute(conn);
    await sql`
      insert into posts (id, thread_id, author_id, position, reply_to_post_id, depth, body_source, body_html, renderer_version, form_token, created_at)
      overriding system value
      select lp.id, lp.thread_id, lp.author_id, lp.position, null, 0, case when lp.position = 1 then p.first_source else b.source end,
        case when lp.position = 1 then p.first_html else b.html end, ${RENDERER_VERSION}, case when lp.position = 1 then p.form_token else gen_random_uuid() end, lp.created_at
      from library_posts lp join library_plan p on p.thread_id = lp.thread_id join library_bodies b on b.id = lp.body_id
      order by lp.id
    `.execute(conn);
    await sql`insert into resource_tags (resource_id, tag) select * from unnest(${tagPairs.resourceId}::bigint[], ${tagPairs.tag}::text[])`.execute(conn);
    await sql`insert into resource_initiative_types (resource_id, initiative_type_id) select * from unnest(${typePairs.resourceId}::bigint[], ${typePairs.typeId}::bigint[])`.execute(conn);
    await sql`
      insert into resource_reactions (resource_id, member_id, kind, created_at)
      select r.resource_id, r.member_id, 'helpful', p.created_at + (r.n % 24) * interval '1 hour'
      from unnest(${reactions.resourceId}::bigint[], ${reactions.memberId}::bigint[]) with ordinality as r(resource_id, member_id, n)
      join library_plan p on p.id = r.resource_id
    `.execute(conn);
    // Small stored files, each content stored once (as the store deduplicates) and named by many rows.
    const contents = FILE_CONTENTS.map((file) => ({ ...file, bytes: Buffer.from(file.text, 'utf8') }));
    const keys = contents.map((file) => createHash('sha256').update(file.bytes).digest());
    await sql`
      insert into file_blobs (sha256, byte_size, chunk_count, stored_at)
      select * from unnest(${keys}::bytea[], ${contents.map((file) => file.bytes.length)}::bigint[], ${contents.map(() => 1)}::int[], ${contents.map(() => new Date())}::timestamptz[])
    `.execute(conn);
    await sql`insert into file_blob_chunks (blob_id, seq, data) select b.id, 0, c.data from unnest(${keys}::bytea[], ${contents.map((file) => file.bytes)}::bytea[]) as c(sha256, data) join file_blobs b on b.sha256 = c.sha256`.execute(conn);
    await sql`
      insert into files (storage_key, byte_size, content_type, name, resource_id, position, download_count, uploaded_by, uploaded_at)
      select encode(c.sha256, 'hex'), c.byte_size, c.type, c.name, f.resource_id, f.position, f.downloads, p.sharer_id, p.created_at
      from unnest(${files.resourceId}::bigint[], ${files.content}::int[], ${files.position}::int[], ${files.downloads}::int[]) as f(resource_id, content, position, downloads)
      join unnest(${keys}::bytea[], ${contents.map((file) => file.bytes.length)}::bigint[], ${contents.map((file) => file.type)}::text[], ${contents.map((file) => file.name)}::text[]) with ordinality as c(sha256, byte_size, type, name, n) on c.n = f.content + 1
      join library_plan p on p.id = f.resource_id
    `.execute(conn);
    // As posting leaves them: every poster has read the thread to their last post and watches it.
    await sql`
      insert into thread_reads (member_id, thread_id, last_read_position, updated_at)
      select author_id, thread_id, max(position), max(created_at) from library_posts group by author_id, thread_id
      on conflict (member_id, thread_id) do nothing
    `.execute(conn);
    await sql`
      insert into thread_watches (member_id, thread_id, level, updated_at)
      select author_id, thread_id, 'watching', max(created_at) from library_posts group by author_id, thread_id
      on conflict (member_id, thread_id) do nothing
    `.execute(conn);
    await sql`select setval(pg_get_serial_sequence('threads', 'id'), (select max(id) from threads))`.execute(conn);
    await sql`select setval(pg_get_serial_sequence('posts', 'id'), (select max(id) from posts))`.execute(conn);
    await sql`select setval(pg_get_serial_sequence('resources', 'id'), (select max(id) from resources))`.execute(conn);
    await sql`
      update categories c set thread_count = s.threads, post_count = s.posts, last_posted_at = s.last_posted_at, updated_at = now()
      from (select count(*)::int as threads, sum(post_count)::int as posts, max(last_posted_at) as last_posted_at from threads where category_id = ${category.id} and deleted_at is null) s
      where c.id = ${category.id}
    `.execute(conn);
    // Any counts an instance kept from before the seed no longer hold.
    await sql`update resource_library_version set version = version + 1`.execute(conn);
    await sql`drop table library_plan, library_bodies, library_case_studies, library_posts`.execute(conn);
    for (const table of ['resources', 'resource_tags', 'resource_initiative_types', 'resource_reactions', 'files', 'file_blobs', 'threads', 'posts', 'thread_reads', 'thread_watches', 'agencies', 'initiative_types']) {
      await sql`vacuum (analyze) ${sql.table(table)}`.execute(conn);
    }
    const count = async (query: RawBuilder<{ count: number }>) => Number((await query.execute(conn)).rows[0]!.count);
    return {
      threads: await count(sql`select count(*) as count from threads where category_id = ${category.id}`),
      posts: await count(sql`select count(*) as count from posts p join threads t on t.id = p.thread_id where t.category_id = ${category.id}`),
      tags: await count(sql`select count(distinct tag) as count from resource_tags`),
      files: await count(sql`select count(*) as count from files`),
      featured: await count(sql`select count(*) as count from resources where featured_at is not null`),
      reactions: await count(sql`select count(*) as count from resource_reactions`),
    };
  });

  // Three filters that keep a fair share: the commonest initiative type, a common kind, and departments.
  const filters = { type: 'guide', initiative: initiativeTypes[0]!.slug, agency_type: 'department' };
  const matching = await sql<{ count: number }>`
    select count(*)::int as count from resources r join agencies ag on ag.id = r.agency_id
    where r.kind = ${filters.type} and ag.agency_type = ${filters.agency_type}
      and exists (select from resource_initiative_types rit join initiative_types it on it.id = rit.initiative_type_id where rit.resource_id = r.id and it.slug = ${filters.initiative})
  `.execute(db);
  const pageId = plan.id[pageIndex]!;
  const seconds = (performance.now() - started) / 1000;
  progress(`seed: ${resources.toLocaleString('en-AU')} resources with their threads, tags and files (${seconds.toFixed(1)} s)`);
  return {
    resources,
    page: { id: pageId, path: resourcePath({ id: pageId, title: plan.title[pageIndex]! }), replies: plan.replies[pageIndex]!, files: files.resourceId.filter((id) => id === pageId).length },
    filtered: { query: new URLSearchParams(filters).toString(), matching: matching.rows[0]!.count },
    counts,
    seconds,
  };
}
