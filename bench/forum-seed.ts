import { performance } from 'node:perf_hooks';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../src/db/schema.js';
import { parseWorkEmail } from '../src/features/auth/email-address.js';
import { PasswordHasher } from '../src/features/auth/password-hashing.js';
import { slugify } from '../src/features/discussions/slug.js';
import { GUIDELINES } from '../src/features/pages/guidelines.js';
import { RENDERER_VERSION, renderMarkdown } from '../src/lib/markdown.js';
import { AGENCIES, JOB_TITLES, personFor, pick, postBody, searchFragments, seededRandom, threadTitle, type Random } from './forum-text.js';

/**
 * Fills a freshly migrated database with a forum for the discussions benchmark: members,
 * threads across the default categories, posts of realistic Markdown, one long thread, helpful
 * reactions, accepted answers, read positions, watches and notifications. The counters the app
 * keeps (threads.post_count and reply_count, positions 1..n, last poster, the categories'
 * counts) agree with the rows, as the services would have left them.
 *
 * Fast because the database does the work: a few hundred bodies are rendered once with the
 * app's renderMarkdown and reused, the per-thread plan goes over as arrays, and each table is
 * filled by one INSERT ... SELECT (generate_series, unnest). Ids are given explicitly, so a
 * post can name the post it replies to without a lookup; the sequences are moved past them.
 */

export interface ForumSize {
  members: number;
  threads: number;
  /** Every post, first posts included. */
  posts: number;
  /** The posts of the one long thread (part of `posts`). */
  longThreadPosts: number;
  /**
   * Search's sizes (issue 13): a post is one or two sentences from a pool of this many
   * (bench/forum-text.ts, searchFragments), after one of the usual bodies in a third of the posts,
   * so words run from common to rare as in a real forum rather than each being in a share of the
   * posts no smaller than one body's; the pool is the same at every size, so a word matches the
   * same share of posts at each.
   */
  searchFragments?: number;
}

const SEARCH_FRAGMENTS = 30_000;

export const FORUM_SIZES = {
  full: { members: 10_000, threads: 20_000, posts: 200_000, longThreadPosts: 5_000 },
  small: { members: 1_000, threads: 2_000, posts: 20_000, longThreadPosts: 500 },
  million: { members: 50_000, threads: 100_000, posts: 1_000_000, longThreadPosts: 5_000, searchFragments: SEARCH_FRAGMENTS },
  hundredk: { members: 5_000, threads: 10_000, posts: 100_000, longThreadPosts: 2_500, searchFragments: SEARCH_FRAGMENTS },
} as const satisfies Record<string, ForumSize>;
export type ForumSizeName = keyof typeof FORUM_SIZES;

/** Every seeded member's password (their hash is made with cheap settings: see seedForum). */
export const FORUM_PASSWORD = 'bench-kettle-harbour-violet-57';

// Members 1..STAFF are staff: 1 an administrator, the rest moderators. They start the
// announcements and are the only ones in the moderators' lounge.
const STAFF = 5;
const DISTINCT_BODIES = 400;
// Everyone else's replies in a thread come from a few participants; the long thread has many.
const LONG_THREAD_PARTICIPANTS = 300;
// Spreads participant numbers over the members (prime, so coprime with any member count).
const SPREAD = 7919;
const DAY_SECONDS = 86_400;
// Notifications older than this were read (two hours after they came); newer ones are unread.
const UNREAD_DAYS = 14;

export interface SeededForum {
  size: ForumSize;
  longThread: { id: number; slug: string; postCount: number };
  counts: Record<'members' | 'threads' | 'posts' | 'reactions' | 'answers' | 'threadReads' | 'threadWatches' | 'categoryWatches' | 'notifications', number>;
  seconds: number;
  /** How long each step took, in order, for the report. */
  steps: { step: string; seconds: number }[];
}

/** Category slugs (the migration's defaults) and each one's share of the threads. */
const CATEGORY_SHARES = [
  ['introductions', 0.12],
  ['questions', 0.3],
  ['social-media-practice', 0.25],
  ['policy-and-governance', 0.15],
  ['tools-and-platforms', 0.15],
  ['announcements', 0.02],
  ['moderators', 0.01],
] as const;

