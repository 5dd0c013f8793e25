import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, replyFormOf, startThread } from '../../support/discussions.js';
import { addReplies, createCategory } from '../../support/forum-rows.js';
import { createMember } from '../../support/members.js';

let t: TestApp;
beforeAll(async () => {
  // Many posts by members in their first day: these tests are about who hears of them, not limits.
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '10000' } });
});
afterAll(async () => t.close());

async function notificationsOf(postId: number): Promise<{ memberId: number; kind: string }[]> {
  const rows = await t.db.selectFrom('notifications').select(['member_id', 'kind']).where('post_id', '=', postId).orderBy('member_id').execute();
  return rows.map((row) => ({ memberId: row.member_id, kind: row.kind }));
}

async function firstPostOf(threadId: number): Promise<number> {
  const row = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '=', 1).executeTakeFirstOrThrow();
  return row.id;
}

async function replyId(browser: Browser, threadId: number, fields: Record<string, string> = {}): Promise<number> {
  const response = await postReply(browser, threadId, fields);
  expect(response.statusCode, response.body).toBe(303);
  return postIdFrom(response.headers.location);
}

async function notificationRows(memberId: number): Promise<number> {
  const row = await t.db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('count')).where('member_id', '=', memberId).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** What each notification on the page says, as text (its link's words). */
function summaries(html: string): string[] {
  return [...html.matchAll(/<a href="\/notifications\/\d+">([\s\S]*?)<\/a>/g)].map((match) => match[1]!.replace(/<[^>]+>/g, ''));
}

/** The header's link, as a screen reader announces it: "Notifications 3 unread". */
function headerLink(html: string): string {
  const link = /<a href="\/notifications"[^>]*>([\s\S]*?)<\/a><\/li>/.exec(html)?.[1] ?? '';
  return link.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
}

describe('who hears about a post', () => {
  it('tells the thread’s author of a reply to the thread, and a post’s author of a reply to their post, once each', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const casey = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Archiving posts that were deleted' });

    const blairsReply = await replyId(blair.browser, threadId, { body: 'We capture them nightly.' });
    expect(await notificationsOf(blairsReply)).toEqual([{ memberId: alex.member.id, kind: 'reply' }]);

    // Casey answers Blair's post: Blair hears of a reply to their post, Alex (watching the thread they started) of a reply in it.
    const caseysReply = await replyId(casey.browser, threadId, { body: 'Which tool do you use?', reply_to: String(blairsReply) });
    expect(await notificationsOf(caseysReply)).toEqual(
      [
        { memberId: alex.member.id, kind: 'watched_reply' },
        { memberId: blair.member.id, kind: 'reply' },
      ].sort((a, b) => a.memberId - b.memberId),
    );

    const blairsPage = await blair.browser.get('/notifications');
    expect(blairsPage.statusCode).toBe(200);
    expect(summaries(blairsPage.body)).toContain(`${casey.member.displayName} replied to your post in “Archiving posts that were deleted”`);
    const alexsPage = (await alex.browser.get('/notifications')).body;
    expect(summaries(alexsPage)).toContain(`${blair.member.displayName} replied to your thread “Archiving posts that were deleted”`);
    expect(summaries(alexsPage)).toContain(`${casey.member.displayName} replied in a thread you watch: “Archiving posts that were deleted”`);
    // Newest first.
    expect(alexsPage.indexOf(casey.member.displayName)).toBeLessThan(alexsPage.indexOf(blair.member.displayName));
  });

  it('tells a mentioned member, in words, and not the author who mentions themself', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const dana = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'social-media-practice', { title: 'Moderating comments at night', body: `@${dana.member.handle} and @${alex.member.handle}, how do you cover the night shift?` });
    expect(await notificationsOf(await firstPostOf(threadId))).toEqual([{ memberId: dana.member.id, kind: 'mention' }]);
    expect(summaries((await dana.browser.get('/notifications')).body)).toContain(`${alex.member.displayName} mentioned you in “Moderating comments at night”`);
  });

  it('tells the watchers of a category of a new thread in it', async () => {
    const category = await createCategory(t.db);
    const alex = await memberWithBrowser(t.app, t.db);
    const ellis = await memberWithBrowser(t.app, t.db);
    const watch = await ellis.browser.post(`/c/${category.slug}/watch`, { _csrf: (await ellis.browser.openForm(`/c/${category.slug}`))._csrf!, level: 'watching' });
    expect(watch.statusCode).toBe(303);
    const threadId = await startThread(alex.browser, category.slug, { title: 'A new records policy' });
    expect(await notificationsOf(await firstPostOf(threadId))).toEqual([{ memberId: ellis.member.id, kind: 'watched_thread' }]);
    expect(summaries((await ellis.browser.get('/notifications')).body)).toContain(`${alex.member.displayName} started a thread in ${category.name}, which you watch: “A new records policy”`);
  });

  it('words a marked answer (written by the answers feature) as such', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Which archive tool?' });
    const answer = await replyId(blair.browser, threadId);
    await t.db.insertInto('notifications').values({ member_id: blair.member.id, kind: 'answer', actor_id: alex.member.id, thread_id: threadId, post_id: answer }).execute();
    expect(summaries((await blair.browser.get('/notifications')).body)).toContain(`${alex.member.displayName} marked your reply as the answer in “Which archive tool?”`);
  });

  it('isolates the actor’s name and the thread’s title, so a right-to-left override in either stays inside it', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions');
    await replyId(blair.browser, threadId);
    await t.db.updateTable('members').set({ display_name: 'Blair \u202Eevil' }).where('id', '=', blair.member.id).execute();
    await t.db.updateTable('threads').set({ title: 'Reversed \u202Etitle' }).where('id', '=', threadId).execute();
    expect((await alex.browser.get('/notifications')).body).toContain('<bdi>Blair \u202Eevil</bdi> replied to your thread “<bdi>Reversed \u202Etitle</bdi>”</a>');
  });

  it('tells nobody of their own reply, a muted thread, or a deactivated member', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const gone = await createMember(t.db, { deactivated: true });
    const threadId = await startThread(alex.browser, 'questions');
    expect(await notificationsOf(await replyId(alex.browser, threadId, { body: 'Adding a detail to my own question.' }))).toEqual([]);

    const mute = await alex.browser.post(`/t/${threadId}/watch`, { _csrf: (await replyFormOf(alex.browser, threadId))._csrf!, level: 'muted' });
    expect(mute.statusCode).toBe(303);
    const reply = await replyId(blair.browser, threadId, { body: `A reply Alex muted, mentioning @${alex.member.handle} and @${gone.handle}.` });
    expect(await notificationsOf(reply)).toEqual([]);
  });

  it('tells nobody of a post in a category they cannot see', async () => {
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const otherModerator = await createMember(t.db, { role: 'administrator' });
    const member = await createMember(t.db);
    const threadId = await startThread(moderator.browser, 'moderators', { title: 'A member to keep an eye on', body: `@${member.handle} has been posting spam; @${otherModerator.handle}, can you look?` });
    expect(await notificationsOf(await firstPostOf(threadId))).toEqual([{ memberId: otherModerator.id, kind: 'mention' }]);
  });

  it('writes no notification when the post’s transaction fails, and no post either', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions');
    const marker = 'This reply makes its transaction fail.';
    // Fails after the notification row is written, inside the post's transaction.
    await sql`create function fail_marked_notification() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from posts where id = new.post_id and body_source = ${sql.lit(marker)}) then raise exception 'marked post'; end if;
        return new;
      end $$`.execute(t.db);
    await sql`create trigger fail_marked_notification after insert on notifications for each row execute function fail_marked_notification()`.execute(t.db);
    try {
      const response = await postReply(blair.browser, threadId, { body: marker });
      expect(response.statusCode).toBe(500);
    } finally {
      await sql`drop trigger fail_marked_notification on notifications`.execute(t.db);
      await sql`drop function fail_marked_notification()`.execute(t.db);
    }
    expect(await t.db.selectFrom('posts').select('id').where('body_source', '=', marker).execute()).toEqual([]);
    expect(await notificationRows(alex.member.id)).toBe(0);
    expect(await t.db.selectFrom('threads').select(['post_count', 'reply_count']).where('id', '=', threadId).executeTakeFirstOrThrow()).toEqual({ post_count: 1, reply_count: 0 });
  });
});

