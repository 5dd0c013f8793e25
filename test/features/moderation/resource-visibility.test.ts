import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_MESSAGES as M, THREAD_ACTION_MESSAGES } from '../../../src/features/moderation/messages.js';
import { LIBRARY_CATEGORY } from '../../../src/features/resources/sharing.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { postAt, postReply, threadPageOf } from '../../support/discussions.js';
import { refusedWritingNothing } from '../../support/moderation.js';
import { createResource, escapeLikeHandlebars, resourcePageOf } from '../../support/resources.js';
import { auditRows, categoryCounts, moderationForm, threadAction } from '../../support/thread-moderation.js';
import { someone, type Someone } from './support.js';

// A resource a moderator hides takes its discussion thread with it (the thread carries its title
// and quotes it), and showing the resource again brings the thread back: counts and all.

let t: TestApp;
let moderator: Someone;
let sharer: Someone;
let member: Someone;
let libraryId: number;
beforeAll(async () => {
  t = await buildTestApp();
  moderator = await someone(t.app, t.db, 'moderator');
  sharer = await someone(t.app, t.db);
  member = await someone(t.app, t.db);
  libraryId = (await t.db.selectFrom('categories').select('id').where('slug', '=', LIBRARY_CATEGORY).executeTakeFirstOrThrow()).id;
});
afterAll(async () => t.close());

const REASON = 'Discloses information that is not public.';

/** A resource whose discussion has a reply by another member (so its sharer has a reply notification). */
async function discussedResource() {
  const title = `Records guide ${Math.random().toString(36).slice(2, 8)}`;
  const resource = await createResource(t.db, { sharer: sharer.member, title });
  expect((await postReply(member.browser, resource.threadId, { body: 'DISCUSSION-REPLY it worked for us.' })).statusCode).toBe(303);
  return { ...resource, firstPostId: await postAt(t.db, resource.threadId, 1) };
}

async function hide(resourceId: number) {
  const response = await moderator.browser.post(`/mod/resources/${resourceId}/hide`, { _csrf: moderator.csrf, reason: REASON });
  expect(response.statusCode, response.body.slice(0, 300)).toBe(303);
}

const unhide = (browser: Browser, resourceId: number | string, csrf: string) => browser.post(`/mod/resources/${resourceId}/unhide`, { _csrf: csrf });

const threadRow = (id: number) => t.db.selectFrom('threads').select(['hidden_at', 'hidden_reason', 'hidden_with_resource', 'version']).where('id', '=', id).executeTakeFirstOrThrow();

/** Where a member meets a thread: its category's list, its page, its first post's permalink, the home page, the replier's profile. */
async function placesShowing(browser: Browser, resource: { threadId: number; title: string; firstPostId: number }) {
  const list = await browser.get(`/c/${LIBRARY_CATEGORY}`);
  const page = await browser.get(`/t/${resource.threadId}`);
  const permalink = await browser.get(`/p/${resource.firstPostId}`);
  const home = await browser.get('/');
  const profile = await browser.get(`/u/${member.member.handle}`);
  return {
    list: list.body.includes(escapeLikeHandlebars(resource.title)),
    page: page.statusCode,
    permalink: permalink.statusCode,
    home: home.body.includes(escapeLikeHandlebars(resource.title)),
    profile: profile.body.includes(escapeLikeHandlebars(resource.title)),
  };
}

async function notificationsPage(browser: Browser) {
  return (await browser.get('/notifications')).body;
}

