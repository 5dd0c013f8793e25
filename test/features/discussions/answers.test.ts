import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { buildTestApp, type Browser, type TestApp } from '../../support/app.js';
import { csrfOf, memberWithBrowser, postAt, postIdFrom, postReply, pressPostButton, startThread, threadPageOf } from '../../support/discussions.js';
import type { TestMember } from '../../support/members.js';

let t: TestApp;
beforeAll(async () => {
  // A few members post several replies each here: their first-day limit must not get in the way.
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
});
afterAll(async () => t.close());

interface Someone {
  member: TestMember;
  browser: Browser;
  csrf: string;
}

async function someone(role: TestMember['role'] = 'member'): Promise<Someone> {
  const { member, browser } = await memberWithBrowser(t.app, t.db, { role });
  return { member, browser, csrf: await csrfOf(browser) };
}

async function reply(by: Someone, threadId: number, body = 'We keep them for seven years.'): Promise<number> {
  const response = await postReply(by.browser, threadId, { body });
  expect(response.statusCode).toBe(303);
  return postIdFrom(response.headers.location);
}

/** A question with a reply from each of two other members. */
async function question(categorySlug = 'questions') {
  const asker = await someone(categorySlug === 'moderators' ? 'moderator' : 'member');
  const threadId = await startThread(asker.browser, categorySlug);
  const first = await someone(asker.member.role);
  const second = await someone(asker.member.role);
  return { asker, first, second, threadId, firstPostId: await postAt(t.db, threadId, 1), replyA: await reply(first, threadId, 'Reply A'), replyB: await reply(second, threadId, 'Reply B') };
}

/** The answer button a thread page shows on a post, if it shows one. */
function answerButton(page: string, postId: number): string | undefined {
  return new RegExp(`<button [^>]*formaction="/p/${postId}/answer"[\\s\\S]*?</button>`).exec(page)?.[0];
}

const mark = (by: Someone, postId: number | string, answer = 'yes') => pressPostButton(by.browser, postId, 'answer', { answer }, by.csrf);

/** What marking can write: the thread's answered posts (and by whom), and its 'answer' notifications. */
async function answerState(threadId: number) {
  const answered = await t.db.selectFrom('posts').select(['id', 'answered_by']).where('thread_id', '=', threadId).where('answered_at', 'is not', null).execute();
  const notifications = await t.db.selectFrom('notifications').select(['member_id', 'post_id', 'actor_id']).where('thread_id', '=', threadId).where('kind', '=', 'answer').orderBy('id').execute();
  return { answered, notifications };
}

