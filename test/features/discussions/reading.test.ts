import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type Browser, type TestApp } from '../../support/app.js';
import { UNREAD_THREADS_COUNTED_UP_TO, UNREAD_WINDOW_DAYS } from '../../../src/features/discussions/unread.js';
import { memberWithBrowser, postReply, startThread } from '../../support/discussions.js';
import { addReplies, createCategory, createThreads } from '../../support/forum-rows.js';
import { createMember } from '../../support/members.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '10000' } });
});
afterAll(async () => t.close());

/** The member's read rows for a thread, with the row version PostgreSQL gives every UPDATE. */
async function readRows(memberId: number, threadId: number) {
  const rows = await sql<{ position: number; xmin: string; updated_at: Date }>`
    select last_read_position as position, xmin::text as xmin, updated_at from thread_reads where member_id = ${memberId} and thread_id = ${threadId}`.execute(t.db);
  return rows.rows;
}

async function postIds(threadId: number): Promise<number[]> {
  const rows = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).orderBy('position').execute();
  return rows.map((row) => row.id);
}

async function threadPage(browser: Browser, threadId: number, query = ''): Promise<string> {
  const short = await browser.get(`/t/${threadId}${query}`);
  const page = await browser.get(short.headers.location as string);
  expect(page.statusCode).toBe(200);
  return page.body;
}

const DIVIDER = '<p class="new-divider" id="new"><span>New since your last visit</span></p>';

/** The post the "new" divider stands above, or undefined when there is none. */
function dividedPost(html: string): number | undefined {
  const at = html.indexOf(DIVIDER);
  if (at === -1) return undefined;
  expect(html.indexOf(DIVIDER, at + 1)).toBe(-1);
  return Number(/^\s*<article class="post[^"]*" id="post-(\d+)"/.exec(html.slice(at + DIVIDER.length))![1]);
}

function itemOf(html: string, itemClass: string, href: string): string {
  const items = html.split(`<li class="${itemClass}`).slice(1);
  const item = items.find((candidate) => candidate.includes(href));
  expect(item, href).toBeDefined();
  return item!.slice(0, item!.indexOf('</li>'));
}

const unreadInCategoryList = (html: string, slug: string) => /<strong>(\d+\+?) unread<\/strong>/.exec(itemOf(html, 'category-list__item', `href="/c/${slug}"`))?.[1] ?? '0';
const markerOfThread = (html: string, threadId: number) =>
  /<a class="unread" href="[^"]+">([^<]+)/.exec(itemOf(html, 'thread-list__item', `href="/t/${threadId}/`))?.[1] ?? 'none';
const section = (html: string, heading: string) => html.slice(html.indexOf(`<h2 id="${heading}">`), html.indexOf('</section>', html.indexOf(`<h2 id="${heading}">`)));
/** The threads the home page lists as unread, by id, in order. */
const unreadOnHome = async (browser: Browser) => [...new Set([...section((await browser.get('/')).body, 'unread-heading').matchAll(/href="\/t\/(\d+)\//g)].map((match) => Number(match[1])))];

const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);

/** Every other thread read to the end by the member, so the home page's few unread are the test's own. */
async function readAllBut(memberId: number, threadIds: number[]): Promise<void> {
  await sql`
    insert into thread_reads (member_id, thread_id, last_read_position)
    select ${memberId}, id, post_count from threads where id <> all(${threadIds}::bigint[])
    on conflict (member_id, thread_id) do update set last_read_position = excluded.last_read_position`.execute(t.db);
}

describe('reading a thread', () => {
  it('writes at most one row a page view, and nothing when nothing new was shown', async () => {
    const author = await memberWithBrowser(t.app, t.db);
    const reader = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions');

    await threadPage(reader.browser, threadId);
    const [first] = await readRows(reader.member.id, threadId);
    expect(first?.position).toBe(1);
    await threadPage(reader.browser, threadId);
    expect(await readRows(reader.member.id, threadId)).toEqual([first]);

    expect((await postReply(author.browser, threadId)).statusCode).toBe(303);
    await threadPage(reader.browser, threadId);
    const [second] = await readRows(reader.member.id, threadId);
    expect(second?.position).toBe(2);
    expect(second?.xmin).not.toBe(first?.xmin);
    expect(second!.updated_at.getTime()).toBeGreaterThan(first!.updated_at.getTime());

    // Two pages: reading page 2 then page 1 again never moves the position back, nor writes.
    await addReplies(t.db, threadId, author.member.id, 25);
    await threadPage(reader.browser, threadId, '?page=2');
    const [afterPageTwo] = await readRows(reader.member.id, threadId);
    expect(afterPageTwo?.position).toBe(27);
    await threadPage(reader.browser, threadId);
    expect(await readRows(reader.member.id, threadId)).toEqual([afterPageTwo]);
    expect(await t.db.selectFrom('thread_reads').select('member_id').where('thread_id', '=', threadId).execute()).toHaveLength(2);
  });

  it('shows "New since your last visit" above the first unread post, to the returning member only', async () => {
    const author = await memberWithBrowser(t.app, t.db);
    const reader = await memberWithBrowser(t.app, t.db);
    const newcomer = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions');
    expect(dividedPost(await threadPage(reader.browser, threadId))).toBeUndefined();
    await postReply(author.browser, threadId, { body: 'A first follow-up.' });
    await postReply(author.browser, threadId, { body: 'A second follow-up.' });
    const [, firstNew] = await postIds(threadId);

    expect(dividedPost(await threadPage(reader.browser, threadId))).toBe(firstNew);
    expect(dividedPost(await threadPage(reader.browser, threadId))).toBeUndefined();
    // The author wrote every post; a first visit has nothing to divide.
    expect(dividedPost(await threadPage(author.browser, threadId))).toBeUndefined();
    expect(dividedPost(await threadPage(newcomer.browser, threadId))).toBeUndefined();
  });
});

describe('GET /t/:id/unread', () => {
  it('goes to the first unread post, on its page, and to the end of the thread when none is', async () => {
    const author = await memberWithBrowser(t.app, t.db);
    const reader = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions', { title: 'Jumping to what is new' });
    const path = `/t/${threadId}/jumping-to-what-is-new`;
    const unread = async () => (await reader.browser.get(`/t/${threadId}/unread`)).headers.location;

    const [firstPost] = await postIds(threadId);
    expect(await unread()).toBe(`${path}#post-${firstPost}`);
    await threadPage(reader.browser, threadId);
    expect(await unread()).toBe(`${path}#reply`);

    const replies = await addReplies(t.db, threadId, author.member.id, 24);
    await threadPage(reader.browser, threadId);
    // Read to position 20; 21 is the first on page 2. A deleted post is skipped.
    await t.db.updateTable('posts').set({ deleted_at: sql`now()` }).where('id', '=', replies[19]!).execute();
    expect(await unread()).toBe(`${path}?page=2#post-${replies[20]}`);
    await threadPage(reader.browser, threadId, '?page=2');
    expect(await unread()).toBe(`${path}?page=2#reply`);
  });

  it('answers 404 for a thread the member cannot see', async () => {
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const member = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(moderator.browser, 'moderators');
    expect((await member.browser.get(`/t/${threadId}/unread`)).statusCode).toBe(404);
    expect((await moderator.browser.get(`/t/${threadId}/unread`)).statusCode).toBe(303);
  });
});