describe('hiding a resource (POST /mod/resources/:id/hide)', () => {
  it('hides its discussion thread from members everywhere, with the thread’s own audit row, and takes it out of the category’s counts once', async () => {
    const resource = await discussedResource();
    const visible = await placesShowing(member.browser, resource);
    expect(visible).toEqual({ list: true, page: 303, permalink: 303, home: true, profile: true });
    const before = await categoryCounts(t.db, libraryId);
    expect(await notificationsPage(sharer.browser)).toContain(escapeLikeHandlebars(resource.title));

    await hide(resource.id);

    expect(await placesShowing(member.browser, resource)).toEqual({ list: false, page: 404, permalink: 404, home: false, profile: false });
    expect(await placesShowing(sharer.browser, resource)).toMatchObject({ list: false, page: 404, permalink: 404 });
    // Staff still see it, marked hidden with the reason.
    expect(await threadPageOf(moderator.browser, resource.threadId)).toContain(escapeLikeHandlebars(REASON));
    expect(await categoryCounts(t.db, libraryId)).toEqual({ thread_count: before.thread_count - 1, post_count: before.post_count - 2 });
    expect(await threadRow(resource.threadId)).toMatchObject({ hidden_reason: REASON, hidden_with_resource: true });
    expect((await auditRows(t.db, resource.threadId)).map((row) => [row.action, row.details])).toEqual([['thread.hidden', { reason: REASON, before: { hidden: false }, after: { hidden: true } }]]);

    // The sharer's notices: the reply inside the hidden thread is gone; the moderator's notice
    // stays, with the reason, and leads to their moderation record.
    const notices = await t.db.selectFrom('notifications').select(['id', 'kind']).where('member_id', '=', sharer.member.id).where('thread_id', '=', resource.threadId).execute();
    expect(notices.map((row) => row.kind).sort()).toEqual(['moderation', 'reply']);
    const page = await notificationsPage(sharer.browser);
    expect(page).toContain('A moderator</bdi> hid your thread');
    expect(page).toContain(escapeLikeHandlebars(REASON));
    expect(page).not.toContain('replied to your thread');
    const reply = notices.find((row) => row.kind === 'reply')!;
    expect((await sharer.browser.get(`/notifications/${reply.id}`)).statusCode).toBe(404);
    const notice = notices.find((row) => row.kind === 'moderation')!;
    expect((await sharer.browser.get(`/notifications/${notice.id}`)).headers.location).toBe('/settings/moderation');
  });

  it('leaves a thread a moderator had hid on its own account as it was, and hidden after the resource is shown again', async () => {
    const resource = await discussedResource();
    const form = await moderationForm(moderator.browser, resource.threadId);
    expect((await threadAction(moderator.browser, resource.threadId, 'hide', { ...form, reason: 'Off topic thread.' })).statusCode).toBe(303);
    const before = await categoryCounts(t.db, libraryId);
    await hide(resource.id);
    expect(await threadRow(resource.threadId)).toMatchObject({ hidden_reason: 'Off topic thread.', hidden_with_resource: false });
    expect(await categoryCounts(t.db, libraryId)).toEqual(before);
    expect((await unhide(moderator.browser, resource.id, moderator.csrf)).statusCode).toBe(303);
    expect(await threadRow(resource.threadId)).toMatchObject({ hidden_reason: 'Off topic thread.', hidden_with_resource: false });
    expect(await categoryCounts(t.db, libraryId)).toEqual(before);
    expect((await member.browser.get(`/t/${resource.threadId}`)).statusCode).toBe(404);
  });
});

describe('POST /mod/threads/:id/unhide on a hidden or removed resource’s discussion', () => {
  it('is refused with 422 pointing to the resource, writing nothing: the discussion stays hidden until the resource is shown', async () => {
    const hidden = await discussedResource();
    await hide(hidden.id);
    const removed = await discussedResource();
    expect((await moderator.browser.post(`/mod/resources/${removed.id}/remove`, { _csrf: moderator.csrf, reason: REASON })).statusCode).toBe(303);
    for (const resource of [hidden, removed]) {
      expect(await threadRow(resource.threadId)).toMatchObject({ hidden_with_resource: true });
      const page = await moderator.browser.get(`/mod/threads/${resource.threadId}`);
      expect(page.body).not.toContain(`action="/mod/threads/${resource.threadId}/unhide"`);
      await refusedWritingNothing(t.db, async () => threadAction(moderator.browser, resource.threadId, 'unhide', await moderationForm(moderator.browser, resource.threadId)), 422, escapeLikeHandlebars(THREAD_ACTION_MESSAGES.shownWithResource));
      expect(await placesShowing(member.browser, resource)).toMatchObject({ page: 404, permalink: 404 });
    }
    expect((await unhide(moderator.browser, hidden.id, moderator.csrf)).statusCode).toBe(303);
    expect(await threadRow(hidden.threadId)).toMatchObject({ hidden_at: null, hidden_with_resource: false });
  });
});

