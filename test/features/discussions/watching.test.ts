import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postReply, replyFormOf, startThread } from '../../support/discussions.js';
import { addReplies, createCategory } from '../../support/forum-rows.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

async function threadWatch(memberId: number, threadId: number) {
  return t.db.selectFrom('thread_watches').select(['level', 'updated_at']).where('member_id', '=', memberId).where('thread_id', '=', threadId).executeTakeFirst();
}

async function categoryWatches(memberId: number, categoryId: number): Promise<number> {
  const rows = await t.db.selectFrom('category_watches').select('member_id').where('member_id', '=', memberId).where('category_id', '=', categoryId).execute();
  return rows.length;
}

/** A thread started by someone else, and a member who has not touched it, with their CSRF token. */
async function threadAndReader() {
  const author = await memberWithBrowser(t.app, t.db);
  const threadId = await startThread(author.browser, 'questions', { title: 'Watching this thread' });
  const reader = await memberWithBrowser(t.app, t.db);
  const csrf = (await replyFormOf(reader.browser, threadId))._csrf!;
  return { author, threadId, reader, csrf };
}

// What the watch forms may be sent that no button of theirs sends.
const BAD_LEVELS: [string, Record<string, string | string[]>][] = [
  ['missing', {}],
  ['empty', { level: '' }],
  ['unknown', { level: 'bogus' }],
  ['overlong', { level: 'watching'.repeat(1000) }],
  ['repeated', { level: ['watching', 'muted'] }],
  ['a script', { level: '<script>alert(1)</script>' }],
  ['NUL', { level: 'watching\0' }],
  ['SQL', { level: "watching'; delete from thread_watches; --" }],
];

describe('POST /t/:id/watch', () => {
  it('watches, mutes and stops watching a thread, showing the current state on its page', async () => {
    const { threadId, reader, csrf } = await threadAndReader();
    const path = `/t/${threadId}/watching-this-thread`;
    expect((await reader.browser.get(path)).body).toContain('You are not watching this thread');

    const watch = await reader.browser.post(`/t/${threadId}/watch`, { _csrf: csrf, level: 'watching' });
    expect(watch.statusCode).toBe(303);
    expect(watch.headers.location).toBe(`${path}#watch`);
    expect((await threadWatch(reader.member.id, threadId))?.level).toBe('watching');
    const watched = await reader.browser.get(path);
    expect(watched.body).toContain(DISCUSSION_MESSAGES.threadWatched);
    expect(watched.body).toContain('You are watching this thread: you hear about every new reply.');
    expect(watched.body).toContain('>Stop watching</button>');

    await reader.browser.post(`/t/${threadId}/watch`, { _csrf: csrf, level: 'muted' });
    expect((await threadWatch(reader.member.id, threadId))?.level).toBe('muted');
    expect((await reader.browser.get(path)).body).toContain('You have muted this thread: you hear nothing from it.');

    await reader.browser.post(`/t/${threadId}/watch`, { _csrf: csrf, level: 'none' });
    expect(await threadWatch(reader.member.id, threadId)).toBeUndefined();
    expect((await reader.browser.get(path)).body).toContain('You are not watching this thread');
  });

  it('shows the thread’s author as watching it, since starting a thread watches it', async () => {
    const { author, threadId } = await threadAndReader();
    expect((await author.browser.get(`/t/${threadId}/watching-this-thread`)).body).toContain('You are watching this thread: you hear about every new reply.');
  });

  it('watches a thread its first reply goes to, and leaves a mute or a watch as it was at later replies', async () => {
    const { threadId, reader, csrf } = await threadAndReader();
    expect(await threadWatch(reader.member.id, threadId)).toBeUndefined();
    expect((await postReply(reader.browser, threadId, { body: 'A first reply.' })).statusCode).toBe(303);
    expect(await threadWatch(reader.member.id, threadId)).toMatchObject({ level: 'watching' });

    expect((await reader.browser.post(`/t/${threadId}/watch`, { _csrf: csrf, level: 'muted' })).statusCode).toBe(303);
    const muted = await threadWatch(reader.member.id, threadId);
    expect(muted).toMatchObject({ level: 'muted' });
    expect((await postReply(reader.browser, threadId, { body: 'A second reply.' })).statusCode).toBe(303);
    expect(await threadWatch(reader.member.id, threadId)).toEqual(muted);
  });

  it('goes back to the page of the thread the form was on', async () => {
    const { author, threadId, reader, csrf } = await threadAndReader();
    await addReplies(t.db, threadId, author.member.id, 25);
    const page = await reader.browser.get(`/t/${threadId}/watching-this-thread?page=2`);
    expect(page.body).toContain(`action="/t/${threadId}/watch?page=2"`);
    const response = await reader.browser.post(`/t/${threadId}/watch?page=2`, { _csrf: csrf, level: 'watching' });
    expect(response.headers.location).toBe(`/t/${threadId}/watching-this-thread?page=2#watch`);
    const bad = await reader.browser.post(`/t/${threadId}/watch?page=abc`, { _csrf: csrf, level: 'muted' });
    expect(bad.statusCode).toBe(400);
    expect((await threadWatch(reader.member.id, threadId))?.level).toBe('watching');
  });

  it('writes once for a double submit', async () => {
    const { threadId, reader, csrf } = await threadAndReader();
    await reader.browser.post(`/t/${threadId}/watch`, { _csrf: csrf, level: 'muted' });
    const first = await threadWatch(reader.member.id, threadId);
    const again = await reader.browser.post(`/t/${threadId}/watch`, { _csrf: csrf, level: 'muted' });
    expect(again.statusCode).toBe(303);
    expect(await threadWatch(reader.member.id, threadId)).toEqual(first);
  });

  it.each(BAD_LEVELS)('refuses a level that is %s with 400 and writes nothing', async (_name, fields) => {
    const { threadId, reader, csrf } = await threadAndReader();
    const response = await reader.browser.post(`/t/${threadId}/watch`, { _csrf: csrf, ...fields });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(DISCUSSION_MESSAGES.badThreadWatch);
    expect(response.body).not.toContain('<script>alert');
    expect(await threadWatch(reader.member.id, threadId)).toBeUndefined();
  });

  it('refuses fields the form does not have (mass assignment)', async () => {
    const { author, threadId, reader, csrf } = await threadAndReader();
    for (const fields of [{ member_id: String(author.member.id) }, { thread_id: '1' }] as Record<string, string>[]) {
      const response = await reader.browser.post(`/t/${threadId}/watch`, { _csrf: csrf, level: 'muted', ...fields });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain(PAGE_MESSAGES.unexpectedField);
    }
    expect((await reader.browser.postRaw(`/t/${threadId}/watch`, `_csrf=${encodeURIComponent(csrf)}&level=muted&__proto__[level]=muted`)).statusCode).toBe(400);
    expect(await threadWatch(reader.member.id, threadId)).toBeUndefined();
    expect((await threadWatch(author.member.id, threadId))?.level).toBe('watching');
  });

  it('answers 404 for a thread the member cannot see or that does not exist, and 403 signed out or without the token', async () => {
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const lounge = await startThread(moderator.browser, 'moderators', { title: 'Only for moderators' });
    const { threadId, reader, csrf } = await threadAndReader();
    for (const id of [String(lounge), '0', 'abc', '99999999999', '9223372036854775808']) {
      expect((await reader.browser.post(`/t/${id}/watch`, { _csrf: csrf, level: 'watching' })).statusCode, id).toBe(404);
    }
    expect(await threadWatch(reader.member.id, lounge)).toBeUndefined();
    expect((await reader.browser.post(`/t/${threadId}/watch`, { level: 'watching' })).statusCode).toBe(403);
    expect((await new Browser(t.app).post(`/t/${threadId}/watch`, { _csrf: csrf, level: 'watching' })).statusCode).toBe(403);
    expect(await threadWatch(reader.member.id, threadId)).toBeUndefined();
  });
});