interface ThreadPlan {
  id: number[];
  categoryId: number[];
  authorId: number[];
  /** The participants are members 1 + (poolBase + i·SPREAD) mod poolModulus, for i < poolSize; i = 0 is the author. */
  poolBase: number[];
  poolSize: number[];
  poolModulus: number[];
  postCount: number[];
  firstPostId: number[];
  ageSeconds: number[];
  spacingSeconds: number[];
  /** The position of the accepted answer, or null. */
  answerPosition: (number | null)[];
  reactions: boolean[];
  title: string[];
  slug: string[];
  pinned: boolean[];
}

/** Post counts: one long thread, the rest skewed (most threads short, a few long), summing exactly. */
function postCounts(random: Random, size: ForumSize, longIndex: number): number[] {
  const others = size.threads - 1;
  const spare = size.posts - size.longThreadPosts - others;
  if (spare < 0) throw new Error('seedForum: fewer posts than threads');
  // Log-normal weights: the median thread is short, the mean is posts / threads.
  const weights = Array.from({ length: others }, () => Math.exp(1.1 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())));
  const total = weights.reduce((sum, w) => sum + w, 0);
  const counts = weights.map((w) => 1 + Math.floor((w / total) * spare));
  let missing = size.posts - size.longThreadPosts - counts.reduce((sum, c) => sum + c, 0);
  for (let i = 0; missing > 0; i = (i + 1) % others, missing -= 1) counts[i]! += 1;
  counts.splice(longIndex, 0, size.longThreadPosts);
  return counts;
}

function planThreads(random: Random, size: ForumSize, categoryIds: Map<string, number>): { plan: ThreadPlan; longIndex: number } {
  const longIndex = Math.floor(size.threads / 3);
  const counts = postCounts(random, size, longIndex);
  const plan: ThreadPlan = { id: [], categoryId: [], authorId: [], poolBase: [], poolSize: [], poolModulus: [], postCount: [], firstPostId: [], ageSeconds: [], spacingSeconds: [], answerPosition: [], reactions: [], title: [], slug: [], pinned: [] };
  let nextPostId = 1;
  for (let i = 0; i < size.threads; i += 1) {
    const long = i === longIndex;
    let roll = random();
    const slug = long ? 'social-media-practice' : (CATEGORY_SHARES.find(([, share]) => (roll -= share) < 0) ?? CATEGORY_SHARES[0])[0];
    const staffOnly = slug === 'moderators';
    const staffStarted = staffOnly || slug === 'announcements';
    const postCount = counts[i]!;
    // The author is participant 0: staff start announcements and lounge threads.
    const poolModulus = staffOnly ? STAFF : size.members;
    const poolBase = staffStarted ? Math.floor(random() * STAFF) : Math.floor(random() * size.members);
    const ageSeconds = long ? 400 * DAY_SECONDS : Math.floor((0.5 + random() * 729.5) * DAY_SECONDS);
    const title = long ? 'Moderating public comments: share your rules, examples and hard cases' : threadTitle(random);
    plan.id.push(i + 1);
    plan.categoryId.push(categoryIds.get(slug)!);
    plan.authorId.push(1 + (poolBase % poolModulus));
    plan.poolBase.push(poolBase);
    plan.poolSize.push(long ? LONG_THREAD_PARTICIPANTS : staffOnly ? STAFF : 2 + Math.floor(random() * 7));
    plan.poolModulus.push(poolModulus);
    plan.postCount.push(postCount);
    plan.firstPostId.push(nextPostId);
    plan.ageSeconds.push(ageSeconds);
    // The last post lands before now: the long thread's most recently.
    plan.spacingSeconds.push(long ? (ageSeconds * 0.999) / postCount : Math.min(6 * 3600, (ageSeconds * 0.9) / postCount));
    plan.answerPosition.push(slug === 'questions' && postCount >= 2 && random() < 0.35 ? 2 + Math.floor(random() * Math.min(3, postCount - 1)) : null);
    plan.reactions.push(!staffOnly);
    plan.title.push(title);
    plan.slug.push(slugify(title));
    plan.pinned.push(long || (staffStarted && random() < 0.2));
    nextPostId += postCount;
  }
  return { plan, longIndex };
}

