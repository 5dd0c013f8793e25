import { sql, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORUM_PASSWORD, seedForum, type SeededForum } from '../../../bench/forum-seed.js';
import type { Database } from '../../../src/db/database.js';
import { buildTestApp, type Browser, type TestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { csrfOf, postReply, startThread } from '../../support/discussions.js';
import { addReplies } from '../../support/forum-rows.js';
import { signedInBrowser } from '../../support/members.js';
import { StatementRecorder } from '../../support/statements.js';

// Issue 8, "Speed": a thread page costs a fixed number of SQL round trips whatever the number
// of posts, authors or reactions, and page N of a long thread costs what page 1 does. Timings
// are measured, not asserted: `npm run bench`, recorded in BENCHMARKS.md. The forum is the
// benchmark's own seed (bench/forum-seed.ts) at a size a test can afford.

const recorder = new StatementRecorder();

const SIZE = { members: 300, threads: 40, posts: 2_000, longThreadPosts: 1_500 };

let database: Database;
let t: TestApp;
let forum: SeededForum;
let reader: Browser;
beforeAll(async () => {
  database = await createTestDatabase();
  forum = await seedForum(database.db, SIZE);
  t = await buildTestApp({ database: { ...database, db: database.db.withPlugin(recorder.plugin) } });
  const member = await t.db.selectFrom('members').select('email').where('role', '=', 'member').orderBy('id').offset(20).limit(1).executeTakeFirstOrThrow();
  reader = await signedInBrowser(t.app, member, FORUM_PASSWORD);
}, 120_000);
afterAll(async () => {
  await t.close();
  await database.close();
});

/** The statements a second view of the page runs (the first may move the read position). */
async function statementsOf(browser: Browser, path: string): Promise<string[]> {
  expect((await browser.get(path)).statusCode).toBe(200);
  return recorder.during(async () => expect((await browser.get(path)).statusCode).toBe(200));
}

describe('the benchmark forum', () => {
  it('keeps the counts the app keeps', async () => {
    const count = async (query: RawBuilder<{ count: string }>) => Number((await query.execute(t.db)).rows[0]!.count);
    expect(await count(sql`select count(*) as count from posts`)).toBe(SIZE.posts);
    expect(await count(sql`select count(*) as count from threads t where post_count <> (select count(*) from posts p where p.thread_id = t.id) or post_count <> (select max(position) from posts p where p.thread_id = t.id) or reply_count <> post_count - 1`)).toBe(0);
    expect(await count(sql`select count(*) as count from threads t join posts p on p.thread_id = t.id and p.position = t.post_count where t.last_poster_id <> p.author_id or t.last_posted_at <> p.created_at`)).toBe(0);
    expect(await count(sql`select count(*) as count from categories c where thread_count <> (select count(*) from threads where category_id = c.id) or post_count <> (select coalesce(sum(post_count), 0) from threads where category_id = c.id)`)).toBe(0);
    expect(await count(sql`select count(*) as count from posts p where helpful_count <> (select count(*) from post_reactions r where r.post_id = p.id)`)).toBe(0);
    expect(await count(sql`select count(*) as count from post_reactions r join posts p on p.id = r.post_id where r.member_id = p.author_id`)).toBe(0);
    expect(await count(sql`select count(*) as count from posts p join posts parent on parent.id = p.reply_to_post_id where parent.thread_id <> p.thread_id or parent.position >= p.position or p.depth <> parent.depth + 1`)).toBe(0);
    expect(await count(sql`select count(*) as count from posts p join threads t on t.id = p.thread_id join categories c on c.id = t.category_id join members m on m.id = p.author_id where c.visible_to = 'moderators' and m.role = 'member'`)).toBe(0);
    expect(forum.longThread.postCount).toBe(SIZE.longThreadPosts);
  });
});

describe('a thread page', () => {
  it('runs the same statements for page 2 and page 75 of a 1,500-post thread', async () => {
    const thread = `/t/${forum.longThread.id}/${forum.longThread.slug}`;
    const second = await statementsOf(reader, `${thread}?page=2`);
    const deep = await statementsOf(reader, `${thread}?page=75`);
    expect(deep).toEqual(second);
    // The session with its member, the thread, one page of posts: no query per post, and none
    // for files where no post on the page has any.
    expect(second).toHaveLength(3);
    expect(second.filter((text) => /from "posts" as "p"/.test(text))).toHaveLength(1);
    expect(second.filter((text) => /from "files"/.test(text))).toHaveLength(0);
    expect(second.join('\n')).not.toMatch(/\boffset\b/i);
  });

  it('runs the same statements for page 1 of a one-post thread and of the 1,500-post thread', async () => {
    const short = await startThread(reader, 'questions', { title: 'A thread with one post', body: 'Only this.' });
    const long = await statementsOf(reader, `/t/${forum.longThread.id}/${forum.longThread.slug}`);
    expect(await statementsOf(reader, `/t/${short}/a-thread-with-one-post`)).toEqual(long);
    // Neither has an accepted answer; one on page 1 is taken from the page's own posts.
    expect(long).toHaveLength(3);
  });

  it('runs the same statements for a full page and a short last page of the threaded view', async () => {
    const threadId = await startThread(reader, 'questions', { title: 'A tree of forty-five posts', body: 'What goes in a records policy?' });
    const author = await t.db.selectFrom('threads').select('author_id').where('id', '=', threadId).executeTakeFirstOrThrow();
    await addReplies(t.db, threadId, author.author_id, 44);
    const path = `/t/${threadId}/a-tree-of-forty-five-posts?view=threaded`;
    // Pages 2 and 3 (page 1 also looks for the accepted answer): 20 posts, then 5, in one statement either way.
    expect(await statementsOf(reader, `${path}&page=3`)).toEqual(await statementsOf(reader, `${path}&page=2`));
  });

  it('does not grow with replies, their authors, their reactions or their files', async () => {
    const threadId = await startThread(reader, 'questions', { title: 'A thread that fills up', body: 'Who has an example?' });
    const path = `/t/${threadId}/a-thread-that-fills-up`;
    const before = await statementsOf(reader, path);
    const others = await t.db.selectFrom('members').select(['id', 'email']).where('role', '=', 'member').orderBy('id').offset(30).limit(3).execute();
    for (const other of others) {
      const browser = await signedInBrowser(t.app, other, FORUM_PASSWORD);
      for (let i = 0; i < 4; i += 1) expect((await postReply(browser, threadId, { body: `Example ${i} from member ${other.id}.` })).statusCode).toBe(303);
    }
    const posts = await t.db.selectFrom('posts').select(['id', 'author_id']).where('thread_id', '=', threadId).execute();
    await t.db
      .insertInto('post_reactions')
      .values(posts.flatMap((post) => others.filter((other) => other.id !== post.author_id).map((other) => ({ post_id: post.id, member_id: other.id }))))
      .execute();
    await sql`update posts p set helpful_count = (select count(*) from post_reactions r where r.post_id = p.id) where thread_id = ${threadId}`.execute(t.db);
    // An image and a PDF on every post (rows only: the page never reads contents).
    await t.db
      .insertInto('files')
      .values(posts.flatMap((post) => [
        { storage_key: 'a'.repeat(64), byte_size: 100, content_type: 'image/png', name: 'chart.png', alt_text: 'A chart', width: 4, height: 3, post_id: post.id, position: 1, uploaded_by: post.author_id },
        { storage_key: 'b'.repeat(64), byte_size: 2048, content_type: 'application/pdf', name: 'notes.pdf', post_id: post.id, position: 2, uploaded_by: post.author_id },
      ]))
      .execute();
    const page = await reader.get(path);
    expect(page.body.match(/<img src="\/files\//g)).toHaveLength(posts.length);
    // One statement more for every post's files together, once there are any.
    const after = await statementsOf(reader, path);
    expect(after.filter((text) => !/from "files"/.test(text))).toEqual(before);
    expect(after.filter((text) => /from "files"/.test(text))).toHaveLength(1);
  });
});

describe('a category page', () => {
  it('runs four statements, whether the member watches the category or not', async () => {
    const first = await statementsOf(reader, '/c/questions');
    expect((await reader.post('/c/questions/watch', { _csrf: await csrfOf(reader), level: 'watching' })).statusCode).toBe(303);
    expect(await statementsOf(reader, '/c/questions')).toEqual(first);
    // The session with its member, the category with the viewer's watch, one page of threads,
    // the threads pinned across the site (which lead every category page).
    expect(first).toHaveLength(4);
    expect(first.filter((text) => /"category_watches"/.test(text))).toHaveLength(1);
  });
});

describe('thread lists', () => {
  it('write their fixed page sizes into the statement, so that a prepared one can keep its generic plan', async () => {
    const statements = [...(await statementsOf(reader, '/')), ...(await statementsOf(reader, '/c')), ...(await statementsOf(reader, '/c/questions'))];
    // The home page's unread and recent threads and site-wide pins, /c's unread counts, page 1
    // of a category and the site-wide pins leading it.
    const lists = statements.filter((text) => /from "threads" as "t"/.test(text));
    expect(lists).toHaveLength(6);
    for (const text of lists) expect(text).not.toMatch(/\blimit \$\d+/);
  });
});