describe('POST /p/:id/answer', () => {
  it('shows an answer from a later page under the first post of page 1, and only in its place on its own page', async () => {
    const { asker, first, threadId } = await question();
    // Replies A and B are positions 2 and 3; these fill the thread to position 22, so the next is on page 2.
    for (let i = 4; i <= 22; i += 1) await reply(first, threadId, `Filler ${i}`);
    const late = await reply(first, threadId, 'The answer on page two');
    expect(await t.db.selectFrom('posts').select('position').where('id', '=', late).executeTakeFirstOrThrow()).toEqual({ position: 23 });
    expect((await mark(asker, late)).statusCode).toBe(303);

    const pageOne = await threadPageOf(asker.browser, threadId);
    expect(pageOne).toMatch(/<h2 id="answer-heading">Accepted answer<\/h2>[\s\S]*?<p>The answer on page two<\/p>[\s\S]*?<\/section>/);
    expect(pageOne).not.toContain(`id="post-${late}"`);
    expect(pageOne.match(/<article /g)).toHaveLength(20);
    const pageTwo = (await asker.browser.get(`${(await asker.browser.get(`/t/${threadId}`)).headers.location}?page=2`)).body;
    expect(pageTwo).toContain(`id="post-${late}"`);
    expect(pageTwo).not.toContain('id="answer-heading"');
  });

  it("lets the thread's author mark a reply, shows it under the first post and in lists, and tells the reply's author", async () => {
    const { asker, first, threadId, firstPostId, replyA, replyB } = await question();
    const response = await mark(asker, replyA);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toMatch(new RegExp(`^/t/${threadId}/[a-z0-9-]+#post-${replyA}$`));
    expect(await answerState(threadId)).toEqual({
      answered: [{ id: replyA, answered_by: asker.member.id }],
      notifications: [{ member_id: first.member.id, post_id: replyA, actor_id: asker.member.id }],
    });

    const page = await threadPageOf(asker.browser, threadId);
    expect(page).toMatch(/<h2 id="answer-heading">Accepted answer<\/h2>[\s\S]*?<p>Reply A<\/p>[\s\S]*?<\/section>/);
    expect(answerButton(page, replyA)).toMatch(/name="answer" value="no"[^>]*>Unmark answer</);
    expect(answerButton(page, replyB)).toMatch(/name="answer" value="yes"[^>]*>Mark as answer</);
    expect(answerButton(page, firstPostId)).toBeUndefined();
    // The reply's author did not ask: no buttons for them.
    expect(await threadPageOf(first.browser, threadId)).not.toContain('/answer"');

    const list = await asker.browser.get('/c/questions');
    expect(list.body).toMatch(new RegExp(`Answered</span>\\s*<a href="/t/${threadId}/`));
  });

  it('marks once, and tells the author once, for a double submit and for twenty submissions at once', async () => {
    const { asker, first, threadId, replyA } = await question();
    for (let i = 0; i < 2; i += 1) expect((await mark(asker, replyA)).statusCode).toBe(303);
    const responses = await Promise.all(Array.from({ length: 20 }, () => mark(asker, replyA)));
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(new Set([303]));
    expect(await answerState(threadId)).toEqual({
      answered: [{ id: replyA, answered_by: asker.member.id }],
      notifications: [{ member_id: first.member.id, post_id: replyA, actor_id: asker.member.id }],
    });
  });

  it('moves the answer to another reply, leaving exactly one, and tells each author once however often it moves', async () => {
    const { asker, first, second, threadId, replyA, replyB } = await question();
    expect((await mark(asker, replyA)).statusCode).toBe(303);
    expect((await mark(asker, replyB)).statusCode).toBe(303);
    expect((await answerState(threadId)).answered).toEqual([{ id: replyB, answered_by: asker.member.id }]);
    expect((await mark(asker, replyA)).statusCode).toBe(303);
    expect(await answerState(threadId)).toEqual({
      answered: [{ id: replyA, answered_by: asker.member.id }],
      notifications: [
        { member_id: first.member.id, post_id: replyA, actor_id: asker.member.id },
        { member_id: second.member.id, post_id: replyB, actor_id: asker.member.id },
      ],
    });
  });

  it('ends with exactly one answer when different replies are marked at once', async () => {
    const { asker, first, threadId, replyA, replyB } = await question();
    const moderator = await someone('moderator');
    const replies = [replyA, replyB, await reply(first, threadId, 'Reply C'), await reply(first, threadId, 'Reply D')];
    const responses = await Promise.all(replies.flatMap((postId) => [mark(asker, postId), mark(moderator, postId), mark(asker, postId)]));
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(new Set([303]));
    const { answered } = await answerState(threadId);
    expect(answered).toHaveLength(1);
    expect(replies).toContain(answered[0]!.id);
  });

  it('takes the mark off the post named, and a repeat, or naming another post, changes nothing', async () => {
    const { asker, threadId, replyA, replyB } = await question();
    expect((await mark(asker, replyA)).statusCode).toBe(303);
    expect((await mark(asker, replyB, 'no')).statusCode).toBe(303);
    expect((await answerState(threadId)).answered).toEqual([{ id: replyA, answered_by: asker.member.id }]);
    for (let i = 0; i < 2; i += 1) expect((await mark(asker, replyA, 'no')).statusCode).toBe(303);
    expect((await answerState(threadId)).answered).toEqual([]);
    const page = await threadPageOf(asker.browser, threadId);
    expect(page).not.toContain('id="answer-heading"');
    expect((await asker.browser.get('/c/questions')).body).not.toMatch(new RegExp(`Answered</span>\\s*<a href="/t/${threadId}/`));
  });

  it("lets a moderator mark the answer, and tells the reply's author", async () => {
    const { first, threadId, replyA } = await question();
    const moderator = await someone('moderator');
    expect((await mark(moderator, replyA)).statusCode).toBe(303);
    expect(await answerState(threadId)).toEqual({
      answered: [{ id: replyA, answered_by: moderator.member.id }],
      notifications: [{ member_id: first.member.id, post_id: replyA, actor_id: moderator.member.id }],
    });
    expect(answerButton(await threadPageOf(moderator.browser, threadId), replyA)).toContain('>Unmark answer<');
  });

  it("tells nobody when the thread's author marks their own reply", async () => {
    const { asker, threadId } = await question();
    const own = await reply(asker, threadId, 'What we settled on in the end.');
    expect((await mark(asker, own)).statusCode).toBe(303);
    expect(await answerState(threadId)).toEqual({ answered: [{ id: own, answered_by: asker.member.id }], notifications: [] });
  });

  it("tells nobody who muted the thread, or who can no longer see the reply's category or thread", async () => {
    const muted = await question();
    await t.db.insertInto('thread_watches').values({ member_id: muted.first.member.id, thread_id: muted.threadId, level: 'muted' }).onConflict((oc) => oc.columns(['member_id', 'thread_id']).doUpdateSet({ level: 'muted' })).execute();
    expect((await mark(muted.asker, muted.replyA)).statusCode).toBe(303);
    expect(await answerState(muted.threadId)).toEqual({ answered: [{ id: muted.replyA, answered_by: muted.asker.member.id }], notifications: [] });

    const lounge = await question('moderators');
    await t.db.updateTable('members').set({ role: 'member' }).where('id', '=', lounge.first.member.id).execute();
    expect((await mark(lounge.asker, lounge.replyA)).statusCode).toBe(303);
    expect(await answerState(lounge.threadId)).toEqual({ answered: [{ id: lounge.replyA, answered_by: lounge.asker.member.id }], notifications: [] });

    // A thread a moderator hid: staff may still choose its answer, but its members hear nothing.
    const hidden = await question();
    await t.db.updateTable('threads').set({ hidden_at: sql`now()` }).where('id', '=', hidden.threadId).execute();
    const moderator = await someone('moderator');
    expect((await mark(moderator, hidden.replyA)).statusCode).toBe(303);
    expect(await answerState(hidden.threadId)).toEqual({ answered: [{ id: hidden.replyA, answered_by: moderator.member.id }], notifications: [] });
  });

  it("refuses anyone else with 403 (another member, the reply's own author), either way, writing nothing", async () => {
    const { asker, first, second, threadId, replyA, replyB } = await question();
    expect((await mark(asker, replyB)).statusCode).toBe(303);
    const before = await answerState(threadId);
    for (const [by, postId, answer] of [[first, replyA, 'yes'], [first, replyB, 'yes'], [second, replyB, 'no'], [first, replyB, 'no']] as const) {
      const response = await mark(by, postId, answer);
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain(DISCUSSION_MESSAGES.answerNotYours);
    }
    expect(await answerState(threadId)).toEqual(before);
  });

  it('refuses the first post with 422, writing nothing', async () => {
    const { asker, threadId, firstPostId } = await question();
    const response = await mark(asker, firstPostId);
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(DISCUSSION_MESSAGES.firstPostNotAnswer);
    expect(await answerState(threadId)).toEqual({ answered: [], notifications: [] });
  });

  it('refuses a deleted or hidden reply with 404, but lets the mark be taken off one', async () => {
    const { asker, threadId, replyA, replyB } = await question();
    await t.db.updateTable('posts').set({ deleted_at: sql`now()` }).where('id', '=', replyA).execute();
    const deleted = await mark(asker, replyA);
    expect(deleted.statusCode).toBe(404);
    expect(deleted.body).toContain(DISCUSSION_MESSAGES.postGone);
    expect(await answerState(threadId)).toEqual({ answered: [], notifications: [] });

    expect((await mark(asker, replyB)).statusCode).toBe(303);
    expect(await threadPageOf(asker.browser, threadId)).toContain('id="answer-heading"');
    await t.db.updateTable('posts').set({ hidden_at: sql`now()` }).where('id', '=', replyB).execute();
    // An answer that was hidden is no longer shown under the question.
    expect(await threadPageOf(asker.browser, threadId)).not.toContain('id="answer-heading"');
    const before = await answerState(threadId);
    expect((await mark(asker, replyB)).statusCode).toBe(404);
    expect(await answerState(threadId)).toEqual(before);
    expect((await mark(asker, replyB, 'no')).statusCode).toBe(303);
    expect((await answerState(threadId)).answered).toEqual([]);
  });

  it('answers 404 for a reply in a category the member cannot see', async () => {
    const { threadId, replyA } = await question('moderators');
    const member = await someone();
    for (const answer of ['yes', 'no']) expect((await mark(member, replyA, answer)).statusCode).toBe(404);
    expect(await answerState(threadId)).toEqual({ answered: [], notifications: [] });
  });

  it('answers 404 for ids that name nothing, and 422 for a wanted state other than yes or no', async () => {
    const { asker, threadId, replyA } = await question();
    for (const id of ['abc', '0', '-1', '1e3', '999999999', '99999999999999999999']) expect((await mark(asker, id)).statusCode, id).toBe(404);
    const cases: [Record<string, string | string[]>, string][] = [
      [{ answer: 'maybe' }, DISCUSSION_MESSAGES.badAnswer],
      [{}, DISCUSSION_MESSAGES.badAnswer],
      [{ answer: ['yes', 'no'] }, DISCUSSION_MESSAGES.badAnswer],
      [{ answer: 'yes', answered_by: '1' }, PAGE_MESSAGES.unexpectedField],
    ];
    for (const [fields, message] of cases) {
      const response = await pressPostButton(asker.browser, replyA, 'answer', fields, asker.csrf);
      expect(response.statusCode, JSON.stringify(fields)).toBe(422);
      expect(response.body).toContain(message);
    }
    expect(await answerState(threadId)).toEqual({ answered: [], notifications: [] });
  });
});
