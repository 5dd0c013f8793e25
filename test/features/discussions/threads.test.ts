import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { csrfOf, memberWithBrowser, postIdFrom, postReply, replyFormOf, startThread } from '../../support/discussions.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

describe('the default categories', () => {
  it('lists them at /c for a member, without the moderators-only lounge', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const response = await browser.get('/c');
    expect(response.statusCode).toBe(200);
    for (const name of ['Introductions', 'Questions and answers', 'Social media practice', 'Policy and governance', 'Tools and platforms', 'Announcements']) expect(response.body).toContain(name);
    expect(response.body).not.toContain('lounge');
  });

  it('shows the lounge to a moderator', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    expect((await browser.get('/c')).body).toContain('Moderators’ lounge');
  });

  it('sends a visitor to sign in', async () => {
    const response = await new Browser(t.app).get('/c');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/login?next=%2Fc');
  });
});

describe('starting a thread and replying', () => {
  it('starts a thread, shows it, and takes a reply that lands on the right page', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(browser, 'questions', { title: 'Records keeping for deleted posts', body: 'Do you keep **deleted** posts?' });
    const short = await browser.get(`/t/${threadId}`);
    expect(short.headers.location).toBe(`/t/${threadId}/records-keeping-for-deleted-posts`);
    const page = await browser.get(short.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<strong>deleted</strong>');
    expect(page.body).toContain('<label for="field-body">Reply</label>');

    const { browser: other } = await memberWithBrowser(t.app, t.db);
    const reply = await postReply(other, threadId, { body: 'Yes, for seven years.' });
    expect(reply.statusCode).toBe(303);
    const postId = postIdFrom(reply.headers.location);
    const permalink = await other.get(`/p/${postId}`);
    expect(permalink.headers.location).toBe(`/t/${threadId}/records-keeping-for-deleted-posts#post-${postId}`);
  });

  it('makes one post from a form submitted twice, and from 20 parallel submissions', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(browser, 'questions');
    const hidden = await replyFormOf(browser, threadId);
    const responses = await Promise.all(Array.from({ length: 20 }, () => browser.post(`/t/${threadId}/reply`, { ...hidden, body: 'Only once, please.' })));
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(new Set([303]));
    expect(new Set(responses.map((r) => r.headers.location)).size).toBe(1);
    const rows = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('body_source', '=', 'Only once, please.').execute();
    expect(rows).toHaveLength(1);
    const thread = await t.db.selectFrom('threads').select(['post_count', 'reply_count', 'category_id']).where('id', '=', threadId).executeTakeFirstOrThrow();
    expect(thread).toMatchObject({ post_count: 2, reply_count: 1 });
    // The category counted the thread and its one reply, once each.
    const category = await t.db.selectFrom('categories').select(['post_count', 'thread_count']).where('id', '=', thread.category_id).executeTakeFirstOrThrow();
    const inCategory = await t.db.selectFrom('threads').select((eb) => [eb.fn.countAll<number>().as('threads'), eb.fn.sum<number>('post_count').as('posts')]).where('category_id', '=', thread.category_id).executeTakeFirstOrThrow();
    expect(category).toEqual({ thread_count: Number(inCategory.threads), post_count: Number(inCategory.posts) });
  });

  it('makes one thread from 20 parallel submissions of its form, with no request left waiting for a connection', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const hidden = await browser.openForm('/c/questions/new');
    const form = { ...hidden, title: 'Started once, however often sent', body: 'Twenty clicks, one thread.' };
    const responses = await Promise.all(Array.from({ length: 20 }, () => browser.post('/c/questions/new', form)));
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(new Set([303]));
    expect(new Set(responses.map((r) => /^\/t\/\d+/.exec(r.headers.location as string)?.[0])).size).toBe(1);
    expect(await t.db.selectFrom('threads').select('id').where('title', '=', form.title).execute()).toHaveLength(1);
  });

  it('sends a resubmitted form to the reply it made, even once the thread is locked or the post it answered is deleted', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(browser, 'questions');
    const answered = await memberWithBrowser(t.app, t.db);
    const parentId = postIdFrom((await postReply(answered.browser, threadId, { body: 'We archive weekly.' })).headers.location);

    const toParent = { ...(await replyFormOf(browser, threadId, `?reply_to=${parentId}`)), body: 'Which tool do you use?' };
    const first = await browser.post(`/t/${threadId}/reply`, toParent);
    expect(first.statusCode).toBe(303);
    expect((await answered.browser.post(`/p/${parentId}/delete`, { _csrf: await csrfOf(answered.browser) })).statusCode).toBe(303);
    const afterDelete = await browser.post(`/t/${threadId}/reply`, toParent);
    expect(afterDelete.statusCode).toBe(303);
    expect(afterDelete.headers.location).toBe(first.headers.location);

    const plain = { ...(await replyFormOf(browser, threadId)), body: 'And how often?' };
    const second = await browser.post(`/t/${threadId}/reply`, plain);
    expect(second.statusCode).toBe(303);
    await t.db.updateTable('threads').set({ locked_at: new Date() }).where('id', '=', threadId).execute();
    const afterLock = await browser.post(`/t/${threadId}/reply`, plain);
    expect(afterLock.statusCode).toBe(303);
    expect(afterLock.headers.location).toBe(second.headers.location);
    expect(await t.db.selectFrom('posts').select('body_source').where('thread_id', '=', threadId).orderBy('position').execute()).toEqual([
      { body_source: expect.any(String) },
      { body_source: 'We archive weekly.' },
      { body_source: 'Which tool do you use?' },
      { body_source: 'And how often?' },
    ]);
  });
});
