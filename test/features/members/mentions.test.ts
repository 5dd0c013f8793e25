import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, startThread } from '../../support/discussions.js';
import { createMember } from '../../support/members.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

/** Every notification a member has about a post, as kinds. */
async function notificationsAbout(memberId: number, postId: number): Promise<string[]> {
  const rows = await t.db.selectFrom('notifications').select('kind').where('member_id', '=', memberId).where('post_id', '=', postId).execute();
  return rows.map((row) => row.kind);
}

async function firstPostOf(threadId: number): Promise<number> {
  const row = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '=', 1).executeTakeFirstOrThrow();
  return row.id;
}

describe('@mentions', () => {
  it('notifies the mentioned member once, as a mention, however often and in whatever case they are named', async () => {
    const { member: author, browser } = await memberWithBrowser(t.app, t.db);
    const mentioned = await createMember(t.db);
    const threadId = await startThread(browser, 'questions', { body: `@${mentioned.handle} and @${mentioned.handle.toUpperCase()}: how do you archive posts? Thanks, @${mentioned.handle}.` });
    const postId = await firstPostOf(threadId);
    expect(await notificationsAbout(mentioned.id, postId)).toEqual(['mention']);
    const row = await t.db.selectFrom('notifications').select(['actor_id', 'thread_id', 'read_at']).where('member_id', '=', mentioned.id).where('post_id', '=', postId).executeTakeFirstOrThrow();
    expect(row).toEqual({ actor_id: author.id, thread_id: threadId, read_at: null });
  });

  it('notifies the first ten members a post names, and no more', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const named = [];
    for (let n = 0; n < 12; n += 1) named.push(await createMember(t.db));
    const threadId = await startThread(browser, 'questions', { body: `Calling everyone: ${named.map((m) => `@${m.handle}`).join(' ')}` });
    const postId = await firstPostOf(threadId);
    const notified = await t.db.selectFrom('notifications').select('member_id').where('post_id', '=', postId).execute();
    expect(notified.map((row) => row.member_id).sort((a, b) => a - b)).toEqual(named.slice(0, 10).map((m) => m.id).sort((a, b) => a - b));
  });

  it('does not notify the author mentioning themselves', async () => {
    const { member: author, browser } = await memberWithBrowser(t.app, t.db);
    const other = await createMember(t.db);
    const threadId = await startThread(browser, 'questions', { body: `Note to self, @${author.handle}: ask @${other.handle}.` });
    const postId = await firstPostOf(threadId);
    expect(await notificationsAbout(author.id, postId)).toEqual([]);
    expect(await notificationsAbout(other.id, postId)).toEqual(['mention']);
  });

  it('does not notify a deactivated member', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const gone = await createMember(t.db, { deactivated: true });
    const present = await createMember(t.db);
    const threadId = await startThread(browser, 'questions', { body: `Has anyone heard from @${gone.handle} or @${present.handle}?` });
    const postId = await firstPostOf(threadId);
    expect(await notificationsAbout(gone.id, postId)).toEqual([]);
    expect(await notificationsAbout(present.id, postId)).toEqual(['mention']);
  });

  it('does not notify a member who cannot see the category; does a moderator named in the same post', async () => {
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const plain = await createMember(t.db);
    const otherModerator = await createMember(t.db, { role: 'moderator' });
    const threadId = await startThread(moderator, 'moderators', { title: 'Should we warn this member?', body: `About @${plain.handle}: what do you think, @${otherModerator.handle}?` });
    const postId = await firstPostOf(threadId);
    expect(await notificationsAbout(plain.id, postId)).toEqual([]);
    expect(await notificationsAbout(otherModerator.id, postId)).toEqual(['mention']);
  });

  it('does not notify a member who muted the thread', async () => {
    const { browser: author } = await memberWithBrowser(t.app, t.db);
    const muter = await createMember(t.db);
    const listener = await createMember(t.db);
    const threadId = await startThread(author, 'questions');
    await t.db.insertInto('thread_watches').values({ member_id: muter.id, thread_id: threadId, level: 'muted' }).execute();
    const reply = await postReply(author, threadId, { body: `Any thoughts, @${muter.handle} and @${listener.handle}?` });
    const postId = postIdFrom(reply.headers.location);
    expect(await notificationsAbout(muter.id, postId)).toEqual([]);
    expect(await notificationsAbout(listener.id, postId)).toEqual(['mention']);
  });

  it('gives a member a reply to their post that also mentions them one notification, a reply', async () => {
    const { member: asker, browser: askerBrowser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(askerBrowser, 'questions');
    const { browser: answerer } = await memberWithBrowser(t.app, t.db);
    const reply = await postReply(answerer, threadId, { body: `@${asker.handle}, we use an archiving service.`, reply_to: String(await firstPostOf(threadId)) });
    expect(reply.statusCode).toBe(303);
    expect(await notificationsAbout(asker.id, postIdFrom(reply.headers.location))).toEqual(['reply']);
  });

  it('does not tell members about a post in a thread a moderator hid, when staff reply there', async () => {
    const { member: asker, browser: askerBrowser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(askerBrowser, 'questions');
    const { member: watcher, browser: watcherBrowser } = await memberWithBrowser(t.app, t.db);
    expect((await postReply(watcherBrowser, threadId)).statusCode).toBe(303);
    await t.db.updateTable('threads').set({ hidden_at: sql`now()` }).where('id', '=', threadId).execute();
    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const otherModerator = await createMember(t.db, { role: 'moderator' });
    const mentioned = await createMember(t.db);
    const reply = await postReply(moderator, threadId, { body: `Hidden while we check it, @${mentioned.handle} and @${otherModerator.handle}.` });
    expect(reply.statusCode).toBe(303);
    const postId = postIdFrom(reply.headers.location);
    for (const member of [asker, watcher, mentioned]) expect(await notificationsAbout(member.id, postId)).toEqual([]);
    expect(await notificationsAbout(otherModerator.id, postId)).toEqual(['mention']);
  });
});