describe('POST /mod/resources/:id/unhide', () => {
  it('shows the resource and its discussion again, counts restored, audited, with the sharer told', async () => {
    const resource = await discussedResource();
    const before = await categoryCounts(t.db, libraryId);
    await hide(resource.id);
    const staffPage = await resourcePageOf(moderator.browser, resource.id);
    expect(staffPage).toContain(`action="/mod/resources/${resource.id}/unhide"`);
    expect((await member.browser.get(`/resources/${resource.id}`)).statusCode).toBe(404);

    const response = await unhide(moderator.browser, resource.id, moderator.csrf);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toMatch(new RegExp(`^/resources/${resource.id}/`));
    expect(await resourcePageOf(moderator.browser, resource.id)).toContain(escapeLikeHandlebars(M.resourceUnhidden));

    expect(await placesShowing(member.browser, resource)).toEqual({ list: true, page: 303, permalink: 303, home: true, profile: true });
    expect((await member.browser.get(`/resources/${resource.id}`)).statusCode).toBe(303);
    expect(await categoryCounts(t.db, libraryId)).toEqual(before);
    expect(await threadRow(resource.threadId)).toMatchObject({ hidden_at: null, hidden_reason: null, hidden_with_resource: false });
    const audit = await t.db.selectFrom('audit_events').select(['action', 'actor_member_id', 'subject_member_id', 'details']).where('target_type', '=', 'resource').where('target_id', '=', String(resource.id)).orderBy('id').execute();
    expect(audit.map((row) => row.action)).toEqual(['resource.hidden', 'resource.unhidden']);
    expect(audit[1]).toMatchObject({ actor_member_id: moderator.member.id, subject_member_id: sharer.member.id, details: { before: { hidden: true, hiddenReason: REASON }, after: { hidden: false } } });
    expect((await auditRows(t.db, resource.threadId)).map((row) => row.action)).toEqual(['thread.hidden', 'thread.unhidden']);
    const notice = await t.db.selectFrom('notifications').select(['kind', 'read_at']).where('member_id', '=', sharer.member.id).where('post_id', '=', resource.firstPostId).executeTakeFirstOrThrow();
    expect(notice).toEqual({ kind: 'moderation', read_at: null });
    expect(await notificationsPage(sharer.browser)).toContain('took action on your post in');
    expect((await sharer.browser.get('/settings/moderation')).body).toContain('Resource shown again');
  });

  it('shows a resource hidden by flags too, dismissing its flags', async () => {
    const resource = await discussedResource();
    await t.db.updateTable('resources').set({ hidden_at: new Date() }).where('id', '=', resource.id).execute();
    await t.db.insertInto('flags').values({ resource_id: resource.id, flagger_id: member.member.id, reason: 'spam' }).execute();
    expect((await unhide(moderator.browser, resource.id, moderator.csrf)).statusCode).toBe(303);
    expect((await member.browser.get(`/resources/${resource.id}`)).statusCode).toBe(303);
    const flag = await t.db.selectFrom('flags').select(['outcome']).where('resource_id', '=', resource.id).executeTakeFirstOrThrow();
    expect(flag.outcome).toBe('kept');
  });

  it('takes a double submit (or a second moderator’s stale page) once: the second writes nothing and says so', async () => {
    const resource = await discussedResource();
    await hide(resource.id);
    expect((await unhide(moderator.browser, resource.id, moderator.csrf)).statusCode).toBe(303);
    await resourcePageOf(moderator.browser, resource.id);
    const second = await refusedWritingNothing(t.db, () => unhide(moderator.browser, resource.id, moderator.csrf), 303);
    expect(second.headers.location).toMatch(new RegExp(`^/resources/${resource.id}/`));
    expect(await resourcePageOf(moderator.browser, resource.id)).toContain(escapeLikeHandlebars(M.resourceNotHidden));
  });

  it('answers an unknown, malformed or over-bigint id, or a removed resource, with 404 and writes nothing', async () => {
    const resource = await discussedResource();
    await hide(resource.id);
    for (const id of ['99999999999', '9223372036854775808', '99999999999999999999', '1.5', '-1', '0', 'abc']) {
      await refusedWritingNothing(t.db, () => unhide(moderator.browser, id, moderator.csrf), 404);
    }
    const removed = await discussedResource();
    await hide(removed.id);
    await t.db.updateTable('resources').set({ removed_at: new Date() }).where('id', '=', removed.id).execute();
    await refusedWritingNothing(t.db, () => unhide(moderator.browser, removed.id, moderator.csrf), 404);
  });

  it('refuses a member (403), a visitor (403, sign in), extra fields (400) and a missing token (403), writing nothing', async () => {
    const resource = await discussedResource();
    await hide(resource.id);
    await refusedWritingNothing(t.db, () => unhide(member.browser, resource.id, member.csrf), 403);
    await refusedWritingNothing(t.db, () => unhide(sharer.browser, resource.id, sharer.csrf), 403);
    const visitor = new Browser(t.app);
    expect((await visitor.get(`/resources/${resource.id}`)).headers.location).toBe(`/login?next=%2Fresources%2F${resource.id}`);
    await refusedWritingNothing(t.db, () => visitor.post(`/mod/resources/${resource.id}/unhide`, {}), 403, escapeLikeHandlebars(PAGE_MESSAGES.signInFirst));
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/resources/${resource.id}/unhide`, { _csrf: moderator.csrf, hidden: 'false' }), 400, escapeLikeHandlebars(M.unexpectedFields));
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/resources/${resource.id}/unhide`, {}), 403);
    expect((await member.browser.get(`/resources/${resource.id}`)).statusCode).toBe(404);
  });
});

