import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { APPROVAL_MESSAGES, MODERATION_MESSAGES as M, THREAD_ACTION_MESSAGES } from '../../src/features/moderation/messages.js';
import { DISCUSSION_MESSAGES } from '../../src/features/discussions/messages.js';
import { injectAt, pageCheck, postWith, signInOnPage, useBrowserSession } from '../support/browser.js';
import { postIdFrom, postReply, startThread } from '../support/discussions.js';
import { createMember, signIn, type TestMember } from '../support/members.js';
import { askToJoin, emailedPath } from '../support/membership.js';
import { createResource } from '../support/resources.js';

// Issue 10: members flag a post until it hides, a moderator reviews it from the queue, warns and
// suspends its author; a moderator locks, moves and splits a thread; a member waits for approval.
// axe on every /mod page in each state it has (and the members' side of moderation), at a
// desktop and a phone width. Approvals are on, and a member's first post waits, so those pages
// have something to show.
const session = useBrowserSession({ MEMBER_APPROVAL_REQUIRED: 'true', FIRST_POSTS_HELD: '1', RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '100' });
const check = pageCheck('moderation');

/** The flash message the last action left. */
async function expectNotice(page: Page, text: string): Promise<void> {
  await expect.poll(() => page.locator('.notice[role="status"]').first().textContent()).toContain(text);
}

/** A member signed in through app.inject at the live site's origin, to set a scene quickly. */
async function injectedAs(member: TestMember) {
  const browser = injectAt(session.site);
  expect((await signIn(browser, member.email, member.password)).statusCode).toBe(303);
  return browser;
}

