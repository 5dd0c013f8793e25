import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertModerationNotifications } from '../../../src/features/moderation/queries/flags.js';
import { buildTestApp, TEST_ORIGIN, type TestApp } from '../../support/app.js';
import { csrfOf, memberWithBrowser, pressPostButton, startThread } from '../../support/discussions.js';
import { createCategory } from '../../support/forum-rows.js';
import { chooseEmail as choose, minutesPass, queuedNotificationEmails, replyTo as reply } from '../../support/notification-email.js';

let t: TestApp;
beforeAll(async () => {
  // Many posts by members in their first day: these tests are about the emails, not posting limits.
  t = await buildTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '10000'} });
});
afterAll(async () => t.close());

const SITE = TEST_ORIGIN;

/** The coalescing window passes and the worker composes what is due (sending nothing). */
async function composeAfter(minutes: number): Promise<void> {
  await minutesPass(t.db, minutes);
  await t.app.mailWorker.composeAll();
}

describe('immediate notification emails', () => {
  it('emails a reply to the thread’s author, once the window has passed, with a link to the exact post and the reason', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Archiving deleted posts' });
    const postId = await reply(blair.browser, threadId, 'We capture them **nightly**.');

    await t.app.mailWorker.composeAll();
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);

    await composeAfter(3);
    const [email, ...more] = await queuedNotificationEmails(t.db, alex.member.email);
    expect(more).toEqual([]);
    expect(email!.subject).toBe('Archiving deleted posts');
    expect(email!.text).toContain(`${SITE}/p/${postId}`);
    expect(email!.text).toContain('We capture them nightly.');
    expect(email!.text).toContain('You got this email because someone replied to your post.');
    expect(email!.text).toContain('Do not forward this email outside government.');
    expect(email!.html).toContain(`href="${SITE}/p/${postId}"`);
    expect(email!.headers.fromName).toBe(`${blair.member.displayName} via Commons`);
    expect(email!.headers.listUnsubscribe).toMatch(new RegExp(`^${SITE}/unsubscribe/${alex.member.id}\\.reply\\.0\\.[A-Za-z0-9_-]{43}$`));
    expect(email!.headers.messageId).toBe(`<notification-${threadId}-1.${alex.member.id}@127.0.0.1>`);
    // The first email about the thread follows none; later ones follow it (email-smtp.test.ts).
    expect(email!.headers.inReplyTo).toBeUndefined();
    // Emailed once: composing again finds nothing new.
    await composeAfter(30);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toHaveLength(1);
  });

  it('makes five quick replies one email, then waits out the interval before the next about that thread', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title: 'Retention schedules' });
    const replies = [];
    for (let n = 1; n <= 5; n += 1) replies.push(await reply(blair.browser, threadId, `Quick reply number ${n}`));

    await composeAfter(3);
    const emails = await queuedNotificationEmails(t.db, alex.member.email);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toBe('Retention schedules');
    for (const [index, postId] of replies.entries()) {
      expect(emails[0]!.text).toContain(`Quick reply number ${index + 1}`);
      expect(emails[0]!.text).toContain(`${SITE}/p/${postId}`);
    }

    // A sixth reply three minutes later waits for the 10-minute interval, and then is emailed alone.
    const sixth = await reply(blair.browser, threadId, 'One more thing');
    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toHaveLength(1);
    await composeAfter(7);
    const after = await queuedNotificationEmails(t.db, alex.member.email);
    expect(after).toHaveLength(2);
    expect(after[1]!.text).toContain(`${SITE}/p/${sixth}`);
    expect(after[1]!.text).not.toContain('Quick reply number');
    expect(after[1]!.headers.messageId).toBe(`<notification-${threadId}-2.${alex.member.id}@127.0.0.1>`);
    expect(after[1]!.subject).toBe(after[0]!.subject);
    expect(after[1]!.headers.inReplyTo).toBe(after[0]!.headers.messageId);
  });

  it('emails each kind with the right link: a reply to a post, a mention, the answer, watched replies and threads, a moderation notice', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const casey = await memberWithBrowser(t.app, t.db);
    const dana = await memberWithBrowser(t.app, t.db);
    const category = await createCategory(t.db);
    await choose(casey.browser, { watched_reply: 'immediately', watched_thread: 'immediately' });
    await t.db.insertInto('category_watches').values({ member_id: casey.member.id, category_id: category.id }).execute();

    const threadId = await startThread(alex.browser, category.slug, { title: 'Kinds of email' });
    await t.db.insertInto('thread_watches').values({ member_id: casey.member.id, thread_id: threadId, level: 'watching' }).onConflict((oc) => oc.doNothing()).execute();
    const blairsReply = await reply(blair.browser, threadId, 'Thanks for asking.');
    const alexsReply = await reply(alex.browser, threadId, 'Could you say more?', blairsReply);
    // After Blair's reply: replying moves Blair's read position past every post before it.
    const mention = await reply(dana.browser, threadId, `Over to you, @${blair.member.handle}`);
    const pressed = await pressPostButton(alex.browser, blairsReply, 'answer', { answer: 'yes' }, await csrfOf(alex.browser));
    expect(pressed.statusCode, pressed.body).toBe(303);
    await insertModerationNotifications(t.db, { memberIds: [alex.member.id], kind: 'moderation', actorId: null, threadId, postId: alexsReply });

    await composeAfter(3);
    const blairs = await queuedNotificationEmails(t.db, blair.member.email);
    expect(blairs).toHaveLength(1);
    expect(blairs[0]!.text).toContain(`mentioned you in “Kinds of email”`);
    expect(blairs[0]!.text).toContain(`${SITE}/p/${mention}`);
    expect(blairs[0]!.text).toContain(`replied to your post in “Kinds of email”`);
    expect(blairs[0]!.text).toContain(`${SITE}/p/${alexsReply}`);
    expect(blairs[0]!.text).toContain(`marked your reply as the answer in “Kinds of email”`);
    expect(blairs[0]!.text).toContain(`${SITE}/p/${blairsReply}`);
    for (const reason of ['someone mentioned you', 'someone replied to your post', 'your reply was marked as the answer']) expect(blairs[0]!.text).toContain(`because ${reason}.`);

    const caseys = await queuedNotificationEmails(t.db, casey.member.email);
    expect(caseys).toHaveLength(1);
    expect(caseys[0]!.text).toContain(`started a thread in ${category.name}, which you watch: “Kinds of email”`);
    expect(caseys[0]!.text).toContain(`replied in a thread you watch: “Kinds of email”`);

    const alexs = await queuedNotificationEmails(t.db, alex.member.email);
    expect(alexs).toHaveLength(1);
    expect(alexs[0]!.text).toContain('A moderator took action on your post in “Kinds of email”');
    expect(alexs[0]!.text).toContain(`${SITE}/notifications`);
    expect(alexs[0]!.text).not.toContain('Could you say more?');
    expect(alexs[0]!.text).toContain('because a moderator acted on your post or on something you flagged.');
  });
});

