import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, replyFormOf, startThread } from '../../support/discussions.js';
import type { TestMember } from '../../support/members.js';

let t: TestApp;
let member: { member: TestMember; browser: Browser };
let threadId: number;
let threadPath: string;

beforeAll(async () => {
  // One member posts everything here: their first-day limit must not get in the way.
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  member = await memberWithBrowser(t.app, t.db);
  threadId = await startThread(member.browser, 'questions', { title: 'Moderating comments on a crisis post' });
  threadPath = (await member.browser.get(`/t/${threadId}`)).headers.location as string;
});
afterAll(async () => t.close());

async function rowCounts() {
  const count = async (table: 'threads' | 'posts' | 'notifications' | 'thread_reads' | 'thread_watches') => Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { threads: await count('threads'), posts: await count('posts'), notifications: await count('notifications'), watches: await count('thread_watches') };
}

/** Runs a refused request and checks it wrote nothing. */
async function refused(send: () => Promise<{ statusCode: number; body: string }>, status: number, message?: string) {
  const before = await rowCounts();
  const response = await send();
  expect(response.statusCode, response.body.slice(0, 500)).toBe(status);
  if (message) expect(response.body).toContain(message);
  expect(await rowCounts()).toEqual(before);
  return response;
}

async function newThreadForm(browser = member.browser, slug = 'questions') {
  return browser.openForm(`/c/${slug}/new`);
}

describe('POST /c/:slug/new refuses bad input and writes nothing', () => {
  const GOOD = { title: 'Captioning live video', body: 'What do you use for live captions?' };

  it.each([
    ['a missing title', { body: GOOD.body }, 'Enter a title'],
    ['a title of only spaces', { ...GOOD, title: '      ' }, 'Enter a title'],
    ['a title of only zero-width characters', { ...GOOD, title: '\u200B\u200B\u200D\uFEFF\u2060' }, 'Enter a title'],
    ['a title of four characters', { ...GOOD, title: 'Help' }, 'Title must be at least 5 characters'],
    ['a title of 151 characters', { ...GOOD, title: 'x'.repeat(151) }, 'Title must be at most 150 characters (it is 151)'],
    ['a title with a NUL', { ...GOOD, title: 'Captioning\0 video' }, 'Title must not contain NUL characters'],
    ['a title on two lines', { ...GOOD, title: 'Captioning\nlive video' }, 'Title must be on one line'],
    ['a missing message', { title: GOOD.title }, 'Enter your message'],
    ['a message of 32,001 characters', { ...GOOD, body: 'y'.repeat(32_001) }, 'Message must be at most 32,000 characters (it is 32,001)'],
    ['a message with a NUL', { ...GOOD, body: 'live\0captions' }, 'Message must not contain NUL characters'],
    ['an author_id field', { ...GOOD, author_id: '1' }, 'The form contained a field Commons does not expect'],
    ['a pinned_at field', { ...GOOD, pinned_at: '2026-01-01' }, 'The form contained a field Commons does not expect'],
  ])('%s (422)', async (_case, fields, message) => {
    const hidden = await newThreadForm();
    const response = await refused(() => member.browser.post('/c/questions/new', { ...hidden, ...fields }), 422, message);
    // The form comes back with what was typed.
    if ('body' in fields && fields.body && !fields.body.includes('\0') && fields.body.length < 100) expect(response.body).toContain(fields.body);
  });

  it('refuses a __proto__ field (400)', async () => {
    const hidden = await newThreadForm();
    await refused(() => member.browser.post('/c/questions/new', { ...hidden, ...GOOD, '__proto__[x]': 'y' }), 400);
  });

  it('refuses a title that is not valid UTF-8 (400)', async () => {
    const hidden = await newThreadForm();
    const body = new URLSearchParams({ ...hidden, body: GOOD.body }).toString() + '&title=Caption%FF%FEing';
    await refused(() => member.browser.postRaw('/c/questions/new', body), 400, 'not valid text');
  });

  it('refuses a form without its token, and one from another site', async () => {
    const hidden = await newThreadForm();
    await refused(() => member.browser.post('/c/questions/new', { _csrf: hidden._csrf!, ...GOOD }), 422, 'This form is missing its token');
    await refused(() => member.browser.post('/c/questions/new', { ...hidden, ...GOOD }, { origin: 'https://evil.example' }), 403);
  });

  it('stops a member from starting a thread in Announcements (403), and lets a moderator', async () => {
    expect((await member.browser.get('/c/announcements/new')).statusCode).toBe(403);
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const hidden = await newThreadForm();
    await refused(() => member.browser.post('/c/announcements/new', { ...hidden, ...GOOD }), 403, 'Only moderators can start threads in this category');
    await startThread(moderator.browser, 'announcements', GOOD);
  });

  it('answers 404 for a category that does not exist or that the member may not see', async () => {
    for (const path of ['/c/no-such-category/new', '/c/moderators/new', '/c/Questions/new', "/c/q'--/new"]) expect((await member.browser.get(path)).statusCode, path).toBe(404);
    const hidden = await newThreadForm();
    await refused(() => member.browser.post('/c/moderators/new', { ...hidden, ...GOOD }), 404);
  });

  it('sends a visitor to sign in and writes nothing', async () => {
    const visitor = new Browser(t.app);
    const response = await refused(() => visitor.post('/c/questions/new', { ...GOOD, form_token: crypto.randomUUID() }), 403);
    expect(response.body).not.toContain(GOOD.body);
  });
});

