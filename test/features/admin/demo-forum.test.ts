import Handlebars from 'handlebars';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeps, type Deps } from '../../../src/deps.js';
import { DEMO_MEMBERS, seedDemoData, type SeedReport } from '../../../src/features/admin/demo-data.js';
import { DEMO_THREADS } from '../../../src/features/admin/demo-forum-content.js';
import { demoFormToken, demoTime, seedDemoForum } from '../../../src/features/admin/demo-forum.js';
import { PasswordHasher } from '../../../src/features/auth/password-hashing.js';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { Browser, buildTestApp, testConfig, type TestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { signIn } from '../../support/members.js';

const cheapHasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
const REPLIES = DEMO_THREADS.reduce((sum, thread) => sum + thread.replies.length, 0);
const DAY_MS = 86_400_000;

let t: TestApp;
let deps: Deps;
let members: SeedReport;
let seededAt: Date;
beforeAll(async () => {
  t = await buildTestApp();
  members = await seedDemoData({ db: t.db, hasher: cheapHasher }, { actorLabel: 'seed' });
  deps = createDeps({ db: t.db, config: t.config });
  seededAt = new Date();
  expect(await seedDemoForum(deps)).toEqual({ kind: 'added', threads: DEMO_THREADS.length, replies: REPLIES });
});
afterAll(async () => t.close());

async function rowCounts() {
  const count = async (table: 'threads' | 'posts' | 'post_reactions' | 'notifications' | 'thread_reads' | 'thread_watches') =>
    Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  return {
    threads: await count('threads'),
    posts: await count('posts'),
    reactions: await count('post_reactions'),
    notifications: await count('notifications'),
    reads: await count('thread_reads'),
    watches: await count('thread_watches'),
    categories: await t.db.selectFrom('categories').select(['slug', 'thread_count', 'post_count', 'last_posted_at']).orderBy('id').execute(),
  };
}

describe('seedDemoForum', () => {
  it('adds the forum once: a second run finds it there and writes nothing', async () => {
    const before = await rowCounts();
    expect(before.threads).toBe(DEMO_THREADS.length);
    expect(before.posts).toBe(DEMO_THREADS.length + REPLIES);
    expect(before.reactions).toBe(DEMO_THREADS.flatMap((thread) => [thread, ...thread.replies]).reduce((sum, post) => sum + (post.helpful?.length ?? 0), 0));
    expect(await seedDemoForum(deps)).toEqual({ kind: 'already-there' });
    expect(await rowCounts()).toEqual(before);
  });

  it('finishes a run that stopped before the end without posting anything twice (the form tokens are fixed)', async () => {
    const before = await rowCounts();
    await t.db.deleteFrom('site_settings').where('key', '=', 'demo.forum_seeded').execute();
    expect(await seedDemoForum(deps)).toEqual({ kind: 'added', threads: 0, replies: 0 });
    const after = await rowCounts();
    expect({ ...after, categories: after.categories.map(({ last_posted_at: _, ...counts }) => counts) }).toEqual({ ...before, categories: before.categories.map(({ last_posted_at: _, ...counts }) => counts) });
    const tokens = DEMO_THREADS.flatMap((thread) => [thread, ...thread.replies].map((_, index) => demoFormToken(thread.key, index + 1)));
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(await t.db.selectFrom('posts').select('id').where('form_token', 'in', tokens).execute()).toHaveLength(tokens.length);
  });

  it('puts threads in every category a member can see, and none in the moderators’ lounge', async () => {
    // The resource library's category holds the demo library's threads (demo-library.test.ts).
    const categories = await t.db.selectFrom('categories').select(['slug', 'visible_to', 'thread_count']).where('slug', '!=', 'resource-library').execute();
    for (const category of categories) {
      if (category.visible_to === 'members') expect(category.thread_count, category.slug).toBeGreaterThan(0);
      else expect(category.thread_count, category.slug).toBe(0);
    }
    expect(new Set(DEMO_THREADS.map((thread) => thread.category))).toEqual(new Set(categories.filter((c) => c.visible_to === 'members').map((c) => c.slug)));
  });

  it('keeps every counter the lists read equal to the rows it counts', async () => {
    const threads = await t.db
      .selectFrom('threads as t')
      .select(['t.id', 't.post_count', 't.reply_count', 't.last_posted_at', 't.created_at', 't.last_poster_id'])
      .select([
        sql<number>`(select max(position) from posts p where p.thread_id = t.id)`.as('max_position'),
        sql<number>`(select count(*)::int from posts p where p.thread_id = t.id and p.position > 1 and p.deleted_at is null and p.hidden_at is null)`.as('live_replies'),
        sql<Date>`(select max(created_at) from posts p where p.thread_id = t.id)`.as('last_post_at'),
        sql<Date>`(select created_at from posts p where p.thread_id = t.id and p.position = 1)`.as('first_post_at'),
        sql<number>`(select author_id from posts p where p.thread_id = t.id order by position desc limit 1)`.as('last_author'),
      ])
      .execute();
    for (const thread of threads) {
      expect(thread.post_count).toBe(thread.max_position);
      expect(thread.reply_count).toBe(thread.live_replies);
      expect(thread.last_posted_at).toEqual(thread.last_post_at);
      expect(thread.created_at).toEqual(thread.first_post_at);
      expect(thread.last_poster_id).toBe(thread.last_author);
    }
    const categories = await t.db
      .selectFrom('categories as c')
      .select(['c.slug', 'c.thread_count', 'c.post_count', 'c.last_posted_at'])
      .select([
        sql<number>`(select count(*)::int from threads t where t.category_id = c.id)`.as('threads'),
        sql<number>`(select count(*)::int from posts p join threads t on t.id = p.thread_id where t.category_id = c.id)`.as('posts'),
        sql<Date | null>`(select max(t.last_posted_at) from threads t where t.category_id = c.id)`.as('last_activity'),
      ])
      .execute();
    for (const category of categories) expect([category.slug, category.thread_count, category.post_count, category.last_posted_at]).toEqual([category.slug, category.threads, category.posts, category.last_activity]);
    const helpful = await t.db
      .selectFrom('posts as p')
      .select(['p.id', 'p.helpful_count', sql<number>`(select count(*)::int from post_reactions r where r.post_id = p.id)`.as('reactions')])
      .execute();
    for (const post of helpful) expect(post.helpful_count, `post ${post.id}`).toBe(post.reactions);
    expect(helpful.filter((post) => post.helpful_count > 0).length).toBeGreaterThan(10);
  });

  it('answers earlier posts of the same thread when a reply names one', async () => {
    const replies = await t.db
      .selectFrom('posts as p')
      .innerJoin('posts as parent', 'parent.id', 'p.reply_to_post_id')
      .select(['p.thread_id', 'p.position', 'p.depth', 'parent.thread_id as parent_thread_id', 'parent.position as parent_position', 'parent.depth as parent_depth'])
      .execute();
    expect(replies).toHaveLength(DEMO_THREADS.flatMap((thread) => thread.replies).filter((reply) => reply.replyTo !== undefined).length);
    for (const reply of replies) {
      expect(reply.parent_thread_id).toBe(reply.thread_id);
      expect(reply.parent_position).toBeLessThan(reply.position);
      expect(reply.depth).toBe(reply.parent_depth + 1);
    }
  });

  it('spreads the posts over the past weeks, each thread in order, and dates what followed from them', async () => {
    const posts = await t.db.selectFrom('posts').select(['id', 'thread_id', 'position', 'created_at']).orderBy('thread_id').orderBy('position').execute();
    for (const [index, post] of posts.entries()) {
      expect(post.created_at.getTime()).toBeLessThan(seededAt.getTime());
      expect(post.created_at.getTime()).toBeGreaterThan(seededAt.getTime() - 40 * DAY_MS);
      const previous = posts[index - 1];
      if (previous?.thread_id === post.thread_id) expect(post.created_at.getTime()).toBeGreaterThan(previous.created_at.getTime());
    }
    const oldestPost = Math.min(...posts.map((post) => post.created_at.getTime()));
    expect(oldestPost).toBeLessThan(seededAt.getTime() - 28 * DAY_MS);
    const joined = await t.db.selectFrom('members').select('created_at').where('canonical_email', 'in', DEMO_MEMBERS.map((m) => m.email)).execute();
    for (const member of joined) expect(member.created_at.getTime()).toBeLessThan(oldestPost);

    const notifications = await t.db
      .selectFrom('notifications as n')
      .innerJoin('posts as p', 'p.id', 'n.post_id')
      .select(['n.kind', 'n.created_at', 'p.created_at as post_created_at', 'p.answered_at'])
      .execute();
    for (const notification of notifications) expect(notification.created_at).toEqual(notification.kind === 'answer' ? notification.answered_at : notification.post_created_at);
    const reactions = await t.db.selectFrom('post_reactions as r').innerJoin('posts as p', 'p.id', 'r.post_id').select(['r.created_at', 'p.created_at as post_created_at']).execute();
    for (const reaction of reactions) expect(reaction.created_at.getTime()).toBeGreaterThan(reaction.post_created_at.getTime());
  });

  it('made the notifications the site makes: replies, mentions, watched replies, and the accepted answer, once', async () => {
    const kinds = await t.db.selectFrom('notifications').select(['kind', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('kind').execute();
    expect(new Set(kinds.map((row) => row.kind))).toEqual(new Set(['reply', 'mention', 'watched_reply', 'answer']));
    const answered = await t.db
      .selectFrom('posts as p')
      .innerJoin('threads as t', 't.id', 'p.thread_id')
      .select(['p.author_id', 'p.answered_by', 't.author_id as thread_author_id', 't.title'])
      .where('p.answered_at', 'is not', null)
      .execute();
    expect(answered).toEqual([{ author_id: expect.any(Number), answered_by: answered[0]!.thread_author_id, thread_author_id: expect.any(Number), title: 'How long do we keep public comments we have hidden?' }]);
    const answerNotice = await t.db.selectFrom('notifications').select(['member_id', 'actor_id']).where('kind', '=', 'answer').execute();
    expect(answerNotice).toEqual([{ member_id: answered[0]!.author_id, actor_id: answered[0]!.thread_author_id }]);
    const ownReactions = await t.db.selectFrom('post_reactions as r').innerJoin('posts as p', 'p.id', 'r.post_id').select('r.post_id').whereRef('r.member_id', '=', 'p.author_id').execute();
    expect(ownReactions).toEqual([]);
  });

  it('shows every demo thread to a member, flat and as a tree, with its answer, quotes and links', async () => {
    const member = members.membersAdded.find((m) => m.role === 'member')!;
    const browser = new Browser(t.app);
    expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
    const threads = await t.db.selectFrom('threads').select(['id', 'title']).orderBy('id').execute();
    const pages: string[] = [];
    for (const thread of threads) {
      const redirect = await browser.get(`/t/${thread.id}`);
      expect(redirect.statusCode).toBe(303);
      for (const query of ['', '?view=threaded']) {
        const page = await browser.get(`${redirect.headers.location as string}${query}`);
        expect(page.statusCode, `${thread.title}${query}`).toBe(200);
        expect(page.body).toContain(`<h1><bdi>${Handlebars.escapeExpression(thread.title)}</bdi></h1>`);
        if (query === '') pages.push(page.body);
      }
    }
    const all = pages.join('\n');
    expect(all).toContain('<h2 id="answer-heading">Accepted answer</h2>');
    expect(all).toContain('<blockquote>');
    expect(all).toContain('<table>');
    expect(all).toContain('href="https://www.naa.gov.au"');
    expect(all).toContain('In reply to');
    // Who found the accepted answer helpful, in the order they did.
    const answer = DEMO_THREADS.flatMap((thread) => thread.replies).find((reply) => reply.answer)!;
    const names = answer.helpful!.map((handle) => DEMO_MEMBERS.find((m) => m.handle === handle)!.displayName);
    expect(all).toContain(Handlebars.escapeExpression(DISCUSSION_MESSAGES.helpfulBy(names.length, names)));
    const home = await browser.get('/c');
    expect(home.statusCode).toBe(200);
  });
});

describe('seedDemoForum without the demo members', () => {
  it('says what is missing and writes nothing', async () => {
    const database = await createTestDatabase();
    try {
      const result = await seedDemoForum(createDeps({ db: database.db, config: testConfig() }));
      expect(result.kind === 'missing' && [...result.missing].sort()).toEqual(DEMO_MEMBERS.map((m) => `member @${m.handle}`).sort());
      expect(await database.db.selectFrom('threads').select('id').execute()).toEqual([]);
      expect(await database.db.selectFrom('site_settings').select('key').where('key', '=', 'demo.forum_seeded').execute()).toEqual([]);
    } finally {
      await database.close();
    }
  });
});

describe('demoTime', () => {
  it('reads "19d 09:40" as 9:40 on the zone’s clocks nineteen days back, and refuses anything else', () => {
    const now = new Date('2026-03-20T02:00:00Z');
    expect(demoTime('19d 09:40', now, 'Australia/Sydney').toISOString()).toBe('2026-02-28T22:40:00.000Z');
    expect(demoTime('1d 23:59', now, 'UTC').toISOString()).toBe('2026-03-19T23:59:00.000Z');
    for (const bad of ['19 09:40', '19d 9:40', '19d 24:00', '-1d 09:00', '']) expect(() => demoTime(bad, now, 'UTC')).toThrow('is not a time like');
  });
});