describe('POST /c/:slug/watch', () => {
  it('watches and stops watching a category, showing the state, once however often it is sent', async () => {
    const category = await createCategory(t.db);
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const page = await browser.get(`/c/${category.slug}`);
    expect(page.body).toContain('You are not watching this category.');
    const csrf = (await browser.openForm(`/c/${category.slug}`))._csrf!;

    for (let time = 0; time < 2; time += 1) {
      const response = await browser.post(`/c/${category.slug}/watch`, { _csrf: csrf, level: 'watching' });
      expect(response.statusCode).toBe(303);
      expect(response.headers.location).toBe(`/c/${category.slug}`);
    }
    expect(await categoryWatches(member.id, category.id)).toBe(1);
    const watched = await browser.get(`/c/${category.slug}`);
    expect(watched.body).toContain(DISCUSSION_MESSAGES.categoryWatched);
    expect(watched.body).toContain(`Stop watching<span class="visually-hidden"> ${category.name}</span>`);

    await browser.post(`/c/${category.slug}/watch`, { _csrf: csrf, level: 'none' });
    expect(await categoryWatches(member.id, category.id)).toBe(0);
    expect((await browser.get(`/c/${category.slug}`)).body).toContain('You are not watching this category.');
  });

  it.each([...BAD_LEVELS, ['muted (threads only)', { level: 'muted' }] as [string, Record<string, string>]])('refuses a level that is %s with 400 and writes nothing', async (_name, fields) => {
    const category = await createCategory(t.db);
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const csrf = (await browser.openForm(`/c/${category.slug}`))._csrf!;
    const response = await browser.post(`/c/${category.slug}/watch`, { _csrf: csrf, ...fields });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(DISCUSSION_MESSAGES.badCategoryWatch);
    expect(await categoryWatches(member.id, category.id)).toBe(0);
  });

  it('answers 404 for a category the member cannot see or that does not exist', async () => {
    const lounge = await createCategory(t.db, { visibleTo: 'moderators' });
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const csrf = (await browser.openForm('/c/questions'))._csrf!;
    for (const slug of [lounge.slug, 'moderators', 'no-such-category', 'Bad Slug', 'a'.repeat(61)]) {
      expect((await browser.post(`/c/${encodeURIComponent(slug)}/watch`, { _csrf: csrf, level: 'watching' })).statusCode, slug).toBe(404);
    }
    expect(await categoryWatches(member.id, lounge.id)).toBe(0);
  });
});