describe('who an email is from', () => {
  it('names no moderator: a moderation notice and a flag’s outcome come from the site alone', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const moderator = await memberWithBrowser(t.app, t.db);
    await t.db.updateTable('members').set({ role: 'moderator' }).where('id', '=', moderator.member.id).execute();
    const threadId = await startThread(alex.browser, 'questions', { title: 'Moderated here' });
    const alexsReply = await reply(alex.browser, threadId, 'A reply a moderator acts on');
    const blairsReply = await reply(blair.browser, threadId, 'A reply Alex flagged');
    await insertModerationNotifications(t.db, { memberIds: [alex.member.id], kind: 'moderation', actorId: moderator.member.id, threadId, postId: alexsReply });
    await insertModerationNotifications(t.db, { memberIds: [blair.member.id], kind: 'flag_outcome', actorId: moderator.member.id, threadId, postId: blairsReply });

    await composeAfter(3);
    for (const member of [alex, blair]) {
      const emails = await queuedNotificationEmails(t.db, member.member.email);
      expect(emails).toHaveLength(1);
      expect(emails[0]!.headers.fromName).toBe('Commons');
      for (const part of [emails[0]!.subject, emails[0]!.text, emails[0]!.html]) expect(part).not.toContain(moderator.member.displayName);
    }
  });
});

