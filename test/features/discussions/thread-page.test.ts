import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { articleOf, followLink, memberWithBrowser, postIdFrom, postReply, pressButton, replyFormOf, startThread } from '../../support/discussions.js';
import { addReplies } from '../../support/forum-rows.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
});
afterAll(async () => t.close());

describe('GET /t/:id/:slug', () => {
  it('sends a wrong or old slug to the right one, keeping the query', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const id = await startThread(browser, 'questions', { title: 'Alt text on infographics' });
    const response = await browser.get(`/t/${id}/something-else?view=threaded`);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/t/${id}/alt-text-on-infographics?view=threaded`);
  });

  it('shows 20 posts a page, oldest first, and sends a permalink to the page that holds it', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const id = await startThread(browser, 'social-media-practice', { title: 'Twenty-five posts long' });
    const replies: number[] = [];
    for (let n = 2; n <= 25; n += 1) replies.push(postIdFrom((await postReply(browser, id, { body: `Reply number ${n}.` })).headers.location));
    const page1 = await browser.get(`/t/${id}/twenty-five-posts-long`);
    expect(page1.body.match(/<article class="post/g)).toHaveLength(20);
    expect(page1.body.indexOf('Reply number 2.')).toBeLessThan(page1.body.indexOf('Reply number 20.'));
    expect(page1.body).not.toContain('Reply number 21.');
    const page2 = await browser.get(`/t/${id}/twenty-five-posts-long?page=2`);
    expect(page2.body.match(/<article class="post/g)).toHaveLength(5);
    expect(page2.body).toContain('Reply number 21.');
    expect(page2.body).toContain('Page 2 of 2');
    expect((await browser.get(`/p/${replies.at(-1)}`)).headers.location).toBe(`/t/${id}/twenty-five-posts-long?page=2#post-${replies.at(-1)}`);
    expect((await browser.get(`/p/${replies[0]}`)).headers.location).toBe(`/t/${id}/twenty-five-posts-long#post-${replies[0]}`);
  });
});

