import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { MEMBER_MESSAGES } from '../../../src/features/members/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, postReply, startThread } from '../../support/discussions.js';
import { createAgency, createMember } from '../../support/members.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

/** The profile's list of recent posts, as the links to their permalinks, in the order shown. */
function permalinksShown(html: string): number[] {
  const list = /<ul class="profile-posts">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  return [...list.matchAll(/<a href="\/p\/(\d+)">/g)].map((m) => Number(m[1]));
}

async function firstPostOf(threadId: number): Promise<number> {
  const row = await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '=', 1).executeTakeFirstOrThrow();
  return row.id;
}

/** Replies written straight into the database, a minute apart, oldest first: for paging. */
async function insertReplies(threadId: number, authorId: number, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const row = await t.db
      .insertInto('posts')
      .values({ thread_id: threadId, author_id: authorId, position: 100 + i, body_source: `Reply number ${i}`, body_html: `<p>Reply number ${i}</p>`, renderer_version: 1, form_token: randomUUID(), created_at: sql`now() - make_interval(mins => ${count - i})` })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  return ids;
}

describe('GET /u/:handle', () => {
  it('shows the member: name, agency, job title, bio as escaped text with its line breaks, when they joined, and their posts', async () => {
    const agency = await createAgency(t.db, { name: 'Department of Examples' });
    const { member, browser: author } = await memberWithBrowser(t.app, t.db, { agency });
    await t.db.updateTable('members').set({ job_title: 'Digital engagement lead', bio: 'Runs <b>our</b> accounts.\n<script>alert(1)</script>\nAsk me anything.', created_at: new Date('2026-03-02T01:00:00Z') }).where('id', '=', member.id).execute();
    const threadId = await startThread(author, 'questions', { title: 'Moderating comments on a crisis post', body: 'When a post draws **hundreds** of comments overnight,\n\nwhat do you hide?' });
    const { browser: viewer } = await memberWithBrowser(t.app, t.db);

    const page = await viewer.get(`/u/${member.handle}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<h1>${member.displayName}</h1>`);
    expect(page.body).toContain(`@${member.handle}`);
    expect(page.body).toContain('<dd>Department of Examples</dd>');
    expect(page.body).toContain('<dd>Digital engagement lead</dd>');
    expect(page.body).toContain('<p class="profile__bio">Runs &lt;b&gt;our&lt;/b&gt; accounts.\n&lt;script&gt;alert(1)&lt;/script&gt;\nAsk me anything.</p>');
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).toMatch(/<time datetime="2026-03-02T01:00:00.000Z">2 March 2026<\/time>/);
    expect(page.body).toContain(`<a href="/t/${threadId}/moderating-comments-on-a-crisis-post"><bdi>Moderating comments on a crisis post</bdi></a>`);
    expect(page.body).toContain('<p class="profile-posts__excerpt">When a post draws hundreds of comments overnight, what do you hide?</p>');
    expect(permalinksShown(page.body)).toEqual([await firstPostOf(threadId)]);
    expect(page.body).not.toContain('This is you');
  });

  it('says "This is you" on a member’s own profile, with a link to their settings', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const page = await browser.get(`/u/${member.handle}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This is you. <a href="/settings">Change your profile in Settings</a>.');
  });

  it('finds a handle whatever its case, and sends the browser to the handle as the member wrote it', async () => {
    const member = await createMember(t.db, { handle: `Jane_${randomUUID().slice(0, 8)}` });
    const { browser } = await memberWithBrowser(t.app, t.db);
    const response = await browser.get(`/u/${member.handle.toUpperCase()}?page=1`);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/u/${member.handle}?page=1`);
    expect((await browser.get(response.headers.location as string)).statusCode).toBe(200);
  });

  it('is not found for an unknown or deactivated member', async () => {
    const gone = await createMember(t.db, { deactivated: true });
    const { browser } = await memberWithBrowser(t.app, t.db);
    for (const handle of ['nobody_here_at_all', gone.handle, gone.handle.toUpperCase()]) {
      const response = await browser.get(`/u/${handle}`);
      expect(response.statusCode, handle).toBe(404);
      expect(response.body).not.toContain(gone.displayName);
    }
  });

  it('is not found for anything that is not a handle, never a 500', async () => {
    const { browser } = await memberWithBrowser(t.app, t.db);
    const hostile = ['%3Cscript%3Ealert(1)%3C%2Fscript%3E', 'abc%00def', "x'%20OR%201%3D1--", '%25', '%5F%5F%5F', 'ab', 'a'.repeat(31), '%E2%80%AEabc', 'abc%2Fdef', '%C3%28'];
    for (const handle of hostile) {
      const response = await browser.get(`/u/${handle}`);
      expect([400, 404], handle).toContain(response.statusCode);
      expect(response.body).not.toContain('<script>alert');
    }
    expect((await browser.get('/u/%25')).statusCode).toBe(404);
    expect((await browser.get('/u/abc%00def')).statusCode).toBe(404);
  });

  it('sends a visitor to sign in, and back to the profile after', async () => {
    const member = await createMember(t.db);
    const response = await new Browser(t.app).get(`/u/${member.handle}`);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/login?next=${encodeURIComponent(`/u/${member.handle}`)}`);
  });
});

describe('a profile’s recent posts', () => {
  it('shows 20 a page, newest first; page 2 has the rest; a page past the end is not found', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(browser, 'questions', { title: 'A long conversation with myself' });
    const opening = await firstPostOf(threadId);
    await t.db.updateTable('posts').set({ created_at: sql`now() - interval '1 day'` }).where('id', '=', opening).execute();
    const replies = await insertReplies(threadId, member.id, 20);
    const newestFirst = [...replies].reverse();
    const first = await browser.get(`/u/${member.handle}`);
    expect(permalinksShown(first.body)).toEqual(newestFirst);
    expect(first.body).toContain(`href="/u/${member.handle}?page&#x3D;2"`);
    const second = await browser.get(`/u/${member.handle}?page=2`);
    expect(second.statusCode).toBe(200);
    expect(permalinksShown(second.body)).toEqual([opening]);
    expect((await browser.get(`/u/${member.handle}?page=3`)).statusCode).toBe(404);
  });

  it('lists the most recent 1,000 and says so on its last page when there are more', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(browser, 'questions', { title: 'Where a prolific member writes' });
    await sql`
      insert into posts (thread_id, author_id, position, body_source, body_html, renderer_version, form_token, created_at)
      select ${threadId}, ${member.id}, 1 + n, 'Reply ' || n, '<p>Reply</p>', 1, gen_random_uuid(), now() - make_interval(secs => n)
      from generate_series(1, 1000) n
    `.execute(t.db);
    const last = await browser.get(`/u/${member.handle}?page=50`);
    expect(last.statusCode).toBe(200);
    expect(permalinksShown(last.body)).toHaveLength(20);
    expect(last.body).toContain(MEMBER_MESSAGES.olderPostsNotListed(1000));
    expect((await browser.get(`/u/${member.handle}?page=49`)).body).not.toContain(MEMBER_MESSAGES.olderPostsNotListed(1000));
    expect((await browser.get(`/u/${member.handle}?page=51`)).statusCode).toBe(404);
  });

  it('answers a page that is not a positive integer with 400 and says why, and one past the end with 404', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    for (const query of ['page=0', 'page=-1', 'page=abc', 'page=1e3', 'page=', 'page=1&page=2', 'page=%00', 'page=99999999999999999999']) {
      const response = await browser.get(`/u/${member.handle}?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.body).toContain(DISCUSSION_MESSAGES.badPage);
    }
    // A whole number, just past the end, however far.
    expect((await browser.get(`/u/${member.handle}?page=1000000000000`)).statusCode).toBe(404);
  });

  it('has one page saying so when the member has posted nothing', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const page = await browser.get(`/u/${member.handle}`);
    expect(page.body).toContain(MEMBER_MESSAGES.noPosts);
    expect((await browser.get(`/u/${member.handle}?page=2`)).statusCode).toBe(404);
  });

  it('never shows a post in the moderators’ lounge to a member, and does to a moderator', async () => {
    const { member: moderator, browser: modBrowser } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const lounge = await startThread(modBrowser, 'moderators', { title: 'Handling the flood of spam reports' });
    const open = await startThread(modBrowser, 'announcements', { title: 'Welcome to the new forum' });
    const { browser: memberBrowser } = await memberWithBrowser(t.app, t.db);

    const asMember = await memberBrowser.get(`/u/${moderator.handle}`);
    expect(permalinksShown(asMember.body)).toEqual([await firstPostOf(open)]);
    expect(asMember.body).not.toContain('Handling the flood');
    expect(asMember.body).not.toContain('Moderators’ lounge');

    const { browser: otherModerator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const asModerator = await otherModerator.get(`/u/${moderator.handle}`);
    expect(permalinksShown(asModerator.body)).toEqual([await firstPostOf(open), await firstPostOf(lounge)]);
    expect(asModerator.body).toContain('Handling the flood of spam reports');
  });

  it('never shows a deleted post or a post in a deleted thread; shows hidden ones to staff only, marked', async () => {
    const { member, browser } = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(browser, 'questions', { title: 'Which tools do you use?' });
    const deleted = postIdFrom((await postReply(browser, threadId, { body: 'I take that back.' })).headers.location);
    const hidden = postIdFrom((await postReply(browser, threadId, { body: 'Something a moderator hid.' })).headers.location);
    const kept = postIdFrom((await postReply(browser, threadId, { body: 'A reply that stays.' })).headers.location);
    await t.db.updateTable('posts').set({ deleted_at: sql`now()`, deleted_by: member.id }).where('id', '=', deleted).execute();
    await t.db.updateTable('posts').set({ hidden_at: sql`now()` }).where('id', '=', hidden).execute();
    const goneThread = await startThread(browser, 'questions', { title: 'A thread that was deleted' });
    await t.db.updateTable('threads').set({ deleted_at: sql`now()` }).where('id', '=', goneThread).execute();

    const { browser: viewer } = await memberWithBrowser(t.app, t.db);
    const asMember = await viewer.get(`/u/${member.handle}`);
    expect(permalinksShown(asMember.body)).toEqual([kept, await firstPostOf(threadId)]);
    expect(asMember.body).not.toContain('I take that back');
    expect(asMember.body).not.toContain('Something a moderator hid');
    expect(asMember.body).not.toContain('A thread that was deleted');

    const { browser: moderator } = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const asModerator = await moderator.get(`/u/${member.handle}`);
    expect(permalinksShown(asModerator.body)).toEqual([kept, hidden, await firstPostOf(threadId)]);
    expect(asModerator.body).toContain('<span class="tag">Hidden</span>');
    expect(asModerator.body).not.toContain('I take that back');
  });
});