/** A well-mixed number in [0, 2^31) for a post of the plan row `t` at `position`; `salt` picks an independent one. */
function hash(position: string, salt: number): RawBuilder<number> {
  return sql<number>`(hashint8(t.id * 1000000 + (${sql.raw(position)}) + ${sql.raw(String(salt))}::bigint * 1000000000000) & 2147483647)`;
}

/**
 * Who a post answers, by position: posts at positions ≡ 0 (mod 3) never answer a post, so
 * a reply at ≡ 1 answers one of them (depth 1), and one at ≡ 2 answers that reply (depth 2) or
 * a post before it (depth 1). No recursion needed to know a depth.
 */
function replyShape(): { parentPosition: RawBuilder<number | null>; depth: RawBuilder<number> } {
  const repliesAt = (position: string) => sql`((${sql.raw(position)}) >= 4 and (${sql.raw(position)}) % 3 = 1 and ${hash(position, 1)} % 100 < 25)`;
  const answersReply = sql`(s.position >= 5 and s.position % 3 = 2 and ${repliesAt('s.position - 1')} and ${hash('s.position', 1)} % 100 < 40)`;
  const answersEarlier = sql`(s.position >= 5 and s.position % 3 = 2 and ${hash('s.position', 1)} % 100 < 15)`;
  return {
    parentPosition: sql`case
      when ${repliesAt('s.position')} then s.position - 1 - 3 * (${hash('s.position', 2)} % least(3, (s.position - 1) / 3))
      when ${answersReply} then s.position - 1
      when ${answersEarlier} then s.position - 2
    end`,
    depth: sql`case when ${repliesAt('s.position')} then 1 when ${answersReply} then 2 when ${answersEarlier} then 1 else 0 end`,
  };
}

/**
 * The posts' search sentences are appended in SQL, source and HTML alike, as a paragraph of
 * their own (or as the whole post): this holds only if the app's renderer makes exactly that of
 * them, so it is checked here, for every sentence, for pairs, and for each body followed by a pair.
 */
function checkFragmentsRender(bodies: { source: string[]; html: string[] }, fragments: string[]): void {
  for (const fragment of fragments) {
    if (renderMarkdown(fragment) !== `<p>${fragment}</p>\n`) throw new Error(`seedForum: the search sentence "${fragment}" does not render as a plain paragraph`);
  }
  if (fragments.length < 2) return;
  bodies.source.forEach((source, i) => {
    const tail = `${fragments[i % fragments.length]!} ${fragments[(i + 1) % fragments.length]!}`;
    if (renderMarkdown(tail) !== `<p>${tail}</p>\n`) throw new Error(`seedForum: the search sentences "${tail}" do not render as a plain paragraph`);
    if (renderMarkdown(`${source}\n\n${tail}`) !== `${bodies.html[i]!}<p>${tail}</p>\n`) throw new Error(`seedForum: body ${i} followed by search sentences does not render as the body and a paragraph`);
  });
}

/**
 * Seeds `size` into `db`, which must be freshly migrated (no members, no threads). Every
 * member's password is FORUM_PASSWORD, hashed once with cheap argon2 settings (1 MiB, t = 1):
 * run the app with PASSWORD_HASH_MEMORY_KIB=1024 and PASSWORD_HASH_TIME_COST=1, or sign-in
 * rehashes it.
 */
