import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_MESSAGES as M } from '../../../src/features/moderation/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { postAt, postReply, replyFormOf, startThread } from '../../support/discussions.js';
import { editFields, escapeLikeHandlebars, guideFields, resourceIdFrom, shareThroughForm } from '../../support/resources.js';
import { moderationRows, refusedWritingNothing, someone, type Someone } from './support.js';

let t: TestApp;
let moderator: Someone;
beforeAll(async () => {
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  moderator = await someone(t.app, t.db, 'moderator');
});
afterAll(async () => t.close());

async function warn(by: Someone, memberId: number | string, fields: Record<string, string>, query = '') {
  return by.browser.post(`/mod/members/${memberId}/warn${query}`, { _csrf: by.csrf, ...fields });
}

describe('POST /mod/members/:id/warn', () => {
  it('warns a member about their post: one warning, its audit row and a moderation notification, in one go', async () => {
    const author = await someone(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions');
    const postId = await postAt(t.db, threadId, 1);
    const form = await moderator.browser.get(`/mod/members/${author.member.id}/warn?post=${postId}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`name="post" value="${postId}"`);
    const response = await warn(moderator, author.member.id, { reason: 'Please keep to the topic.', post: String(postId) });
    expect(response.statusCode).toBe(303);
    const warning = await t.db.selectFrom('member_warnings').selectAll().where('member_id', '=', author.member.id).executeTakeFirstOrThrow();
    expect(warning).toMatchObject({ moderator_id: moderator.member.id, reason: 'Please keep to the topic.', post_id: postId, acknowledged_at: null });
    const audit = await t.db.selectFrom('audit_events').selectAll().where('action', '=', 'member.warned').where('subject_member_id', '=', author.member.id).executeTakeFirstOrThrow();
    expect(audit.actor_member_id).toBe(moderator.member.id);
    expect(audit.details).toMatchObject({ reason: 'Please keep to the topic.', postId });
    const notice = await t.db.selectFrom('notifications').selectAll().where('member_id', '=', author.member.id).where('kind', '=', 'moderation').executeTakeFirstOrThrow();
    expect(notice).toMatchObject({ thread_id: threadId, post_id: postId });
    const notifications = await author.browser.get('/notifications');
    expect(notifications.statusCode).toBe(200);
    expect(notifications.body).toContain('took action on your post in');
    expect(notifications.body).not.toContain(escapeLikeHandlebars(moderator.member.displayName));
  });

  it('refuses every posting path until the member acknowledges, with a link to the warning; then lets them post', async () => {
    const author = await someone(t.app, t.db);
    const threadId = await startThread(author.browser, 'questions');
    const hidden = await replyFormOf(author.browser, threadId);
    const newThread = await author.browser.openForm('/c/questions/new');
    expect((await warn(moderator, author.member.id, { reason: 'Mind the code of conduct.' })).statusCode).toBe(303);
    expect(await t.db.selectFrom('notifications').select('id').where('member_id', '=', author.member.id).where('kind', '=', 'moderation').execute()).toEqual([]);

    const postsBefore = Number((await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const reply = await author.browser.post(`/t/${threadId}/reply`, { ...hidden, body: 'One more thing.' });
    expect(reply.statusCode).toBe(403);
    expect(reply.body).toContain(escapeLikeHandlebars(M.mustAcknowledge));
    expect(reply.body).toContain('href="/warnings"');
    const thread = await author.browser.post('/c/questions/new', { ...newThread, title: 'Another question here', body: 'And its body.' });
    expect(thread.statusCode).toBe(403);
    const firstPost = await postAt(t.db, threadId, 1);
    const editForm = await author.browser.openForm(`/p/${firstPost}/edit`);
    const edit = await author.browser.post(`/p/${firstPost}/edit`, { ...editForm, title: 'How do you archive social media posts now?', body: 'Edited body.' });
    expect(edit.statusCode).toBe(403);
    expect(Number((await t.db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(postsBefore);
    const othersPost = await postAt(t.db, await startThread(moderator.browser, 'questions'), 1);
    const flag = await author.browser.post(`/p/${othersPost}/flag`, { _csrf: author.csrf, reason: 'spam', note: '' });
    expect(flag.statusCode).toBe(403);
    expect(await t.db.selectFrom('flags').select('id').where('flagger_id', '=', author.member.id).execute()).toEqual([]);

    const notice = await author.browser.get('/warnings');
    expect(notice.body).toContain('Mind the code of conduct.');
    const warning = await t.db.selectFrom('member_warnings').select('id').where('member_id', '=', author.member.id).executeTakeFirstOrThrow();
    expect((await author.browser.post(`/warnings/${warning.id}/acknowledge`, { _csrf: author.csrf })).statusCode).toBe(303);
    // Pressed twice: still one acknowledgement on the record.
    expect((await author.browser.post(`/warnings/${warning.id}/acknowledge`, { _csrf: author.csrf })).statusCode).toBe(303);
    expect(await t.db.selectFrom('audit_events').select('id').where('action', '=', 'warning.acknowledged').where('subject_member_id', '=', author.member.id).execute()).toHaveLength(1);
    expect((await postReply(author.browser, threadId, { body: 'Understood, thank you.' })).statusCode).toBe(303);
  });

  it('refuses sharing and editing a resource until acknowledged; a warning about a resource points its notification at the resource\'s thread', async () => {
    const sharer = await someone(t.app, t.db);
    const shared = await shareThroughForm(sharer.browser, guideFields(sharer.member.agencyId));
    expect(shared.statusCode, shared.body.slice(0, 500)).toBe(303);
    const resourceId = resourceIdFrom(shared.headers.location);
    expect((await warn(moderator, sharer.member.id, { reason: 'Cite your sources.', resource: String(resourceId) })).statusCode).toBe(303);
    const resource = await t.db.selectFrom('resources').select('thread_id').where('id', '=', resourceId).executeTakeFirstOrThrow();
    const notice = await t.db.selectFrom('notifications').select(['thread_id', 'post_id']).where('member_id', '=', sharer.member.id).where('kind', '=', 'moderation').executeTakeFirstOrThrow();
    expect(notice.thread_id).toBe(resource.thread_id);
    expect(notice.post_id).toBe(await postAt(t.db, resource.thread_id, 1));

    const before = Number((await t.db.selectFrom('resources').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const again = await shareThroughForm(sharer.browser, guideFields(sharer.member.agencyId, { title: 'Another guide to archiving' }));
    expect(again.statusCode).toBe(403);
    expect(again.body).toContain(escapeLikeHandlebars(M.mustAcknowledge));
    const edit = await sharer.browser.post(`/resources/${resourceId}/edit`, await editFields(sharer.browser, resourceId, { title: 'Archiving social media posts, revised' }));
    expect(edit.statusCode).toBe(403);
    expect(Number((await t.db.selectFrom('resources').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(before);
    expect((await t.db.selectFrom('resources').select('title').where('id', '=', resourceId).executeTakeFirstOrThrow()).title).toBe('Archiving social media posts');
  });

  it('does not let a member acknowledge someone else\'s warning', async () => {
    const warned = await someone(t.app, t.db);
    const other = await someone(t.app, t.db);
    await warn(moderator, warned.member.id, { reason: 'A private matter.' });
    const warning = await t.db.selectFrom('member_warnings').select('id').where('member_id', '=', warned.member.id).executeTakeFirstOrThrow();
    await refusedWritingNothing(t.db, () => other.browser.post(`/warnings/${warning.id}/acknowledge`, { _csrf: other.csrf }), 404);
    expect((await other.browser.get('/warnings')).body).not.toContain('A private matter.');
  });

  it('shows a reason with script tags escaped, to the member and on the log', async () => {
    const member = await someone(t.app, t.db);
    await warn(moderator, member.member.id, { reason: '<script>alert(1)</script> stop' });
    const page = await member.browser.get('/warnings');
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; stop');
    const log = await moderator.browser.get(`/mod/log?member=${member.member.id}`);
    expect(log.body).not.toContain('<script>alert(1)');
  });

  it('takes a double submit as one warning', async () => {
    const member = await someone(t.app, t.db);
    for (let i = 0; i < 2; i += 1) expect((await warn(moderator, member.member.id, { reason: 'Once only.' })).statusCode).toBe(303);
    expect(await t.db.selectFrom('member_warnings').select('id').where('member_id', '=', member.member.id).execute()).toHaveLength(1);
  });

  describe('refuses bad input and writes nothing', () => {
    let member: Someone;
    beforeAll(async () => {
      member = await someone(t.app, t.db);
    });

    it('a missing, whitespace-only or overlong reason (422, the field named)', async () => {
      await refusedWritingNothing(t.db, () => warn(moderator, member.member.id, {}), 422, M.memberReasonRequired);
      await refusedWritingNothing(t.db, () => warn(moderator, member.member.id, { reason: ' \u200B ' }), 422, M.memberReasonRequired);
      await refusedWritingNothing(t.db, () => warn(moderator, member.member.id, { reason: 'x'.repeat(1001) }), 422, 'Reason must be at most 1,000 characters');
    });

    it('a NUL byte, and an unexpected field', async () => {
      await refusedWritingNothing(t.db, () => warn(moderator, member.member.id, { reason: 'bad\0reason' }), 422, 'Reason must not contain NUL characters');
      await refusedWritingNothing(t.db, () => warn(moderator, member.member.id, { reason: 'ok', role: 'administrator' }), 422, PAGE_MESSAGES.unexpectedField);
    });

    it('an id over bigint, not a number, or no one (404)', async () => {
      await refusedWritingNothing(t.db, () => warn(moderator, '99999999999999999999', { reason: 'x' }), 404);
      await refusedWritingNothing(t.db, () => warn(moderator, '1.5', { reason: 'x' }), 404);
      await refusedWritingNothing(t.db, () => warn(moderator, '9007199254740990', { reason: 'x' }), 404);
      expect((await moderator.browser.get('/mod/members/99999999999999999999/warn')).statusCode).toBe(404);
    });

    it('a post that does not exist, is someone else\'s, or both a post and a resource', async () => {
      const other = await someone(t.app, t.db);
      const othersPost = await postAt(t.db, await startThread(other.browser, 'questions'), 1);
      await refusedWritingNothing(t.db, () => warn(moderator, member.member.id, { reason: 'x', post: '9007199254740990' }), 404, M.unknownContent);
      await refusedWritingNothing(t.db, () => warn(moderator, member.member.id, { reason: 'x', post: String(othersPost) }), 404, M.unknownContent);
      await refusedWritingNothing(t.db, () => warn(moderator, member.member.id, { reason: 'x', post: '99999999999999999999' }), 400, M.badContentId);
      await refusedWritingNothing(t.db, () => warn(moderator, member.member.id, { reason: 'x', post: '1', resource: '1' }), 400, M.oneContentOnly);
      expect((await moderator.browser.get(`/mod/members/${member.member.id}/warn?post=abc`)).statusCode).toBe(400);
    });

    it('the wrong role: a member, themselves, and a moderator warning a moderator or an administrator', async () => {
      const plain = await someone(t.app, t.db);
      await refusedWritingNothing(t.db, () => warn(plain, member.member.id, { reason: 'x' }), 403, PAGE_MESSAGES.moderatorsOnly);
      await refusedWritingNothing(t.db, () => warn(moderator, moderator.member.id, { reason: 'x' }), 403, M.notYourself);
      const colleague = await someone(t.app, t.db, 'moderator');
      const administrator = await someone(t.app, t.db, 'administrator');
      await refusedWritingNothing(t.db, () => warn(moderator, colleague.member.id, { reason: 'x' }), 403, M.staffOnlyByAdministrators);
      await refusedWritingNothing(t.db, () => warn(moderator, administrator.member.id, { reason: 'x' }), 403, M.staffOnlyByAdministrators);
      expect((await warn(administrator, colleague.member.id, { reason: 'Administrators may.' })).statusCode).toBe(303);
    });

    it('signed out, and without a form token', async () => {
      const before = await moderationRows(t.db);
      expect((await moderator.browser.post(`/mod/members/${member.member.id}/warn`, { reason: 'x' })).statusCode).toBe(403);
      expect(await moderationRows(t.db)).toEqual(before);
    });
  });
});
