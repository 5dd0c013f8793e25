import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { csrfOf, memberWithBrowser, postAt, postIdFrom, postReply, pressPostButton, startThread, threadPageOf } from '../../support/discussions.js';
import { createMember } from '../../support/members.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

/** A thread started by one member, and another member (with a CSRF token) reading it. */
async function threadWithReader(categorySlug = 'questions') {
  const author = await memberWithBrowser(t.app, t.db);
  const threadId = await startThread(author.browser, categorySlug);
  const reader = await memberWithBrowser(t.app, t.db);
  return { author, reader, threadId, firstPostId: await postAt(t.db, threadId, 1), csrf: await csrfOf(reader.browser) };
}

/** What a "helpful" can write: who gave one to the post, and its count. */
async function helpfulState(postId: number) {
  const rows = await t.db.selectFrom('post_reactions').select('member_id').where('post_id', '=', postId).orderBy('member_id').execute();
  const post = await t.db.selectFrom('posts').select('helpful_count').where('id', '=', postId).executeTakeFirstOrThrow();
  return { members: rows.map((row) => row.member_id), count: post.helpful_count };
}

async function reactionCount(): Promise<number> {
  const row = await t.db.selectFrom('post_reactions').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

describe('POST /p/:id/helpful', () => {
  it('marks a post helpful, says who found it so, and takes it back', async () => {
    const { reader, threadId, firstPostId, csrf } = await threadWithReader();
    const given = await pressPostButton(reader.browser, firstPostId, 'helpful', { helpful: 'yes' }, csrf);
    expect(given.statusCode).toBe(303);
    expect(given.headers.location).toMatch(new RegExp(`^/t/${threadId}/[a-z0-9-]+#post-${firstPostId}$`));
    expect(await helpfulState(firstPostId)).toEqual({ members: [reader.member.id], count: 1 });
    const page = await threadPageOf(reader.browser, threadId);
    expect(page).toContain(`1 found this helpful: ${reader.member.displayName}`);
    expect(page).toContain('name="helpful" value="no" class="post__button" aria-pressed="true">Helpful<span aria-hidden="true"> ✓</span>');

    const taken = await pressPostButton(reader.browser, firstPostId, 'helpful', { helpful: 'no' }, csrf);
    expect(taken.statusCode).toBe(303);
    expect(await helpfulState(firstPostId)).toEqual({ members: [], count: 0 });
    const after = await threadPageOf(reader.browser, threadId);
    expect(after).not.toContain('found this helpful');
    expect(after).toContain('name="helpful" value="yes" class="post__button" aria-pressed="false">Helpful<span');
  });

  it('names those who found it helpful, up to ten, then counts the others', async () => {
    const { threadId, firstPostId } = await threadWithReader();
    const givers = [];
    for (let i = 0; i < 3; i += 1) {
      const giver = await memberWithBrowser(t.app, t.db);
      expect((await pressPostButton(giver.browser, firstPostId, 'helpful', { helpful: 'yes' }, await csrfOf(giver.browser))).statusCode).toBe(303);
      givers.push(giver.member);
    }
    const { browser } = await memberWithBrowser(t.app, t.db);
    expect(await threadPageOf(browser, threadId)).toContain(`3 found this helpful: ${givers[0]!.displayName}, ${givers[1]!.displayName} and ${givers[2]!.displayName}`);

    // Nine more, given straight in the database (with the count), make twelve: ten names and two others.
    const more = [];
    for (let i = 0; i < 9; i += 1) more.push(await createMember(t.db));
    await t.db
      .insertInto('post_reactions')
      .values(more.map((member, i) => ({ post_id: firstPostId, member_id: member.id, created_at: sql<Date>`now() + make_interval(secs => ${i + 1})` })))
      .execute();
    await t.db.updateTable('posts').set({ helpful_count: 12 }).where('id', '=', firstPostId).execute();
    const names = [...givers, ...more.slice(0, 7)].map((member) => member.displayName);
    expect(await threadPageOf(browser, threadId)).toContain(`12 found this helpful: ${names.join(', ')} and 2 others`);
  });

  it('words the list of names as a person would', () => {
    expect(DISCUSSION_MESSAGES.helpfulBy(1, ['Ana'])).toBe('1 found this helpful: Ana');
    expect(DISCUSSION_MESSAGES.helpfulBy(2, ['Ana', 'Bo'])).toBe('2 found this helpful: Ana and Bo');
    expect(DISCUSSION_MESSAGES.helpfulBy(11, ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'])).toBe('11 found this helpful: A, B, C, D, E, F, G, H, I, J and 1 other');
    expect(DISCUSSION_MESSAGES.helpfulBy(3, [])).toBe('3 found this helpful');
  });

  it('changes the count once for a double submit, and once for twenty submissions at once', async () => {
    const { reader, firstPostId, csrf } = await threadWithReader();
    for (let i = 0; i < 2; i += 1) expect((await pressPostButton(reader.browser, firstPostId, 'helpful', { helpful: 'yes' }, csrf)).statusCode).toBe(303);
    expect(await helpfulState(firstPostId)).toEqual({ members: [reader.member.id], count: 1 });

    const { browser, member } = await memberWithBrowser(t.app, t.db);
    const token = await csrfOf(browser);
    const given = await Promise.all(Array.from({ length: 20 }, () => pressPostButton(browser, firstPostId, 'helpful', { helpful: 'yes' }, token)));
    expect(new Set(given.map((response) => response.statusCode))).toEqual(new Set([303]));
    expect(await helpfulState(firstPostId)).toEqual({ members: [reader.member.id, member.id].sort((a, b) => a - b), count: 2 });

    const taken = await Promise.all(Array.from({ length: 20 }, () => pressPostButton(browser, firstPostId, 'helpful', { helpful: 'no' }, token)));
    expect(new Set(taken.map((response) => response.statusCode))).toEqual(new Set([303]));
    expect(await helpfulState(firstPostId)).toEqual({ members: [reader.member.id], count: 1 });
  });

  it('refuses a member their own post with 403, and shows them no button for it', async () => {
    const { author, reader, threadId, firstPostId } = await threadWithReader();
    const response = await pressPostButton(author.browser, firstPostId, 'helpful', { helpful: 'yes' }, await csrfOf(author.browser));
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(DISCUSSION_MESSAGES.helpfulOwnPost);
    expect(response.body).toContain(`href="/t/${threadId}/`);
    expect(await helpfulState(firstPostId)).toEqual({ members: [], count: 0 });
    expect(await threadPageOf(author.browser, threadId)).not.toContain(`formaction="/p/${firstPostId}/helpful"`);
    expect(await threadPageOf(reader.browser, threadId)).toContain(`formaction="/p/${firstPostId}/helpful"`);
  });

  it('answers 404 for a post in a category the member cannot see', async () => {
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const threadId = await startThread(moderator.browser, 'moderators');
    const firstPostId = await postAt(t.db, threadId, 1);
    const { browser } = await memberWithBrowser(t.app, t.db);
    const response = await pressPostButton(browser, firstPostId, 'helpful', { helpful: 'yes' }, await csrfOf(browser));
    expect(response.statusCode).toBe(404);
    expect(await helpfulState(firstPostId)).toEqual({ members: [], count: 0 });
  });

  it('answers 404 for a deleted or hidden post, either way', async () => {
    const { author, reader, threadId, csrf } = await threadWithReader();
    const deletedId = postIdFrom((await postReply(author.browser, threadId, { body: 'Soon deleted.' })).headers.location);
    const hiddenId = postIdFrom((await postReply(author.browser, threadId, { body: 'Soon hidden.' })).headers.location);
    expect((await pressPostButton(reader.browser, deletedId, 'helpful', { helpful: 'yes' }, csrf)).statusCode).toBe(303);
    await t.db.updateTable('posts').set({ deleted_at: sql`now()`, deleted_by: author.member.id }).where('id', '=', deletedId).execute();
    await t.db.updateTable('posts').set({ hidden_at: sql`now()` }).where('id', '=', hiddenId).execute();

    for (const [postId, helpful] of [[deletedId, 'no'], [hiddenId, 'yes']] as const) {
      const before = await helpfulState(postId);
      const response = await pressPostButton(reader.browser, postId, 'helpful', { helpful }, csrf);
      expect(response.statusCode).toBe(404);
      expect(response.body).toContain(DISCUSSION_MESSAGES.postGone);
      expect(await helpfulState(postId)).toEqual(before);
    }
    expect(await threadPageOf(reader.browser, threadId)).not.toContain(`formaction="/p/${hiddenId}/helpful"`);
  });

  it('answers 404 for post ids that name nothing', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const csrf = await csrfOf(browser);
    const before = await reactionCount();
    for (const id of ['abc', '0', '-1', '1.5', '999999999', '9007199254740993', '99999999999999999999', '%00', "1'%20or%20'1'='1"]) {
      const response = await pressPostButton(browser, id, 'helpful', { helpful: 'yes' }, csrf);
      expect(response.statusCode, id).toBe(404);
    }
    expect(await reactionCount()).toBe(before);
  });

  it('refuses a wanted state other than yes or no, and fields it does not expect, writing nothing', async () => {
    const { reader, firstPostId, csrf } = await threadWithReader();
    const cases: [Record<string, string | string[]>, number, string][] = [
      [{ helpful: 'maybe' }, 422, DISCUSSION_MESSAGES.badHelpful],
      [{}, 422, DISCUSSION_MESSAGES.badHelpful],
      [{ helpful: ['yes', 'yes'] }, 422, DISCUSSION_MESSAGES.badHelpful],
      [{ helpful: 'yes\0' }, 422, DISCUSSION_MESSAGES.badHelpful],
      [{ helpful: '<script>alert(1)</script>' }, 422, DISCUSSION_MESSAGES.badHelpful],
      [{ helpful: 'yes', member_id: '1' }, 422, PAGE_MESSAGES.unexpectedField],
    ];
    for (const [fields, status, message] of cases) {
      const response = await pressPostButton(reader.browser, firstPostId, 'helpful', fields, csrf);
      expect(response.statusCode, JSON.stringify(fields)).toBe(status);
      expect(response.body).toContain(message);
      expect(response.body).not.toContain('<script>alert');
    }
    const proto = await reader.browser.postRaw(`/p/${firstPostId}/helpful`, `_csrf=${encodeURIComponent(csrf)}&helpful=yes&__proto__%5Bx%5D=1`);
    expect(proto.statusCode).toBe(400);
    expect(await helpfulState(firstPostId)).toEqual({ members: [], count: 0 });
  });

  it('refuses a post without its CSRF token, and a visitor who is not signed in', async () => {
    const { reader, firstPostId } = await threadWithReader();
    const forged = await reader.browser.post(`/p/${firstPostId}/helpful`, { helpful: 'yes' });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain(PAGE_MESSAGES.formExpired);
    const visitor = new Browser(t.app);
    const signedOut = await visitor.post(`/p/${firstPostId}/helpful`, { _csrf: (await visitor.openForm('/contact'))._csrf!, helpful: 'yes' });
    expect(signedOut.statusCode).toBe(403);
    expect(signedOut.body).toContain(PAGE_MESSAGES.signInFirst);
    expect(await helpfulState(firstPostId)).toEqual({ members: [], count: 0 });
  });
});

describe('the limit on reactions', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await buildTestApp({ database: t.database, env: { RATE_LIMIT_REACTIONS_PER_HOUR: '3' } });
  });
  afterAll(async () => limited.close());

  it('answers 429 with Retry-After and a clear message past RATE_LIMIT_REACTIONS_PER_HOUR, writing nothing', async () => {
    const author = await memberWithBrowser(limited.app, limited.db);
    const threadId = await startThread(author.browser, 'questions');
    const firstPostId = await postAt(limited.db, threadId, 1);
    const reader = await memberWithBrowser(limited.app, limited.db);
    const csrf = await csrfOf(reader.browser);
    for (const helpful of ['yes', 'no', 'yes']) expect((await pressPostButton(reader.browser, firstPostId, 'helpful', { helpful }, csrf)).statusCode).toBe(303);

    const refused = await pressPostButton(reader.browser, firstPostId, 'helpful', { helpful: 'no' }, csrf);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(refused.body).toContain(`${DISCUSSION_MESSAGES.reactionsLimited} Try again in`);
    expect(await helpfulState(firstPostId)).toEqual({ members: [reader.member.id], count: 1 });

    // The limit is each member's own.
    const other = await memberWithBrowser(limited.app, limited.db);
    expect((await pressPostButton(other.browser, firstPostId, 'helpful', { helpful: 'yes' }, await csrfOf(other.browser))).statusCode).toBe(303);
    expect((await helpfulState(firstPostId)).count).toBe(2);
  });
});