describe('what is not emailed', () => {
  async function aReplyTo(title: string) {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const threadId = await startThread(alex.browser, 'questions', { title });
    const postId = await reply(blair.browser, threadId, `A reply about ${title}`);
    return { alex, blair, threadId, postId };
  }

  it('sends nothing about a notification the member has already opened', async () => {
    const { alex } = await aReplyTo('Read already');
    await alex.browser.post('/notifications/read-all', { _csrf: await csrfOf(alex.browser) });
    expect(await t.db.selectFrom('notifications').select('id').where('member_id', '=', alex.member.id).where('read_at', 'is', null).execute()).toEqual([]);
    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);
  });

  it('sends nothing about a post the member has since read in its thread, and still sends what they have not reached', async () => {
    const { alex, blair, threadId } = await aReplyTo('Read in the thread');
    const redirect = await alex.browser.get(`/t/${threadId}`);
    expect(redirect.statusCode).toBe(303);
    expect((await alex.browser.get(String(redirect.headers.location))).statusCode).toBe(200);
    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);

    const later = await reply(blair.browser, threadId, 'Posted after Alex read the thread');
    await composeAfter(10);
    const [email, ...more] = await queuedNotificationEmails(t.db, alex.member.email);
    expect(more).toEqual([]);
    expect(email!.text).toContain(`${SITE}/p/${later}`);
    expect(email!.text).not.toContain('A reply about Read in the thread');
  });

  it('sends nothing about a post hidden, a post deleted, or a thread moved to a category they cannot see, since', async () => {
    const hidden = await aReplyTo('Hidden since');
    await t.db.updateTable('posts').set({ hidden_at: new Date() }).where('id', '=', hidden.postId).execute();
    const deleted = await aReplyTo('Deleted since');
    await t.db.updateTable('posts').set({ deleted_at: new Date() }).where('id', '=', deleted.postId).execute();
    const moved = await aReplyTo('Moved since');
    const staffOnly = await createCategory(t.db, { visibleTo: 'moderators' });
    await t.db.updateTable('threads').set({ category_id: staffOnly.id }).where('id', '=', moved.threadId).execute();

    await composeAfter(3);
    for (const { alex } of [hidden, deleted, moved]) expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);
    // Nothing was marked emailed: were the post shown again, its notification would still be emailed.
    await t.db.updateTable('posts').set({ hidden_at: null }).where('id', '=', hidden.postId).execute();
    await hidden.blair.browser.get('/');
    await reply(hidden.blair.browser, hidden.threadId, 'And another');
    await composeAfter(3);
    const [email] = await queuedNotificationEmails(t.db, hidden.alex.member.email);
    expect(email!.subject).toBe('Hidden since');
  });

  it('sends nothing about a post held for a moderator since', async () => {
    const held = await aReplyTo('Held since');
    await t.db.updateTable('posts').set({ held_at: new Date(), held_reason: 'repeated_text' }).where('id', '=', held.postId).execute();
    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, held.alex.member.email)).toEqual([]);
  });

  it('sends nothing to a deactivated member, or to a suspended one until the suspension ends', async () => {
    const { alex } = await aReplyTo('Gone away');
    await t.db.updateTable('members').set({ deactivated_at: new Date() }).where('id', '=', alex.member.id).execute();
    const suspended = await aReplyTo('Suspended for now');
    await t.db.updateTable('members').set({ suspended_until: new Date(Date.now() + 86_400_000), suspension_reason: 'Testing' }).where('id', '=', suspended.alex.member.id).execute();
    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);
    expect(await queuedNotificationEmails(t.db, suspended.alex.member.email)).toEqual([]);

    await t.db.updateTable('members').set({ suspended_until: new Date(Date.now() - 1000) }).where('id', '=', suspended.alex.member.id).execute();
    await reply(suspended.blair.browser, suspended.threadId, 'After the suspension');
    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, suspended.alex.member.email)).toHaveLength(1);
  });

  it('sends nothing for a kind set to never, and nothing straight away for one in the digest', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    await choose(alex.browser, { reply: 'never', mention: 'digest' });
    const threadId = await startThread(blair.browser, 'questions', { title: 'Never and digest', body: `What do you think, @${alex.member.handle}?` });
    const alexsThread = await startThread(alex.browser, 'questions', { title: 'Alex asks' });
    await reply(blair.browser, alexsThread, 'An answer to Alex');
    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);
    expect(await t.db.selectFrom('notifications').select('kind').where('member_id', '=', alex.member.id).where('thread_id', 'in', [threadId, alexsThread]).orderBy('kind').execute()).toEqual([{ kind: 'mention' }, { kind: 'reply' }]);
  });

  it('sends nothing for a kind turned to never after the notification was made', async () => {
    const { alex } = await aReplyTo('Changed their mind');
    await choose(alex.browser, { reply: 'never' });
    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);
  });
});

describe('an email that cannot be composed', () => {
  it('is logged and tried again later, and the rest of the batch is still sent', async () => {
    const alex = await memberWithBrowser(t.app, t.db);
    const blair = await memberWithBrowser(t.app, t.db);
    const casey = await memberWithBrowser(t.app, t.db);
    // A zone the settings form would refuse makes composing Alex's email fail.
    await t.db.updateTable('members').set({ time_zone: 'Mars/Olympus_Mons' }).where('id', '=', alex.member.id).execute();
    const alexsThread = await startThread(alex.browser, 'questions', { title: 'Alex’s failing email' });
    await reply(blair.browser, alexsThread, 'A reply Alex cannot be sent yet');
    const caseysThread = await startThread(casey.browser, 'questions', { title: 'Casey’s email' });
    await reply(blair.browser, caseysThread, 'A reply Casey is sent');

    await composeAfter(3);
    expect(await queuedNotificationEmails(t.db, casey.member.email)).toHaveLength(1);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);
    expect(t.logs.some((line) => line.msg === `the notification email to member ${alex.member.id} about thread ${alexsThread} could not be composed`)).toBe(true);
    expect(await t.db.selectFrom('notifications').select('emailed_at').where('member_id', '=', alex.member.id).execute()).toEqual([{ emailed_at: null }]);

    // Not on the next poll, but once its retry time has come, and by then the zone is fixed.
    await t.db.updateTable('members').set({ time_zone: null }).where('id', '=', alex.member.id).execute();
    await t.app.mailWorker.composeAll();
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toEqual([]);
    await composeAfter(10);
    expect(await queuedNotificationEmails(t.db, alex.member.email)).toHaveLength(1);
  });
});
