import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_MESSAGES } from '../../../src/features/admin/messages.js';
import { FORMER_MEMBER } from '../../../src/features/members/names.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { postReply, startThread, threadPageOf } from '../../support/discussions.js';
import { isSignedIn } from '../../support/members.js';
import { escapeLikeHandlebars, guideFields, shareThroughForm } from '../../support/resources.js';
import { refusedWritingNothing, someone, type Someone } from './support.js';

let t: TestApp;
let administrator: Someone;
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  administrator = await someone(t.app, t.db, 'administrator');
});
afterAll(async () => t.close());

describe('POST /admin/members/:id/deactivate and /reactivate', () => {
  it('deactivates after a confirm page: sessions end, posts stay under "Former member" on thread pages, lists and notifications, and reactivating brings the name back', async () => {
    const leaver = await someone(t.app, t.db);
    const reader = await someone(t.app, t.db);
    const threadId = await startThread(reader.browser, 'questions', { title: 'Who keeps the records register?' });
    expect((await postReply(leaver.browser, threadId, { body: 'Our records team does.' })).statusCode).toBe(303);
    expect((await shareThroughForm(leaver.browser, guideFields(leaver.member.agencyId))).statusCode).toBe(303);
    // The library kept as rendered before the change must not go on naming them.
    expect((await reader.browser.get('/resources')).body).toContain(escapeLikeHandlebars(leaver.member.displayName));

    const confirm = await administrator.browser.get(`/admin/members/${leaver.member.id}/deactivate`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(`Deactivate ${escapeLikeHandlebars(leaver.member.displayName)}`);
    const response = await administrator.browser.post(`/admin/members/${leaver.member.id}/deactivate`, { _csrf: administrator.csrf });
    expect(response.statusCode).toBe(303);
    expect(await isSignedIn(leaver.browser)).toBe(false);
    const audit = await t.db.selectFrom('audit_events').selectAll().where('action', '=', 'member.deactivated').where('subject_member_id', '=', leaver.member.id).executeTakeFirstOrThrow();
    expect(audit.actor_member_id).toBe(administrator.member.id);

    const page = await threadPageOf(reader.browser, threadId);
    expect(page).toContain('Our records team does.');
    expect(page).toContain(FORMER_MEMBER);
    expect(page).not.toContain(leaver.member.displayName);
    const notifications = await reader.browser.get('/notifications');
    expect(notifications.body).not.toContain(leaver.member.displayName);
    const library = await reader.browser.get('/resources');
    expect(library.body).not.toContain(leaver.member.displayName);
    expect(library.body).toContain(FORMER_MEMBER);
    const list = await reader.browser.get('/c/questions');
    expect(list.body).not.toContain(leaver.member.displayName);

    // Pressed again: said, and nothing more written.
    await refusedWritingNothing(t.db, () => administrator.browser.post(`/admin/members/${leaver.member.id}/deactivate`, { _csrf: administrator.csrf }), 409, ADMIN_MESSAGES.alreadyDeactivated(leaver.member.canonicalEmail));

    expect((await administrator.browser.post(`/admin/members/${leaver.member.id}/reactivate`, { _csrf: administrator.csrf })).statusCode).toBe(303);
    expect(await threadPageOf(reader.browser, threadId)).toContain(escapeLikeHandlebars(leaver.member.displayName));
  });

  it('refuses an unknown member, an id over bigint, a moderator, and a POST without a form token, writing nothing', async () => {
    const moderator = await someone(t.app, t.db, 'moderator');
    const member = await someone(t.app, t.db);
    await refusedWritingNothing(t.db, () => administrator.browser.post('/admin/members/9007199254740990/deactivate', { _csrf: administrator.csrf }), 404);
    await refusedWritingNothing(t.db, () => administrator.browser.post('/admin/members/99999999999999999999/deactivate', { _csrf: administrator.csrf }), 404);
    await refusedWritingNothing(t.db, () => moderator.browser.post(`/admin/members/${member.member.id}/deactivate`, { _csrf: moderator.csrf }), 403, PAGE_MESSAGES.administratorsOnly);
    await refusedWritingNothing(t.db, () => administrator.browser.post(`/admin/members/${member.member.id}/deactivate`, {}), 403);
  });

  it('refuses an administrator deactivating themselves (409, said on the page), writing nothing and leaving them signed in', async () => {
    const form = await administrator.browser.openForm(`/admin/members/${administrator.member.id}/deactivate`);
    await refusedWritingNothing(t.db, () => administrator.browser.post(`/admin/members/${administrator.member.id}/deactivate`, { _csrf: form._csrf! }), 409, ADMIN_MESSAGES.notYourself);
    expect((await t.db.selectFrom('members').select('deactivated_at').where('id', '=', administrator.member.id).executeTakeFirstOrThrow()).deactivated_at).toBeNull();
    expect(await isSignedIn(administrator.browser)).toBe(true);
  });
});