describe('GET /notifications', () => {
  it('shows unread ones as unread in words, counts them in the header, and reads one on opening it', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions');
    const first = await replyId(blair.browser, threadId, { body: 'One.' });
    await replyId(blair.browser, threadId, { body: 'Two.' });

    const page = await alex.browser.get('/notifications');
    expect(headerLink(page.body)).toBe('Notifications 2 unread');
    expect(page.body).toMatch(/<a href="\/notifications" aria-current="page">/);
    expect(page.body.match(/<strong class="tag tag--unread">Unread<\/strong>/g)).toHaveLength(2);
    expect(page.body).toContain('Mark all as read');

    const notification = await t.db.selectFrom('notifications').select('id').where('member_id', '=', alex.member.id).where('post_id', '=', first).executeTakeFirstOrThrow();
    const opened = await alex.browser.get(`/notifications/${notification.id}`);
    expect(opened.statusCode).toBe(303);
    expect(opened.headers.location).toBe(`/p/${first}`);
    const after = await alex.browser.get('/notifications');
    expect(headerLink(after.body)).toBe('Notifications 1 unread');
    expect(after.body.match(/tag--unread/g)).toHaveLength(1);
    // Opening it again goes to the post again and changes nothing.
    const readAt = await t.db.selectFrom('notifications').select('read_at').where('id', '=', notification.id).executeTakeFirstOrThrow();
    expect(readAt.read_at).not.toBeNull();
    expect((await alex.browser.get(`/notifications/${notification.id}`)).headers.location).toBe(`/p/${first}`);
    expect(await t.db.selectFrom('notifications').select('read_at').where('id', '=', notification.id).executeTakeFirstOrThrow()).toEqual(readAt);
  });

  it('marks all as read (POST /notifications/read-all), and refuses without the form’s token', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions');
    await replyId(blair.browser, threadId);
    const unread = () => t.db.selectFrom('notifications').select('id').where('member_id', '=', alex.member.id).where('read_at', 'is', null).execute();

    const forged = await alex.browser.post('/notifications/read-all', {});
    expect(forged.statusCode).toBe(403);
    expect(await unread()).toHaveLength(1);
    expect((await new Browser(t.app).post('/notifications/read-all', {})).statusCode).toBe(403);

    const response = await alex.browser.post('/notifications/read-all', await alex.browser.openForm('/notifications'));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/notifications');
    expect(await unread()).toHaveLength(0);
    const page = await alex.browser.get('/notifications');
    expect(page.body).toContain('All your notifications are marked as read.');
    expect(headerLink(page.body)).toBe('Notifications');
    expect(page.body).not.toContain('Mark all as read');
    expect(page.body).not.toContain('tag--unread');
  });

  it('never shows a notification about a post that was deleted or hidden since, or in a category closed to members since', async () => {
    const category = await createCategory(t.db);
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Deleted replies vanish' });
    const deleted = await replyId(blair.browser, threadId, { body: 'I will delete this.' });
    const hidden = await replyId(blair.browser, threadId, { body: 'A moderator will hide this.' });
    const elsewhere = await startThread(alex.browser, category.slug, { title: 'A category about to close' });
    const closed = await replyId(blair.browser, elsewhere, { body: 'This category will close to members.' });
    const kept = await replyId(blair.browser, threadId, { body: 'This one stays.' });
    expect(headerLink((await alex.browser.get('/notifications')).body)).toBe('Notifications 4 unread');

    await t.db.updateTable('posts').set({ deleted_at: sql`now()` }).where('id', '=', deleted).execute();
    await t.db.updateTable('posts').set({ hidden_at: sql`now()` }).where('id', '=', hidden).execute();
    await t.db.updateTable('categories').set({ visible_to: 'moderators' }).where('id', '=', category.id).execute();

    const page = await alex.browser.get('/notifications');
    expect(page.body.match(/class="notification[ "]/g)).toHaveLength(1);
    expect(headerLink(page.body)).toBe('Notifications 1 unread');
    const ids = await t.db.selectFrom('notifications').select(['id', 'post_id']).where('member_id', '=', alex.member.id).execute();
    const idOf = (postId: number) => ids.find((row) => row.post_id === postId)!.id;
    expect(page.body).toContain(`href="/notifications/${idOf(kept)}"`);
    for (const gone of [deleted, hidden, closed]) {
      expect(page.body).not.toContain(`href="/notifications/${idOf(gone)}"`);
      expect((await alex.browser.get(`/notifications/${idOf(gone)}`)).statusCode).toBe(404);
    }
    // A moderator sees hidden posts, and hears of them as before.
    await t.db.updateTable('members').set({ role: 'moderator' }).where('id', '=', alex.member.id).execute();
    expect(headerLink((await alex.browser.get('/notifications')).body)).toBe('Notifications 3 unread');
  });

  it('answers another member’s notification, and one that does not exist, with 404 and leaves it unread', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions');
    await replyId(blair.browser, threadId);
    const notification = await t.db.selectFrom('notifications').select('id').where('member_id', '=', alex.member.id).executeTakeFirstOrThrow();
    expect((await blair.browser.get(`/notifications/${notification.id}`)).statusCode).toBe(404);
    for (const id of ['0', '-1', 'abc', '1e3', '99999999999', '9223372036854775808']) expect((await alex.browser.get(`/notifications/${id}`)).statusCode, id).toBe(404);
    expect(await t.db.selectFrom('notifications').select('read_at').where('id', '=', notification.id).executeTakeFirstOrThrow()).toEqual({ read_at: null });
  });

  it('pages 30 at a time, newest first; a bad page is a 400 and a page past the end a 404', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await createMember(t.db);
    const threadId = await startThread(alex.browser, 'questions');
    const posts = await addReplies(t.db, threadId, blair.id, 101);
    await t.db
      .insertInto('notifications')
      .values(posts.map((postId, index) => ({ member_id: alex.member.id, kind: 'reply', actor_id: blair.id, thread_id: threadId, post_id: postId, created_at: new Date(Date.now() - (posts.length - index) * 60_000) })))
      .execute();
    const hrefs = (html: string) => [...html.matchAll(/href="\/notifications\/(\d+)"/g)].map((match) => Number(match[1]));
    const byNewest = (await t.db.selectFrom('notifications').select('id').where('member_id', '=', alex.member.id).orderBy('created_at', 'desc').execute()).map((row) => row.id);

    const first = await alex.browser.get('/notifications');
    expect(hrefs(first.body)).toEqual(byNewest.slice(0, 30));
    expect(first.body).toContain('href="/notifications?page&#x3D;2" rel="next"');
    expect(first.body).not.toContain('rel="prev"');
    // The header stops counting at 99.
    expect(headerLink(first.body)).toBe('Notifications 99+ unread');
    const last = await alex.browser.get('/notifications?page=4');
    expect(hrefs(last.body)).toEqual(byNewest.slice(90));
    expect(last.body).toContain('href="/notifications?page&#x3D;3" rel="prev"');
    expect(last.body).not.toContain('rel="next"');

    for (const page of ['5', String(10 ** 12)]) expect((await alex.browser.get(`/notifications?page=${page}`)).statusCode, page).toBe(404);
    for (const page of ['0', '-1', 'abc', '1'.repeat(16), '1&page=2']) {
      const response = await alex.browser.get(`/notifications?page=${page}`);
      expect(response.statusCode, page).toBe(400);
      expect(response.body).toContain('The page number must be a whole number from 1');
    }
  });

  it('says so when there are none, and sends a visitor to sign in', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const page = await browser.get('/notifications');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('No notifications yet.');
    expect(page.body).not.toContain('Mark all as read');
    expect((await browser.get('/notifications?page=2')).statusCode).toBe(404);
    const visitor = await new Browser(t.app).get('/notifications');
    expect(visitor.statusCode).toBe(303);
    expect(visitor.headers.location).toBe('/login?next=%2Fnotifications');
  });
});