describe('a resource shared by staff', () => {
  it('is not a moderator’s to hide, keep, unhide or remove: 403 with the reason, nothing written; an administrator may', async () => {
    const administrator = await someone(t.app, t.db, 'administrator');
    const colleague = await someone(t.app, t.db, 'moderator');
    for (const owner of [administrator, colleague]) {
      const resource = await createResource(t.db, { sharer: owner.member });
      const refused = await moderator.browser.get(`/mod/resources/${resource.id}/hide`);
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain(M.staffContentOnlyByAdministrators);
      for (const [action, fields] of [['hide', { reason: REASON }], ['remove', { reason: REASON }], ['keep', {}], ['unhide', {}]] as const) {
        await refusedWritingNothing(t.db, () => moderator.browser.post(`/mod/resources/${resource.id}/${action}`, { _csrf: moderator.csrf, ...fields }), 403, M.staffContentOnlyByAdministrators);
      }
      expect(await t.db.selectFrom('resources').select(['hidden_at', 'removed_at']).where('id', '=', resource.id).executeTakeFirstOrThrow()).toEqual({ hidden_at: null, removed_at: null });
    }
    const colleagues = await createResource(t.db, { sharer: colleague.member });
    expect((await administrator.browser.post(`/mod/resources/${colleagues.id}/hide`, { _csrf: administrator.csrf, reason: REASON })).statusCode).toBe(303);
  });
});

describe('the flaggers of a resource a moderator hides or removes', () => {
  it.each(['hide', 'remove'])('hear the outcome once it is done (%s), without its title, which members may no longer read', async (action) => {
    const title = `Flagged guide ${Math.random().toString(36).slice(2, 8)}`;
    const created = await createResource(t.db, { sharer: sharer.member, title });
    const resource = { ...created, title, firstPostId: await postAt(t.db, created.threadId, 1) };
    const flagger = await someone(t.app, t.db);
    expect((await flagger.browser.post(`/resources/${resource.id}/flag`, { _csrf: flagger.csrf, reason: 'spam' })).statusCode).toBe(303);
    expect((await moderator.browser.post(`/mod/resources/${resource.id}/${action}`, { _csrf: moderator.csrf, reason: REASON })).statusCode).toBe(303);

    const notices = await t.db.selectFrom('notifications').select(['id', 'kind']).where('member_id', '=', flagger.member.id).execute();
    expect(notices.map((row) => row.kind)).toEqual(['flag_outcome']);
    const page = await notificationsPage(flagger.browser);
    expect(page).toContain('Content you flagged is now hidden from members');
    expect(page).not.toContain(escapeLikeHandlebars(resource.title));
    expect(page).not.toContain(escapeLikeHandlebars(REASON));
    expect((await flagger.browser.get(`/p/${resource.firstPostId}`)).statusCode).toBe(404);
    // The sharer still reads their own thread's title and the reason.
    expect(await notificationsPage(sharer.browser)).toContain(escapeLikeHandlebars(resource.title));
  });
});