describe('replies to replies', () => {
  it('shows "in reply to" with the author and an excerpt, and the tree in the threaded view', async () => {
    const asker = await memberWithBrowser(t.app, t.db);
    const answerer = await memberWithBrowser(t.app, t.db);
    const id = await startThread(asker.browser, 'questions', { title: 'Transcripts for short videos' });
    const first = postIdFrom((await postReply(answerer.browser, id, { body: 'We publish a transcript beside every video.' })).headers.location);
    const plain = postIdFrom((await postReply(asker.browser, id, { body: 'A plain reply to the thread.' })).headers.location);
    const hidden = await replyFormOf(asker.browser, id, `?reply_to=${first}`);
    expect(hidden.reply_to).toBe(String(first));
    const nested = await asker.browser.post(`/t/${id}/reply`, { ...hidden, body: 'Even for ten-second clips?' });
    const nestedId = postIdFrom(nested.headers.location);

    const flat = (await asker.browser.get(`/t/${id}/transcripts-for-short-videos`)).body;
    const nestedArticle = flat.slice(flat.indexOf(`id="post-${nestedId}"`));
    expect(nestedArticle).toContain(`In reply to <a href="/p/${first}"><bdi>${answerer.member.displayName}</bdi></a>: <bdi class="post__excerpt">We publish a transcript beside every video.</bdi>`);

    const threaded = (await asker.browser.get(`/t/${id}/transcripts-for-short-videos?view=threaded`)).body;
    const order = [...threaded.matchAll(/<article class="post([^"]*)" id="post-(\d+)"/g)].map((m) => [Number(m[2]), m[1]!.includes('post--depth-1')]);
    expect(order.map(([postId]) => postId)).toEqual([order[0]![0], first, nestedId, plain]);
    expect(order.find(([postId]) => postId === nestedId)![1]).toBe(true);
  });

  it('pages the threaded view in tree order, 20 posts a page', async () => {
    const { browser, member } = await memberWithBrowser(t.app, t.db);
    const id = await startThread(browser, 'questions', { title: 'A tree over two pages' });
    const [firstReply] = await addReplies(t.db, id, member.id, 20);
    const nested = postIdFrom((await postReply(browser, id, { body: 'A reply to the first reply.', reply_to: String(firstReply) })).headers.location);
    const byPosition = (await t.db.selectFrom('posts').select('id').where('thread_id', '=', id).where('id', '<>', nested).orderBy('position').execute()).map((row) => row.id);
    const shown = async (page: number) => {
      const body = (await browser.get(`/t/${id}/a-tree-over-two-pages?view=threaded&page=${page}`)).body;
      return [...body.matchAll(/<article class="post[^"]*" id="post-(\d+)"/g)].map((match) => Number(match[1]));
    };
    // The reply to the first reply comes under it, so the last two replies move to page 2.
    expect(await shown(1)).toEqual([byPosition[0], firstReply, nested, ...byPosition.slice(2, 19)]);
    expect(await shown(2)).toEqual(byPosition.slice(19));
  });

  it('fills the reply form with a quote, as a Markdown block quote with attribution', async () => {
    const { browser, member } = await memberWithBrowser(t.app, t.db);
    const id = await startThread(browser, 'questions', { title: 'Quoting in replies', body: 'Line one.\nLine two.' });
    const firstPost = await t.db.selectFrom('posts').select('id').where('thread_id', '=', id).executeTakeFirstOrThrow();
    const page = await browser.get(`/t/${id}/quoting-in-replies?quote=${firstPost.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`&gt; **${member.displayName}** wrote:`);
    expect(page.body).toContain('&gt; Line one.');
    expect(page.body).toContain(`name="reply_to" value="${firstPost.id}"`);
    expect((await browser.get(`/t/${id}/quoting-in-replies?quote=987654`)).statusCode).toBe(404);
    expect((await browser.get(`/t/${id}/quoting-in-replies?quote=abc`)).statusCode).toBe(400);
  });
});

describe("a post's Reply, Quote and Helpful, followed and pressed as a browser without JavaScript does", () => {
  /** A thread of 21 posts, read by a member who did not write them; its last post is on page 2. */
  async function twoPageThread() {
    const author = await memberWithBrowser(t.app, t.db);
    const reader = await memberWithBrowser(t.app, t.db);
    const id = await startThread(author.browser, 'questions', { title: 'Links that keep their page' });
    let last = 0;
    for (let n = 2; n <= 21; n += 1) last = postIdFrom((await postReply(author.browser, id, { body: `Reply number ${n}.` })).headers.location);
    return { reader: reader.browser, readerId: reader.member.id, id, last, path: `/t/${id}/links-that-keep-their-page` };
  }
  const linkOn = (page: string, postId: number, text: string) => new RegExp(`<a [^>]*>(?=${text}<)`).exec(articleOf(page, postId))![0];

  it('Reply and Quote open the reply form for that post on the same page, in the same view', async () => {
    const { reader, id, last, path } = await twoPageThread();
    for (const [pageUrl, view] of [[`${path}?page=2`, '<strong>Oldest first</strong>'], [`${path}?view=threaded&page=2`, '<strong>Threaded</strong>']] as const) {
      const page = (await reader.get(pageUrl)).body;
      for (const link of ['Reply', 'Quote']) {
        const opened = await followLink(reader, pageUrl, linkOn(page, last, link));
        expect(opened.statusCode, `${link} on ${pageUrl}`).toBe(200);
        expect(opened.body).toContain(view);
        expect(opened.body).toContain('Page 2 of 2');
        expect(opened.body).toContain(`name="reply_to" value="${last}"`);
        if (link === 'Quote') expect(opened.body).toContain('&gt; Reply number 21.');
      }
    }

    // A reply sent back with an error is shown at /t/:id/reply; its posts' links still lead to the thread.
    const refused = await reader.post(`/t/${id}/reply`, { ...(await replyFormOf(reader, id)), body: '' });
    expect(refused.statusCode).toBe(422);
    const opened = await followLink(reader, `/t/${id}/reply`, linkOn(refused.body, last, 'Reply'));
    expect(opened.statusCode).toBe(200);
    expect(opened.body).toContain(`name="reply_to" value="${last}"`);
  });

  it('Helpful gives the reaction, and takes it back when pressed again', async () => {
    const { reader, readerId, last, path } = await twoPageThread();
    const pageUrl = `${path}?view=threaded&page=2`;
    for (const expected of [[readerId], []]) {
      const page = (await reader.get(pageUrl)).body;
      const pressed = await pressButton(reader, pageUrl, page, /<button [^>]*>(?=Helpful)/.exec(articleOf(page, last))![0]);
      expect(pressed.statusCode).toBe(303);
      expect(pressed.headers.location).toBe(`${path}?page=2#post-${last}`);
      const given = await t.db.selectFrom('post_reactions').select('member_id').where('post_id', '=', last).execute();
      expect(given.map((row) => row.member_id)).toEqual(expected);
    }
  });
});

describe('a post a moderator hid', () => {
  it('offers no reply, quote or thanks, and is not found for editing by another member', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const other = await memberWithBrowser(t.app, t.db);
    const id = await startThread(browser, 'questions', { title: 'A thread with a hidden reply' });
    const hiddenId = postIdFrom((await postReply(other.browser, id, { body: 'Something against the guidelines.' })).headers.location);
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    await t.db.updateTable('posts').set({ hidden_at: new Date(), hidden_by: moderator.member.id, hidden_reason: 'Against the guidelines' }).where('id', '=', hiddenId).execute();
    const page = (await browser.get(`/t/${id}/a-thread-with-a-hidden-reply`)).body;
    expect(page).toContain('This post was hidden by a moderator.');
    expect(page).not.toContain('Something against the guidelines.');
    expect(page).not.toContain(`reply_to=${hiddenId}`);
    expect(page).not.toContain(`quote=${hiddenId}`);
    expect(page).not.toContain(`/p/${hiddenId}/helpful`);
    expect((await browser.get(`/p/${hiddenId}/edit`)).statusCode).toBe(404);
  });
});

describe('titles written right to left', () => {
  it('are isolated, so a bidi override cannot reverse the text around them', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const id = await startThread(browser, 'questions', { title: 'Invoice \u202Efdp.exe for review' });
    const page = await browser.get(`/t/${id}/invoice-fdp-exe-for-review`);
    expect(page.body).toContain('<h1><bdi>Invoice \u202Efdp.exe for review</bdi></h1>');
    expect((await browser.get('/c/questions')).body).toContain('<bdi>Invoice \u202Efdp.exe for review</bdi></a>');
  });
});

describe('rendered HTML', () => {
  it('is made again when the renderer version changes, and stored for next time', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const id = await startThread(browser, 'questions', { title: 'Stale rendering', body: 'Some **bold** words.' });
    await t.db.updateTable('posts').set({ body_html: '<p>old output</p>', renderer_version: 0 }).where('thread_id', '=', id).execute();
    const page = await browser.get(`/t/${id}/stale-rendering`);
    expect(page.body).toContain('<strong>bold</strong>');
    expect(page.body).not.toContain('old output');
    const stored = await t.db.selectFrom('posts').select(['body_html', 'renderer_version']).where('thread_id', '=', id).executeTakeFirstOrThrow();
    expect(stored.body_html).toContain('<strong>bold</strong>');
    expect(stored.renderer_version).toBeGreaterThan(0);
  });
});
