import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { buildTestApp, type Browser, type TestApp } from '../../support/app.js';
import { csrfOf, memberWithBrowser, postAt, postIdFrom, postReply, pressPostButton, replyFormOf, startThread, threadPageOf } from '../../support/discussions.js';
import { createCategory, createThreads } from '../../support/forum-rows.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

// Moderators lock and pin in the moderation issue; here the columns are set as they will.
async function lock(threadId: number): Promise<void> {
  await t.db.updateTable('threads').set({ locked_at: sql`now()` }).where('id', '=', threadId).execute();
}

async function rowCounts(threadId: number) {
  const count = async (table: 'posts' | 'notifications' | 'thread_reads') => Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const thread = await t.db.selectFrom('threads').select(['post_count', 'reply_count', 'last_posted_at']).where('id', '=', threadId).executeTakeFirstOrThrow();
  return { posts: await count('posts'), notifications: await count('notifications'), reads: await count('thread_reads'), thread };
}

describe('a locked thread', () => {
  it('refuses a reply with 403 and says why, writing nothing, even from a form opened before it was locked', async () => {
    const author = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions');
    const { browser } = await memberWithBrowser(t.app, t.db);
    const hidden = await replyFormOf(browser, threadId);
    await lock(threadId);
    const before = await rowCounts(threadId);
    const response = await browser.post(`/t/${threadId}/reply`, { ...hidden, body: 'One more thought.' });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(DISCUSSION_MESSAGES.threadLocked);
    expect(await rowCounts(threadId)).toEqual(before);
  });

  it('shows the locked text in place of the reply form, no Reply or Quote, and Locked in lists', async () => {
    const author = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions', { title: 'A question now closed' });
    await lock(threadId);
    const { browser } = await memberWithBrowser(t.app, t.db);
    const page = await threadPageOf(browser, threadId);
    expect(page).toMatch(/<section class="reply"[^>]*>\s*<h2 id="reply-heading">Add a reply<\/h2>\s*<p>This thread is locked: it no longer takes replies.<\/p>\s*<\/section>/);
    expect(page).not.toContain(`action="/t/${threadId}/reply"`);
    expect(page).not.toContain('reply_to=');
    expect(page).not.toContain('quote=');
    expect((await browser.get('/c/questions')).body).toMatch(new RegExp(`<span class="tag">Locked</span>\\s*(<span class="tag tag--answered">Answered</span>\\s*)?<a href="/t/${threadId}/`));
  });

  // Locking ends the conversation, not the thanks for what helped in it, nor choosing the answer.
  it('still takes "helpful" and the choice of an answer', async () => {
    const author = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions');
    const replier = await memberWithBrowser(t.app, t.db);
    const replyId = postIdFrom((await postReply(replier.browser, threadId, { body: 'This worked for us.' })).headers.location);
    await lock(threadId);

    const firstPostId = await postAt(t.db, threadId, 1);
    expect((await pressPostButton(replier.browser, firstPostId, 'helpful', { helpful: 'yes' }, await csrfOf(replier.browser))).statusCode).toBe(303);
    expect((await pressPostButton(author.browser, replyId, 'answer', { answer: 'yes' }, await csrfOf(author.browser))).statusCode).toBe(303);
    const posts = await t.db.selectFrom('posts').select(['id', 'helpful_count', 'answered_by']).where('thread_id', '=', threadId).orderBy('position').execute();
    expect(posts).toEqual([
      { id: firstPostId, helpful_count: 1, answered_by: null },
      { id: replyId, helpful_count: 0, answered_by: author.member.id },
    ]);
  });
});

describe('pinned threads', () => {
  it('list first in /c/:slug, by latest activity among themselves, then the rest by latest activity', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const titles = ['Oldest thread, pinned', 'Middle thread, pinned', 'Newest thread, not pinned', 'Older thread, not pinned'];
    const ids: number[] = [];
    for (const title of titles) ids.push(await startThread(browser, 'tools-and-platforms', { title }));
    // Activity set outright, so the order does not hang on the clock's resolution.
    const activity = ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', '2026-01-15T00:00:00Z'];
    for (const [i, id] of ids.entries()) await t.db.updateTable('threads').set({ last_posted_at: new Date(activity[i]!) }).where('id', '=', id).execute();
    await t.db.updateTable('threads').set({ pinned_at: sql`now()` }).where('id', 'in', ids.slice(0, 2)).execute();

    const page = (await browser.get('/c/tools-and-platforms')).body;
    const order = titles.map((title) => page.indexOf(title));
    expect(order.every((at) => at > 0)).toBe(true);
    expect([order[1], order[0], order[2], order[3]]).toEqual([...order].sort((a, b) => a - b));
    expect(page.match(/<span class="tag">Pinned<\/span>/g)).toHaveLength(2);
  });

  it('keep their order from page to page: every thread once, pinned first, hidden ones for staff only', async () => {
    const { browser, member } = await memberWithBrowser(t.app, t.db);
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const category = await createCategory(t.db);
    const ids = await createThreads(t.db, category.id, member.id, 64);
    // A few threads share each moment of activity, so the id breaks ties across page boundaries.
    await sql`update threads set last_posted_at = now() - (id % 7) * interval '1 hour' where category_id = ${category.id}`.execute(t.db);
    await t.db.updateTable('threads').set({ pinned_at: sql`now()` }).where('id', 'in', [ids[40]!, ids[50]!]).execute();
    await t.db.updateTable('threads').set({ hidden_at: sql`now()` }).where('id', 'in', [ids[3]!, ids[33]!]).execute();
    const expected = async (staff: boolean) =>
      (
        await t.db
          .selectFrom('threads')
          .select('id')
          .where('category_id', '=', category.id)
          .$if(!staff, (qb) => qb.where('hidden_at', 'is', null))
          .orderBy(sql`pinned_at is null`)
          .orderBy('last_posted_at', 'desc')
          .orderBy('id', 'desc')
          .execute()
      ).map((row) => row.id);
    const listed = async (viewer: Browser) => {
      const shown: number[] = [];
      for (const page of [1, 2, 3]) {
        const body = (await viewer.get(`/c/${category.slug}?page=${page}`)).body;
        shown.push(...[...body.matchAll(/<a href="\/t\/(\d+)\/[^"]*"><bdi>/g)].map((match) => Number(match[1])));
      }
      return shown;
    };
    expect(await listed(browser)).toEqual(await expected(false));
    expect(await listed(moderator)).toEqual(await expected(true));
    expect((await browser.get(`/c/${category.slug}?page=4`)).statusCode).toBe(404);
  });
});