export async function seedForum(db: Kysely<DB>, size: ForumSize, progress: (message: string) => void = () => undefined): Promise<SeededForum> {
  const started = performance.now();
  const steps: SeededForum['steps'] = [];
  let stepStarted = started;
  const step = (name: string) => {
    const now = performance.now();
    steps.push({ step: name, seconds: (now - stepStarted) / 1000 });
    progress(`seed: ${name} (${((now - stepStarted) / 1000).toFixed(1)} s)`);
    stepStarted = now;
  };
  const random = seededRandom(20261122);

  const existing = await db.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  const threadsThere = await db.selectFrom('threads').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  if (Number(existing.count) > 0 || Number(threadsThere.count) > 0) throw new Error('seedForum needs a freshly migrated database: this one already has members or threads');
  const categories = await db.selectFrom('categories').select(['id', 'slug']).execute();
  const categoryIds = new Map(categories.map((c) => [c.slug, c.id]));
  for (const [slug] of CATEGORY_SHARES) if (!categoryIds.has(slug)) throw new Error(`seedForum: the default category ${slug} is missing`);

  // Members: names, handles and addresses made here; one hash for all.
  const passwordHash = await new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }).hash(FORUM_PASSWORD);
  const agencyRows = await db
    .insertInto('agencies')
    .values(AGENCIES.map((agency) => ({ name: agency.name, agency_type: agency.type, jurisdiction: agency.jurisdiction })))
    .returning('id')
    .execute();
  const members = { id: [] as number[], email: [] as string[], canonical: [] as string[], name: [] as string[], handle: [] as string[], jobTitle: [] as (string | null)[], role: [] as string[], agencyId: [] as number[], ageSeconds: [] as number[] };
  for (let n = 1; n <= size.members; n += 1) {
    const person = personFor(n, random);
    const agencyIndex = Math.floor(random() * AGENCIES.length);
    const address = parseWorkEmail(`${person.emailLocal}@${AGENCIES[agencyIndex]!.domain}`);
    if (!address.ok) throw new Error(`seedForum: made an address the app refuses (${address.reason})`);
    members.id.push(n);
    members.email.push(address.address);
    members.canonical.push(address.canonical);
    members.name.push(person.displayName);
    members.handle.push(person.handle);
    members.jobTitle.push(random() < 0.85 ? pick(random, JOB_TITLES) : null);
    members.role.push(n === 1 ? 'administrator' : n <= STAFF ? 'moderator' : 'member');
    members.agencyId.push(agencyRows[agencyIndex]!.id);
    // Everyone joined at least a month ago (past their first day's posting limit), over three years.
    members.ageSeconds.push(Math.floor((760 + random() * 400) * DAY_SECONDS));
  }
  await sql`
    insert into members (id, email, canonical_email, display_name, handle, job_title, password_hash, role, agency_id, guidelines_version, guidelines_accepted_at, verified_at, created_at, updated_at)
    overriding system value
    select m.id, m.email, m.canonical, m.name, m.handle, m.job_title, ${passwordHash}, m.role, m.agency_id, ${GUIDELINES.version}, now() - m.age * interval '1 second',
      -- Each re-confirmed their address within the last 300 days, as a site running the yearly check has them.
      now() - (m.age % ${300 * DAY_SECONDS}) * interval '1 second', now() - m.age * interval '1 second', now() - m.age * interval '1 second'
    from unnest(${members.id}::bigint[], ${members.email}::text[], ${members.canonical}::text[], ${members.name}::text[], ${members.handle}::text[], ${members.jobTitle}::text[], ${members.role}::text[], ${members.agencyId}::bigint[], ${members.ageSeconds}::int[])
      as m(id, email, canonical, name, handle, job_title, role, agency_id, age)
  `.execute(db);
  step(`${size.members.toLocaleString('en-AU')} members in ${AGENCIES.length} agencies`);

  // A few hundred bodies, rendered once by the app's renderer; mentions name real members.
  const mentionable = members.handle.slice(STAFF, STAFF + 200);
  const sources = Array.from({ length: DISTINCT_BODIES }, () => postBody(random, mentionable));
  const bodies = { id: sources.map((_, i) => i), source: sources, html: sources.map(renderMarkdown) };
  // Search's sizes: each post is, or ends with, a paragraph of one or two sentences from this pool
  // (its own generator, so the other sizes' forums stay as they were).
  const fragments = searchFragments(seededRandom(13), size.searchFragments ?? 0);
  checkFragmentsRender(bodies, fragments);
  const { plan, longIndex } = planThreads(random, size, categoryIds);
  step(`${DISTINCT_BODIES} bodies${fragments.length ? ` and ${fragments.length.toLocaleString('en-AU')} search sentences` : ''} rendered and ${size.threads.toLocaleString('en-AU')} threads planned`);

  // One connection for the session's temporary tables; commits need not wait for the disk, and
  // the app's 10 s statement timeout is for requests, not for filling a table.
  const counts = await db.connection().execute(async (conn) => {
    await sql`set synchronous_commit = off`.execute(conn);
    await sql`set statement_timeout = 0`.execute(conn);
    await sql`
      create temporary table forum_bodies on commit preserve rows as
      select * from unnest(${bodies.id}::int[], ${bodies.source}::text[], ${bodies.html}::text[]) as b(id, source, html)
    `.execute(conn);
    await sql`
      create temporary table forum_plan on commit preserve rows as
      select p.id, p.category_id, p.author_id, p.pool_base, p.pool_size, p.pool_modulus, p.post_count, p.first_post_id,
        now() - p.age_seconds * interval '1 second' as created_at, p.spacing_seconds * interval '1 second' as spacing, p.answer_position, p.reactions
      from unnest(${plan.id}::bigint[], ${plan.categoryId}::bigint[], ${plan.authorId}::bigint[], ${plan.poolBase}::int[], ${plan.poolSize}::int[], ${plan.poolModulus}::int[],
        ${plan.postCount}::int[], ${plan.firstPostId}::bigint[], ${plan.ageSeconds}::int[], ${plan.spacingSeconds}::float8[], ${plan.answerPosition}::int[], ${plan.reactions}::bool[])
        as p(id, category_id, author_id, pool_base, pool_size, pool_modulus, post_count, first_post_id, age_seconds, spacing_seconds, answer_position, reactions)
    `.execute(conn);
    await sql`
      create temporary table forum_fragments on commit preserve rows as
      select * from unnest(${fragments.map((_, i) => i)}::int[], ${fragments}::text[]) as f(id, text)
    `.execute(conn);
    await sql`analyze forum_bodies, forum_plan, forum_fragments`.execute(conn);

    // Threads: last activity and poster are filled in from the posts below.
    await sql`
      insert into threads (id, category_id, author_id, title, slug, form_token, post_count, reply_count, last_posted_at, last_poster_id, pinned_at, created_at, updated_at)
      overriding system value
      select t.id, t.category_id, t.author_id, x.title, x.slug, gen_random_uuid(), t.post_count, t.post_count - 1, t.created_at, t.author_id,
        case when x.pinned then t.created_at end, t.created_at, t.created_at
      from forum_plan t
      join unnest(${plan.id}::bigint[], ${plan.title}::text[], ${plan.slug}::text[], ${plan.pinned}::bool[]) as x(id, title, slug, pinned) on x.id = t.id
    `.execute(conn);
    step('threads');

    // Every post's facts but its body, in a narrow table: the inserts below read it instead of
    // scanning the wide posts table again and again.
    const participant = (index: RawBuilder<unknown>) => sql`1 + (t.pool_base + (${index}) * ${SPREAD}) % t.pool_modulus`;
    const shape = replyShape();
    await sql`
      create temporary table forum_posts on commit preserve rows as
      select t.first_post_id + s.position - 1 as id, t.id as thread_id, t.category_id,
        case when s.position = 1 then t.author_id else ${participant(sql`${hash('s.position', 3)} % t.pool_size`)} end as author_id,
        s.position, t.first_post_id - 1 + ${shape.parentPosition} as reply_to_post_id, ${shape.depth} as depth,
        ${hash('s.position', 6)} % ${DISTINCT_BODIES} as body_id,
        case when ${fragments.length} > 0 then ${hash('s.position', 7)} % ${Math.max(1, fragments.length)} end as fragment_id,
        case when ${fragments.length} > 0 and ${hash('s.position', 8)} % 2 = 0 then ${hash('s.position', 9)} % ${Math.max(1, fragments.length)} end as second_fragment_id,
        ${fragments.length} = 0 or ${hash('s.position', 10)} % 3 = 0 as with_body,
        case when t.reactions and ${hash('s.position', 4)} % 100 < 12 then 1 + ${hash('s.position', 5)} % 5 else 0 end as helpful_count,
        s.position = t.answer_position as answer,
        t.author_id as thread_author_id,
        t.created_at + (s.position - 1) * t.spacing as created_at
      from forum_plan t
      cross join lateral generate_series(1, t.post_count) as s(position)
    `.execute(conn);
    await sql`analyze forum_posts`.execute(conn);
    // The posts' full-text index (migration 0025) is built once after the insert, in a few
    // seconds, rather than kept up row by row through it (minutes at a million posts): its
    // definition is read back from the database, so it is the migration's own.
    const textIndexes = (
      await sql<{ definition: string; name: string }>`
        select pg_get_indexdef(i.indexrelid) as definition, c.relname as name
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
        where i.indrelid = 'posts'::regclass and am.amname = 'gin'
      `.execute(conn)
    ).rows;
    for (const index of textIndexes) await sql`drop index ${sql.id(index.name)}`.execute(conn);
    await sql`
      insert into posts (id, thread_id, author_id, position, reply_to_post_id, depth, body_source, body_html, renderer_version, form_token, helpful_count, answered_at, answered_by, created_at)
      overriding system value
      select p.id, p.thread_id, p.author_id, p.position, p.reply_to_post_id, p.depth,
        -- The search sentences as a paragraph of their own: what renderMarkdown makes of them (checkFragmentsRender).
        case when p.with_body then b.source else '' end || case when p.with_body and f.id is not null then E'\n\n' else '' end || coalesce(f.text || coalesce(' ' || g.text, ''), ''),
        case when p.with_body then b.html else '' end || coalesce('<p>' || f.text || coalesce(' ' || g.text, '') || E'</p>\n', ''),
        ${RENDERER_VERSION}, gen_random_uuid(), p.helpful_count,
        case when p.answer then p.created_at + interval '1 day' end, case when p.answer then p.thread_author_id end, p.created_at
      from forum_posts p join forum_bodies b on b.id = p.body_id
        left join forum_fragments f on f.id = p.fragment_id left join forum_fragments g on g.id = p.second_fragment_id
      order by p.id
    `.execute(conn);
    step(`${size.posts.toLocaleString('en-AU')} posts`);
    if (textIndexes.length > 0) {
      await sql`set maintenance_work_mem = '256MB'`.execute(conn);
      for (const index of textIndexes) await sql.raw(index.definition).execute(conn);
      await sql`reset maintenance_work_mem`.execute(conn);
      step(`the posts' full-text index${textIndexes.length > 1 ? 'es' : ''} built`);
    }

    await sql`select setval(pg_get_serial_sequence('members', 'id'), (select max(id) from members))`.execute(conn);
    await sql`select setval(pg_get_serial_sequence('threads', 'id'), (select max(id) from threads))`.execute(conn);
    await sql`select setval(pg_get_serial_sequence('posts', 'id'), (select max(id) from posts))`.execute(conn);
    await sql`
      update threads t set last_posted_at = p.created_at, last_poster_id = p.author_id, updated_at = p.created_at
      from forum_posts p where p.thread_id = t.id and p.position = t.post_count
    `.execute(conn);
    await sql`
      update categories c set thread_count = s.threads, post_count = s.posts, last_posted_at = s.last_posted_at, updated_at = now()
      from (select category_id, count(*)::int as threads, sum(post_count)::int as posts, max(last_posted_at) as last_posted_at from threads where deleted_at is null group by category_id) s
      where s.category_id = c.id
    `.execute(conn);
    step('threads and categories counted');

    // Helpful reactions: the count on each post is the number of rows, none from its author.
    await sql`
      insert into post_reactions (post_id, member_id, kind, created_at)
      select p.id, 1 + (p.author_id - 1 + k * 997) % ${size.members}, 'helpful', p.created_at + k * interval '1 hour'
      from forum_posts p cross join lateral generate_series(1, p.helpful_count) as k
      where p.helpful_count > 0
    `.execute(conn);
    // As the app leaves them: every poster has read the thread up to their last post and watches it.
    await sql`
      create temporary table forum_posters on commit preserve rows as
      select author_id, thread_id, max(position) as position, max(created_at) as posted_at from forum_posts group by author_id, thread_id
    `.execute(conn);
    await sql`insert into thread_reads (member_id, thread_id, last_read_position, updated_at) select author_id, thread_id, position, posted_at from forum_posters`.execute(conn);
    await sql`insert into thread_watches (member_id, thread_id, level, updated_at) select author_id, thread_id, 'watching', posted_at from forum_posters`.execute(conn);
    // Readers who never posted, part-way through threads members can see; one in twenty muted it.
    const readers = size.threads * 3;
    const reader = sql`1 + (hashint8(g) & 2147483647) % ${size.members}`;
    const readThread = sql`1 + (hashint8(g + 1000000000) & 2147483647) % ${size.threads}`;
    await sql`
      insert into thread_reads (member_id, thread_id, last_read_position, updated_at)
      select ${reader}, t.id, 1 + (hashint8(g + 2000000000) & 2147483647) % t.post_count, now() - (now() - t.created_at) * 0.05
      from generate_series(1::bigint, ${readers}) as g join forum_plan t on t.id = ${readThread}
      where t.category_id <> ${categoryIds.get('moderators')!}
      on conflict (member_id, thread_id) do nothing
    `.execute(conn);
    await sql`
      insert into thread_watches (member_id, thread_id, level)
      select r.member_id, r.thread_id, 'muted' from thread_reads r
      where (hashint8(r.member_id * 1000000 + r.thread_id) & 2147483647) % 20 = 0
      on conflict (member_id, thread_id) do nothing
    `.execute(conn);
    // One member in twenty watches a category members can see.
    const openCategories = [...categoryIds].filter(([slug]) => slug !== 'moderators').map(([, id]) => id);
    await sql`
      insert into category_watches (member_id, category_id)
      select m.id, (${openCategories}::bigint[])[1 + m.id % ${openCategories.length}]
      from members m where m.id % 20 = 0
    `.execute(conn);
    step('reactions, read positions and watches');

    // A notification for each reply, to the author of the post it answers (the thread's author
    // for a plain reply); those older than UNREAD_DAYS were read.
    await sql`
      insert into notifications (member_id, kind, actor_id, thread_id, post_id, created_at, read_at)
      select coalesce(parent.author_id, p.thread_author_id), 'reply', p.author_id, p.thread_id, p.id, p.created_at,
        case when p.created_at < now() - ${UNREAD_DAYS} * interval '1 day' then p.created_at + interval '2 hours' end
      from forum_posts p
      left join forum_posts parent on parent.id = p.reply_to_post_id
      where p.position > 1 and coalesce(parent.author_id, p.thread_author_id) <> p.author_id
      order by p.id
    `.execute(conn);
    step('notifications');

    await sql`drop table forum_plan, forum_bodies, forum_fragments, forum_posts, forum_posters`.execute(conn);
    // The planner needs statistics, and index-only scans a visibility map: as autovacuum would leave them.
    for (const table of ['members', 'threads', 'posts', 'post_reactions', 'thread_reads', 'thread_watches', 'category_watches', 'notifications', 'categories', 'agencies']) {
      await sql`vacuum (analyze) ${sql.table(table)}`.execute(conn);
    }
    step('vacuum and analyze');

    const count = async (table: string) => Number((await sql<{ count: string }>`select count(*) as count from ${sql.table(table)}`.execute(conn)).rows[0]!.count);
    return {
      members: await count('members'),
      threads: await count('threads'),
      posts: await count('posts'),
      reactions: await count('post_reactions'),
      answers: Number((await sql<{ count: string }>`select count(*) as count from posts where answered_at is not null`.execute(conn)).rows[0]!.count),
      threadReads: await count('thread_reads'),
      threadWatches: await count('thread_watches'),
      categoryWatches: await count('category_watches'),
      notifications: await count('notifications'),
    };
  });

  return {
    size,
    longThread: { id: plan.id[longIndex]!, slug: plan.slug[longIndex]!, postCount: plan.postCount[longIndex]! },
    counts,
    seconds: (performance.now() - started) / 1000,
    steps,
  };
}