describe('hostile Markdown is shown inert', () => {
  it.each([
    ['a script tag', '<script>alert(1)</script>', /<script>alert/],
    ['an image with onerror', '<img src=x onerror=alert(1)>', /<img[^>]*onerror/i],
    ['a javascript: link', '[click](javascript:alert(1))', /href="javascript:/i],
    ['a mixed-case JaVaScRiPt: link', '[click](JaVaScRiPt:alert(1))', /href="javascript:/i],
    ['a data: link', '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)', /href="data:/i],
    ['a vbscript: link', '[click](vbscript:msgbox(1))', /href="vbscript:/i],
  ])('%s', async (_case, body, forbidden) => {
    const reply = await postReply(member.browser, threadId, { body });
    expect(reply.statusCode).toBe(303);
    const page = await member.browser.get(threadPath);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(forbidden);
    // No tag carries an event handler (the hostile text itself may be shown, escaped).
    expect(page.body).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
  });

  it('keeps SQL metacharacters as text', async () => {
    const body = "Robert'); DROP TABLE posts;-- and 1=1 OR ''='";
    expect((await postReply(member.browser, threadId, { body })).statusCode).toBe(303);
    const stored = await t.db.selectFrom('posts').select('body_source').where('body_source', '=', body).executeTakeFirst();
    expect(stored?.body_source).toBe(body);
  });
});

describe('POST /t/:id/reply refuses bad input and writes nothing', () => {
  it.each([
    ['an empty reply', { body: '' }, 'Enter your reply'],
    ['a reply of only zero-width characters', { body: '\u200B\u200C\u200D' }, 'Enter your reply'],
    ['a reply of 32,001 characters', { body: 'z'.repeat(32_001) }, 'Reply must be at most 32,000 characters (it is 32,001)'],
    ['a reply with a NUL', { body: 'a\0b' }, 'Reply must not contain NUL characters'],
    ['a reply to a post id that is not a number', { reply_to: 'abc' }, 'That does not name a post'],
    ['a reply to a post id past bigint', { reply_to: '99999999999999999999' }, 'That does not name a post'],
    ['a reply to post 0', { reply_to: '0' }, 'That does not name a post'],
    ['an author_id field', { author_id: '1' }, 'The form contained a field Commons does not expect'],
  ])('%s (422)', async (_case, fields, message) => {
    const hidden = await replyFormOf(member.browser, threadId);
    await refused(() => member.browser.post(`/t/${threadId}/reply`, { ...hidden, body: 'A fine reply.', ...fields }), 422, message);
  });

  it('refuses a reply to a post that does not exist, to one in another thread, and to a deleted one', async () => {
    const otherThread = await startThread(member.browser, 'questions', { title: 'Another thread entirely' });
    const inOther = postIdFrom((await postReply(member.browser, otherThread)).headers.location);
    const deleted = postIdFrom((await postReply(member.browser, threadId, { body: 'Soon deleted.' })).headers.location);
    await t.db.updateTable('posts').set({ deleted_at: new Date() }).where('id', '=', deleted).execute();
    for (const replyTo of ['987654321', String(inOther), String(deleted)]) {
      const hidden = await replyFormOf(member.browser, threadId);
      await refused(() => member.browser.post(`/t/${threadId}/reply`, { ...hidden, body: 'Replying.', reply_to: replyTo }), 422, 'You can only reply to a post in this thread that has not been deleted.');
    }
  });

  it('refuses a form token already spent on a reply, on a new thread or by another member, with a fresh form', async () => {
    const spent = (await replyFormOf(member.browser, threadId)).form_token!;
    expect((await postReply(member.browser, threadId, { form_token: spent, body: 'Spending this token.' })).statusCode).toBe(303);
    const newThread = await newThreadForm();
    const reused = await refused(() => member.browser.post('/c/questions/new', { ...newThread, form_token: spent, title: 'Same token, new thread', body: 'Hello.' }), 422, 'This form has expired');
    expect(reused.body).not.toContain(spent);
    expect(reused.body).toContain('Same token, new thread');
    const other = await memberWithBrowser(t.app, t.db);
    const otherForm = await replyFormOf(other.browser, threadId);
    await refused(() => other.browser.post(`/t/${threadId}/reply`, { ...otherForm, form_token: spent, body: 'Not mine to reuse.' }), 422, 'This form has expired');
  });

  it('refuses a reply to a locked thread with a clear message (403)', async () => {
    const locked = await startThread(member.browser, 'questions', { title: 'A thread that will be locked' });
    const hidden = await replyFormOf(member.browser, locked);
    await t.db.updateTable('threads').set({ locked_at: new Date() }).where('id', '=', locked).execute();
    const response = await refused(() => member.browser.post(`/t/${locked}/reply`, { ...hidden, body: 'Too late?' }), 403, 'This thread is locked: it no longer takes replies.');
    expect(response.body).not.toContain('name="form_token"');
    // What they wrote is shown back, so it is not lost.
    expect(response.body).toContain('<pre class="kept-text">Too late?</pre>');
  });

  it('answers 404 for a thread that does not exist, and for one in a category the member may not see', async () => {
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const lounge = await startThread(moderator.browser, 'moderators', { title: 'Staff only: handling a complaint' });
    const hidden = await replyFormOf(member.browser, threadId);
    const loungePost = postIdFrom((await postReply(moderator.browser, lounge)).headers.location);
    for (const path of [`/t/${lounge}`, `/t/${lounge}/staff-only-handling-a-complaint`, `/p/${loungePost}`, `/t/${lounge}/unread`, '/c/moderators', '/t/987654321', '/p/987654321', '/t/99999999999999999999', '/p/abc', '/t/0']) {
      expect((await member.browser.get(path)).statusCode, path).toBe(404);
    }
    await refused(() => member.browser.post(`/t/${lounge}/reply`, { ...hidden, body: 'Let me in.' }), 404);
    await refused(() => member.browser.post('/t/987654321/reply', { ...hidden, body: 'Nobody here.' }), 404);
  });
});

describe('page numbers', () => {
  it.each(['0', '-1', 'abc', '1.5', '%00'])('answers ?page=%s with a 400 page saying why', async (page) => {
    for (const path of [threadPath, '/c/questions']) {
      const response = await member.browser.get(`${path}?page=${page}`);
      expect(response.statusCode, path).toBe(400);
      expect(response.body).toContain('The page number must be a whole number from 1');
    }
  });

  it('answers ?page=1&page=2 with a 400 page', async () => {
    expect((await member.browser.get(`${threadPath}?page=1&page=2`)).statusCode).toBe(400);
  });

  it('answers a page past the end, even 10^12, with a 404 page', async () => {
    for (const page of ['2', '1000000000000']) {
      expect((await member.browser.get(`${threadPath}?page=${page}`)).statusCode).toBe(404);
      expect((await member.browser.get(`/c/introductions?page=${page}`)).statusCode).toBe(404);
    }
  });
});

describe('posting limits', () => {
  it('answers a member past their hourly limit with 429, Retry-After and the form kept', async () => {
    const limited = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '2' } });
    try {
      const { browser } = await memberWithBrowser(limited.app, limited.db);
      const thread = await startThread(browser, 'questions', { title: 'Two posts and then a wait' });
      expect((await postReply(browser, thread)).statusCode).toBe(303);
      const hidden = await replyFormOf(browser, thread);
      const before = Number((await limited.db.selectFrom('posts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const response = await browser.post(`/t/${thread}/reply`, { ...hidden, body: 'One too many.' });
      expect(response.statusCode).toBe(429);
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(response.body).toMatch(/You have posted as much as Commons allows in an hour .* try again in about 1 hour\./);
      expect(response.body).toContain('One too many.');
      expect(Number((await limited.db.selectFrom('posts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(before);
      // The same form sent again is still refused; it never slips through as a duplicate.
      expect((await browser.post(`/t/${thread}/reply`, { ...hidden, body: 'One too many.' })).statusCode).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