describe('unread counts in lists', () => {
  it('counts unread threads in /c and marks them in /c/:slug; one’s own posts are never unread', async () => {
    const category = await createCategory(t.db);
    const author = await memberWithBrowser(t.app, t.db);
    const reader = await memberWithBrowser(t.app, t.db);
    const first = await startThread(author.browser, category.slug, { title: 'The first thread' });
    const second = await startThread(author.browser, category.slug, { title: 'The second thread' });
    const lists = async (browser: Browser) => ({ count: unreadInCategoryList((await browser.get('/c')).body, category.slug), page: (await browser.get(`/c/${category.slug}`)).body });

    let seen = await lists(reader.browser);
    expect(seen.count).toBe('2');
    expect([markerOfThread(seen.page, first), markerOfThread(seen.page, second)]).toEqual(['new', 'new']);

    await threadPage(reader.browser, first);
    await postReply(author.browser, first, { body: 'More on the first.' });
    await postReply(author.browser, first, { body: 'And more again.' });
    seen = await lists(reader.browser);
    expect(seen.count).toBe('2');
    expect(markerOfThread(seen.page, first)).toBe('2 unread');
    expect(itemOf(seen.page, 'thread-list__item', `href="/t/${first}/`)).toContain(`href="/t/${first}/unread"`);

    // Replying to a thread never opened reads it: one's own reply is not news.
    expect((await postReply(reader.browser, second, { body: 'I have thoughts on the second.' })).statusCode).toBe(303);
    seen = await lists(reader.browser);
    expect(seen.count).toBe('1');
    expect(markerOfThread(seen.page, second)).toBe('none');

    const own = await lists(author.browser);
    expect(own.count).toBe('1');
    expect(markerOfThread(own.page, first)).toBe('none');
    expect(markerOfThread(own.page, second)).toBe('1 unread');
    await postReply(author.browser, second, { body: 'Thanks for those.' });
    const afterOwnReply = await lists(author.browser);
    expect(afterOwnReply.count).toBe('0');
    expect(markerOfThread(afterOwnReply.page, second)).toBe('none');
  });
});