/** A day `days` ahead, as a date field takes it. */
function daysAhead(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

describe.each([1280, 320])('moderation at %i px', (width) => {
  it('three members flag a post until it hides; a moderator hides it with a reason the author reads, then warns and suspends the author', { timeout: 240_000 }, async () => {
    const { db } = session.site.t;
    const moderator = await createMember(db, { role: 'moderator' });
    const author = await createMember(db);
    const flaggers = [await createMember(db), await createMember(db), await createMember(db)];
    const title = `Archiving rules for chat (${width})`;
    const threadId = await startThread(await injectedAs(moderator), 'questions', { title, body: 'Which chat messages count as records?' });

    // The author's first reply waits for approval (FIRST_POSTS_HELD=1); the moderator lets it stand.
    const a = await session.openPage(width, 900);
    await signInOnPage(a, session.site, author);
    await a.goto(session.site.url(`/t/${threadId}`));
    const threadUrl = a.url();
    const text = `Buy our archiving product today (${width})`;
    await a.getByRole('textbox', { name: 'Reply', exact: true }).fill(text);
    await a.getByRole('button', { name: 'Post reply' }).click();
    await expectNotice(a, DISCUSSION_MESSAGES.postHeld);
    expect(await postWith(a, text).getByText(APPROVAL_MESSAGES.heldMarker).count()).toBe(1);

    const m = await session.openPage(width, 900);
    await signInOnPage(m, session.site, moderator);
    await m.goto(session.site.url('/mod'));
    const held = m.getByRole('listitem').filter({ has: m.getByRole('heading', { level: 3, name: `Reply in ${title}` }) });
    expect(await held.getByText(text).count()).toBe(1);
    await check(m, 'approvals-held-post', width);
    await held.getByRole('button', { name: `Approve the post by ${author.displayName}` }).click();
    await expectNotice(m, APPROVAL_MESSAGES.postApproved);
    expect(await m.getByText('No members are waiting for approval.').count()).toBe(1);
    expect(await m.getByText('No posts are waiting for approval.').count()).toBe(1);
    await check(m, 'approvals-empty', width);

    // Made only now: sharing a resource starts its discussion, which would count as a first post let stand.
    const resource = await createResource(db, { sharer: author, title: `A guide to buying our product (${width})` });

    // Three members flag it through the Flag form; the first sends it empty once.
    for (const [index, flagger] of flaggers.entries()) {
      const f = await session.openPage(width, 900);
      await signInOnPage(f, session.site, flagger);
      await f.goto(threadUrl);
      expect(await postWith(f, text).count()).toBe(1);
      await postWith(f, text).getByRole('link', { name: `Flag the post by ${author.displayName}` }).click();
      await f.getByRole('heading', { level: 1, name: 'Flag for a moderator' }).waitFor();
      if (index === 0) {
        await check(f, 'flag', width);
        await f.getByRole('button', { name: 'Flag it' }).click();
        await expect.poll(() => f.getByRole('alert').textContent()).toContain(M.chooseReason);
        await check(f, 'flag-errors', width);
      }
      await f.getByLabel('Why are you flagging it?').selectOption('spam');
      await f.getByLabel('Note for the moderators').fill('Advertising, not an answer.');
      await f.getByRole('button', { name: 'Flag it' }).click();
      await expectNotice(f, M.flagged);
      // The first also flags the author's resource, so the queue holds both kinds of item.
      if (index === 0) {
        await f.goto(session.site.url(`/resources/${resource.id}/flag`));
        await f.getByLabel('Why are you flagging it?').selectOption('off_topic');
        await f.getByRole('button', { name: 'Flag it' }).click();
        await expectNotice(f, M.flagged);
      }
      // Below the threshold the post stays; at the third flag it hides from members.
      await f.goto(threadUrl);
      expect(await postWith(f, text).count()).toBe(index < 2 ? 1 : 0);
      if (index === 2) {
        expect(await f.getByText('This post is hidden until a moderator reviews it.').count()).toBe(1);
        await check(f, 'thread-hidden-by-flags', width);
        await f.goto(session.site.url('/settings/moderation'));
        await f.getByText('No moderator has taken any action on your account or your content.').waitFor();
        await check(f, 'own-record-empty', width);
      }
    }

    // The moderator reviews it in the queue, with its three flags, and hides it with a reason.
    await m.goto(session.site.url('/mod'));
    const item = m.getByRole('article', { name: `Post by ${author.displayName} in “${title}”` });
    expect(await item.getByRole('listitem').filter({ hasText: 'Spam' }).count()).toBe(3);
    expect(await item.getByText('Hidden by flags').count()).toBe(1);
    const resourceItem = m.getByRole('article', { name: `Resource “${resource.title}”` });
    expect(await resourceItem.getByRole('listitem').filter({ hasText: 'Off-topic' }).count()).toBe(1);
    await check(m, 'queue', width);
    // Hiding without a reason is refused by the server (not the browser), on the post's hide page.
    await item.getByRole('button', { name: 'Hide the post' }).click();
    await expect.poll(() => m.getByRole('alert').textContent()).toContain(M.reasonRequired);
    await check(m, 'post-hide-errors', width);
    await m.goto(session.site.url('/mod'));
    const reason = 'Advertising is not allowed: see the community guidelines.';
    await item.getByLabel('Reason shown to the author').fill(reason);
    await item.getByRole('button', { name: 'Hide the post' }).click();
    await expectNotice(m, M.postHidden);
    // The resource is hidden from its own page, refused without a reason first.
    await resourceItem.getByRole('link', { name: 'Hide the resource' }).click();
    await m.getByRole('button', { name: 'Hide the resource' }).click();
    await expect.poll(() => m.getByRole('alert').textContent()).toContain(M.reasonRequired);
    await check(m, 'resource-hide-errors', width);
    await m.getByLabel('Reason given to the member who shared it').fill('Selling a product is not sharing practice.');
    await m.getByRole('button', { name: 'Hide the resource' }).click();
    await expectNotice(m, M.resourceHidden);
    expect(await m.getByText(M.queueEmpty).count()).toBe(1);
    await check(m, 'queue-empty', width);

    // The post's other moderation pages, looked at and not sent.
    const postId = Number((await postWith(a, text).getAttribute('id'))!.replace('post-', ''));
    await m.goto(session.site.url(`/mod/posts/${postId}/edit`));
    await check(m, 'post-edit', width);
    await m.goto(session.site.url(`/mod/posts/${postId}/delete`));
    await check(m, 'post-delete', width);

    // The author reads the reason on their post, and in their own record.
    await a.goto(threadUrl);
    expect(await a.locator(`#post-${postId}`).getByText(`Reason: ${reason}`).count()).toBe(1);
    await check(a, 'thread-author-sees-reason', width);
    await a.goto(session.site.url('/settings/moderation'));
    expect(await a.getByRole('row').filter({ hasText: reason }).count()).toBe(1);
    expect(await a.getByRole('cell', { name: 'Post approved' }).count()).toBe(1);
    await check(a, 'own-record', width);

    // The moderator warns the author about the post (refused empty first); the author acknowledges.
    await m.goto(session.site.url(`/mod/members/${author.id}/warn?post=${postId}`));
    await check(m, 'warn', width);
    await m.getByRole('button', { name: 'Send the warning' }).click();
    await expect.poll(() => m.getByRole('alert').textContent()).toContain(M.memberReasonRequired);
    await check(m, 'warn-errors', width);
    await m.getByLabel('Reason', { exact: true }).fill('Please do not advertise products here.');
    await m.getByRole('button', { name: 'Send the warning' }).click();
    await expectNotice(m, M.warned(author.displayName));
    await check(m, 'suspend', width);

    await a.goto(session.site.url('/warnings'));
    expect(await a.getByText('Please do not advertise products here.').count()).toBe(1);
    await check(a, 'warnings', width);
    await a.getByRole('button', { name: 'I have read this' }).click();
    await expectNotice(a, M.acknowledged);
    expect(await a.getByText('You have no warnings to read.').count()).toBe(1);
    await check(a, 'warnings-none', width);

    // Suspending: refused without a date, then until a day ahead, then lifted.
    await m.getByRole('button', { name: `Suspend ${author.displayName}` }).click();
    await expect.poll(() => m.getByRole('alert').textContent()).toContain(M.endDateRequired);
    await check(m, 'suspend-errors', width);
    await m.getByLabel('Suspended until').fill(daysAhead(10));
    await m.getByLabel('Reason', { exact: true }).fill('Advertising again after a warning.');
    await m.getByRole('button', { name: `Suspend ${author.displayName}` }).click();
    await m.getByRole('heading', { level: 2, name: 'Suspended' }).waitFor();
    await check(m, 'suspend-suspended', width);
    await m.getByRole('button', { name: 'Lift the suspension now' }).click();
    await expectNotice(m, M.unsuspended(author.displayName));

    // The log has every step; a filter that matches nothing says so.
    await m.goto(session.site.url(`/mod/log?member=${author.id}`));
    for (const action of ['post.hidden', 'member.warned', 'member.suspended']) {
      expect(await db.selectFrom('audit_events').select('id').where('action', '=', action).where('subject_member_id', '=', author.id).execute(), action).toHaveLength(1);
    }
    expect(await m.getByRole('row').filter({ hasText: reason }).count()).toBe(1);
    await check(m, 'log', width);
    await m.goto(session.site.url(`/mod/log?member=${flaggers[0]!.id}&action=member.suspended`));
    expect(await m.getByText('No actions match.').count()).toBe(1);
    await check(m, 'log-empty', width);
    // A filter the log refuses says why on the log page, at the field.
    await m.goto(session.site.url(`/mod/log?actor=${author.id}`));
    expect(await m.getByRole('alert').textContent()).toContain(M.unknownActor);
    expect(await m.getByLabel('Moderator').getAttribute('aria-invalid')).toBe('true');
    await check(m, 'log-refused-filter', width);
  });

  it('a moderator locks, moves and splits a thread from the thread page and /mod/threads, and meets a stale form', { timeout: 180_000 }, async () => {
    const { db } = session.site.t;
    const moderator = await createMember(db, { role: 'moderator' });
    const other = await createMember(db, { role: 'moderator' });
    // Members' thread and replies (a moderator acts only on members' content); each member's first post waits, and is let stand.
    const asker = await injectedAs(await createMember(db));
    const replier = await injectedAs(await createMember(db));
    const staff = await injectedAs(moderator);
    const approve = async (postId: number) => {
      const { _csrf } = await staff.openForm('/mod');
      expect((await staff.post(`/mod/approvals/posts/${postId}/approve`, { _csrf: _csrf! })).statusCode).toBe(303);
    };
    const title = `Rostering tools for call centres (${width})`;
    const threadId = await startThread(asker, 'questions', { title, body: 'Which rostering tool do you use?' });
    await approve((await db.selectFrom('posts').select('id').where('thread_id', '=', threadId).executeTakeFirstOrThrow()).id);
    for (const body of ['We use the state’s shared rostering system.', `Off topic: who is going to the conference in March (${width})?`]) {
      const replied = await postReply(replier, threadId, { body });
      expect(replied.statusCode).toBe(303);
      if (body.startsWith('We use')) await approve(postIdFrom(replied.headers.location));
    }

    const m = await session.openPage(width, 900);
    await signInOnPage(m, session.site, moderator);
    await m.goto(session.site.url(`/t/${threadId}`));
    const panel = m.getByRole('region', { name: 'Moderate' });
    await panel.getByRole('button', { name: 'Lock', exact: true }).click();
    await expectNotice(m, THREAD_ACTION_MESSAGES.locked);
    expect(await m.getByRole('region', { name: 'Moderate' }).getByRole('button', { name: 'Unlock', exact: true }).count()).toBe(1);
    expect(await m.getByRole('button', { name: 'Post reply' }).count()).toBe(0);
    await check(m, 'thread-locked', width);

    // Moving from the thread's moderation page: refused without a category, then done.
    await m.getByRole('region', { name: 'Moderate' }).getByRole('link', { name: 'Move, rename, hide, delete or merge' }).click();
    await m.getByRole('heading', { level: 1, name: 'Moderate thread' }).waitFor();
    expect(await m.locator('.thread-state').textContent()).toContain('Yes: it takes no replies');
    await check(m, 'mod-thread', width);
    await m.getByRole('button', { name: 'Move thread' }).click();
    await expect.poll(() => m.getByRole('alert').textContent()).toContain(THREAD_ACTION_MESSAGES.chooseCategory);
    await check(m, 'mod-thread-errors', width);

    // Another moderator pins it meanwhile: this page's rename is stale (409), and shows the thread as it now is.
    const o = await session.openPage(width, 900);
    await signInOnPage(o, session.site, other);
    await o.goto(session.site.url(`/t/${threadId}`));
    await o.getByRole('region', { name: 'Moderate' }).getByRole('button', { name: 'Pin thread' }).click();
    await expectNotice(o, THREAD_ACTION_MESSAGES.pinned);
    await m.getByLabel('New title').fill(`${title}, renamed`);
    await m.getByRole('button', { name: 'Rename thread' }).click();
    await m.getByRole('heading', { level: 2, name: 'This thread changed' }).waitFor();
    expect(await m.locator('.thread-state').textContent()).toContain('Yes, in its category');
    await check(m, 'mod-thread-stale', width);
    expect((await db.selectFrom('threads').select('title').where('id', '=', threadId).executeTakeFirstOrThrow()).title).toBe(title);

    await m.getByLabel('Move to category').selectOption({ label: 'Tools and platforms' });
    await m.getByRole('button', { name: 'Move thread' }).click();
    await expectNotice(m, THREAD_ACTION_MESSAGES.moved('Tools and platforms'));
    expect(await m.locator('.breadcrumbs').first().textContent()).toContain('Tools and platforms');

    // Splitting the off-topic reply into a new thread: refused with none chosen, then done.
    await m.getByRole('region', { name: 'Moderate' }).getByRole('link', { name: 'Split replies off' }).click();
    await m.getByRole('heading', { level: 1, name: 'Split replies off into a new thread' }).waitFor();
    await check(m, 'split', width);
    await m.getByRole('button', { name: 'Split into a new thread' }).click();
    await expect.poll(() => m.getByRole('alert').textContent()).toContain(THREAD_ACTION_MESSAGES.choosePosts);
    await check(m, 'split-errors', width);
    await m.getByRole('checkbox', { name: /Post 3, by/ }).check();
    const newTitle = `Conference in March (${width})`;
    await m.getByLabel('Title of the new thread').fill(newTitle);
    await m.getByLabel('Category of the new thread').selectOption({ label: 'Social media practice' });
    await m.getByRole('button', { name: 'Split into a new thread' }).click();
    await m.getByRole('heading', { level: 1, name: newTitle }).waitFor();
    await expectNotice(m, THREAD_ACTION_MESSAGES.split);
    expect(await postWith(m, 'who is going to the conference').count()).toBe(1);
    await m.goto(session.site.url(`/t/${threadId}`));
    expect(await postWith(m, 'who is going to the conference').count()).toBe(0);
    expect(await postWith(m, 'shared rostering system').count()).toBe(1);
    const audit = await db.selectFrom('audit_events').select('action').where('target_type', '=', 'thread').where('target_id', '=', String(threadId)).orderBy('id').execute();
    expect(audit.map((row) => row.action)).toEqual(['thread.locked', 'thread.pinned', 'thread.moved', 'thread.split']);
  });

  it('a member who joins waits for approval; a moderator refuses to reject without a reason, then approves them', { timeout: 120_000 }, async () => {
    const { t } = session.site;
    const email = `waiting.member.${width}@finance.gov.au`;
    expect((await askToJoin(t.app, email, injectAt(session.site))).statusCode).toBe(200);
    const verify = await emailedPath(t.db, email, '/verify/');
    const w = await session.openPage(width, 900);
    await w.goto(session.site.url(verify));
    const name = `Wendy Waiting ${width}`;
    await w.getByLabel('Display name').fill(name);
    await w.getByLabel('Handle').fill(`wendy_waiting_${width}`);
    await w.getByLabel('Password', { exact: true }).fill('marmalade tugboat quietly violin');
    await Promise.all([w.waitForURL(session.site.url('/awaiting-approval')), w.getByRole('button', { name: 'Join Commons' }).click()]);
    await check(w, 'awaiting-approval', width);

    const moderator = await createMember(t.db, { role: 'moderator' });
    const m = await session.openPage(width, 900);
    await signInOnPage(m, session.site, moderator);
    await m.goto(session.site.url('/mod'));
    const waiting = m.getByRole('listitem').filter({ has: m.getByRole('heading', { level: 3, name }) });
    await check(m, 'approvals-waiting-member', width);
    await waiting.getByRole('button', { name: `Reject ${name}` }).click();
    await expect.poll(() => m.getByRole('alert').first().textContent()).toContain(APPROVAL_MESSAGES.reasonRequired);
    // The summary's message leads to the field it is about, which says it too.
    const target = await m.getByRole('alert').getByRole('link', { name: APPROVAL_MESSAGES.reasonRequired }).getAttribute('href');
    const refusedField = waiting.getByRole('textbox', { name: `Reason for rejecting ${name}` });
    expect(target).toBe(`#${await refusedField.getAttribute('id')}`);
    expect(await refusedField.getAttribute('aria-invalid')).toBe('true');
    await check(m, 'approvals-errors', width);
    await m.getByRole('listitem').filter({ has: m.getByRole('heading', { level: 3, name }) }).getByLabel(/^Note to/).fill('Welcome aboard.');
    await m.getByRole('listitem').filter({ has: m.getByRole('heading', { level: 3, name }) }).getByRole('button', { name: `Approve ${name}` }).click();
    await expectNotice(m, APPROVAL_MESSAGES.memberApproved(name));
    expect(await m.getByText('No members are waiting for approval.').count()).toBe(1);

    await w.goto(session.site.url('/awaiting-approval'));
    expect(new URL(w.url()).pathname).toBe('/');
  });
});
