import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, replyFormOf, startThread } from '../../support/discussions.js';

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
    const thread = await t.db.selectFrom('threads').select(['post_count', 'reply_count']).where('id', '=', threadId).executeTakeFirstOrThrow();
    expect(thread).toEqual({ post_count: 2, reply_count: 1 });
  });
});