describe('the signed-in home page', () => {
  it('shows unread and recent threads from the categories the member may see, and links onwards', async () => {
    const reader = await memberWithBrowser(t.app, t.db);
    const author = await memberWithBrowser(t.app, t.db);
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const tag = randomBytes(3).toString('hex');
    const visible = await startThread(author.browser, 'social-media-practice', { title: `Night moderation ${tag}` });
    await startThread(moderator.browser, 'moderators', { title: `Lounge talk ${tag}` });

    const home = (await reader.browser.get('/')).body;
    expect(section(home, 'unread-heading')).toContain(`Night moderation ${tag}`);
    expect(section(home, 'recent-heading')).toContain(`Night moderation ${tag}`);
    expect(section(home, 'recent-heading')).toContain('In <a href="/c/social-media-practice">Social media practice</a>');
    expect(home).not.toContain(`Lounge talk ${tag}`);
    for (const href of ['/c', '/notifications', '/members']) expect(home).toContain(`<a href="${href}">`);

    await threadPage(reader.browser, visible);
    const after = (await reader.browser.get('/')).body;
    expect(section(after, 'unread-heading')).not.toContain(`Night moderation ${tag}`);
    expect(section(after, 'recent-heading')).toContain(`Night moderation ${tag}`);
    expect((await moderator.browser.get('/')).body).toContain(`Lounge talk ${tag}`);
  });
});

describe('what /c and the home page count as unread', () => {
  it(`counts only threads with posts in the last ${UNREAD_WINDOW_DAYS} days, and says so`, async () => {
    const category = await createCategory(t.db);
    const author = await createMember(t.db);
    const reader = await memberWithBrowser(t.app, t.db);
    await t.db.updateTable('members').set({ created_at: daysAgo(3 * UNREAD_WINDOW_DAYS) }).where('id', '=', reader.member.id).execute();
    const [stale] = await createThreads(t.db, category.id, author.id, 1, daysAgo(UNREAD_WINDOW_DAYS + 1));
    const [recent] = await createThreads(t.db, category.id, author.id, 1, daysAgo(UNREAD_WINDOW_DAYS - 1));
    await readAllBut(reader.member.id, [stale!, recent!]);

    const categories = (await reader.browser.get('/c')).body;
    expect(categories).toContain(`Unread counts the threads with posts in the last ${UNREAD_WINDOW_DAYS} days that you have not read to the end.`);
    expect(unreadInCategoryList(categories, category.slug)).toBe('1');
    expect((await reader.browser.get('/')).body).toContain(`<h2 id="unread-heading">Unread in the last ${UNREAD_WINDOW_DAYS} days</h2>`);
    expect(await unreadOnHome(reader.browser)).toEqual([recent]);
    // The category's list marks the same threads: the stale one, never opened, is not "new".
    const list = (await reader.browser.get(`/c/${category.slug}`)).body;
    expect(markerOfThread(list, recent!)).toBe('new');
    expect(markerOfThread(list, stale!)).toBe('none');

    // A new reply makes the old thread recent again.
    await addReplies(t.db, stale!, author.id, 1);
    expect(unreadInCategoryList((await reader.browser.get('/c')).body, category.slug)).toBe('2');
    expect(await unreadOnHome(reader.browser)).toEqual([stale, recent]);
  });

  it('never counts a thread whose last post came before the member joined', async () => {
    const category = await createCategory(t.db);
    const author = await createMember(t.db);
    const reader = await memberWithBrowser(t.app, t.db);
    const { created_at: joined } = await t.db.selectFrom('members').select('created_at').where('id', '=', reader.member.id).executeTakeFirstOrThrow();
    const [before] = await createThreads(t.db, category.id, author.id, 1, new Date(joined.getTime() - 60_000));
    await readAllBut(reader.member.id, [before!]);

    expect(unreadInCategoryList((await reader.browser.get('/c')).body, category.slug)).toBe('0');
    expect(await unreadOnHome(reader.browser)).toEqual([]);
    expect((await reader.browser.get('/')).body).toContain(`You are up to date: nothing unread from the last ${UNREAD_WINDOW_DAYS} days.`);
    expect(markerOfThread((await reader.browser.get(`/c/${category.slug}`)).body, before!)).toBe('none');

    await addReplies(t.db, before!, author.id, 1);
    expect(unreadInCategoryList((await reader.browser.get('/c')).body, category.slug)).toBe('1');
    expect(await unreadOnHome(reader.browser)).toEqual([before]);
    expect(markerOfThread((await reader.browser.get(`/c/${category.slug}`)).body, before!)).toBe('new');
  });

  it(`stops counting past ${UNREAD_THREADS_COUNTED_UP_TO} and shows "${UNREAD_THREADS_COUNTED_UP_TO}+"`, async () => {
    const category = await createCategory(t.db);
    const author = await createMember(t.db);
    const reader = await memberWithBrowser(t.app, t.db);
    const unread = async () => unreadInCategoryList((await reader.browser.get('/c')).body, category.slug);

    await createThreads(t.db, category.id, author.id, UNREAD_THREADS_COUNTED_UP_TO);
    expect(await unread()).toBe(String(UNREAD_THREADS_COUNTED_UP_TO));
    await createThreads(t.db, category.id, author.id, 1);
    expect(await unread()).toBe(`${UNREAD_THREADS_COUNTED_UP_TO}+`);
    await createThreads(t.db, category.id, author.id, 50);
    expect(await unread()).toBe(`${UNREAD_THREADS_COUNTED_UP_TO}+`);
  });
});
