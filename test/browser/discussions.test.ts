import { describe, expect, it } from 'vitest';
import { pageCheck, postWith, signInOnPage, useBrowserSession } from '../support/browser.js';
import { createMember } from '../support/members.js';

// Issue 8: two members talk in a thread as people would, in chromium, with axe on every page
// and state they see, at a desktop and a phone width.
const session = useBrowserSession({ RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '100' });
const check = pageCheck('discussions');

describe.each([1280, 320])('a conversation between two members at %i px', (width) => {
  it('starts a thread, replies, replies to the reply, quotes, reacts, marks the answer and reads it threaded', { timeout: 180_000 }, async () => {
    const site = session.site;
    const asker = await createMember(site.t.db);
    const helper = await createMember(site.t.db);
    const a = await session.openPage(width, 900);
    const b = await session.openPage(width, 900);
    await signInOnPage(a, site, asker);
    await signInOnPage(b, site, helper);

    // The asker starts a thread, first failing the form once.
    await a.goto(site.url('/c'));
    await check(a, 'categories', width);
    await a.getByRole('link', { name: 'Tools and platforms' }).click();
    await expect.poll(() => a.getByText('No threads here yet.').count()).toBe(1);
    await check(a, 'category-empty', width);
    await a.goto(site.url('/c/questions/new'));
    await a.getByRole('button', { name: 'Start thread' }).click();
    await expect.poll(() => a.getByRole('alert').count()).toBe(1);
    await check(a, 'new-thread-errors', width);
    const title = `Captions for live streams (${width})`;
    await a.getByLabel('Title', { exact: true }).fill(title);
    await a.getByLabel('Message', { exact: true }).fill('How do you caption **live** streams?\n\n- in house\n- a vendor');
    await a.getByRole('button', { name: 'Start thread' }).click();
    await a.getByRole('heading', { level: 1, name: title }).waitFor();
    await check(a, 'thread-new', width);
    const threadUrl = a.url();

    // The helper sees it as new in the category, opens it and replies.
    await b.goto(site.url('/c/questions'));
    const line = b.locator('.thread-list__item', { hasText: title });
    expect(await line.locator('.unread').textContent()).toContain('new');
    await check(b, 'category', width);
    await line.getByRole('link', { name: title }).click();
    await b.getByRole('textbox', { name: 'Reply', exact: true }).fill('We book a live captioner for every stream.');
    await b.getByRole('button', { name: 'Post reply' }).click();
    await postWith(b, 'We book a live captioner').waitFor();

    // The asker comes back: the new reply sits under a divider; they answer it directly.
    await a.goto(threadUrl);
    await expect.poll(() => a.getByText('New since your last visit').count()).toBe(1);
    await check(a, 'thread-unread', width);
    await postWith(a, 'We book a live captioner').getByRole('link', { name: /^Reply/ }).click();
    await expect.poll(() => a.getByText(/^Replying to/).count()).toBe(1);
    await a.getByRole('textbox', { name: 'Reply', exact: true }).fill('Which captioning company do you use?');
    await a.getByRole('button', { name: 'Post reply' }).click();
    const nested = postWith(a, 'Which captioning company');
    await nested.waitFor();
    expect(await nested.locator('.post__reply-to').textContent()).toContain(helper.displayName);

    // The helper quotes it in their answer.
    await b.goto(threadUrl);
    await postWith(b, 'Which captioning company').getByRole('link', { name: /^Quote/ }).click();
    const body = b.getByRole('textbox', { name: 'Reply', exact: true });
    expect(await body.inputValue()).toContain(`> **${asker.displayName}** wrote:`);
    await body.fill(`${await body.inputValue()}We use the panel the whole-of-government arrangement lists.`);
    await b.getByRole('button', { name: 'Post reply' }).click();
    await b.locator('blockquote', { hasText: 'Which captioning company' }).waitFor();

    // The asker finds the first reply helpful and marks it as the answer.
    await a.goto(threadUrl);
    const answer = postWith(a, 'We book a live captioner');
    await answer.getByRole('button', { name: /^Helpful/ }).click();
    await expect.poll(() => postWith(a, 'We book a live captioner').getByText('1 found this helpful').count()).toBe(1);
    await postWith(a, 'We book a live captioner').getByRole('button', { name: /^Mark as answer/ }).click();
    await a.getByRole('heading', { name: 'Accepted answer' }).waitFor();
    await check(a, 'thread-answered', width);

    // The helper hears of it: the header counts their notifications, the list says what happened.
    await b.goto(site.url('/c'));
    await b.getByRole('link', { name: /^Notifications \d+ unread$/ }).click();
    await b.getByText('marked your reply as the answer in').first().waitFor();
    await check(b, 'notifications', width);

    // The signed-in home page: what is unread of the last month, and recent activity.
    await b.goto(site.url('/'));
    await b.getByRole('heading', { name: 'Unread in the last 30 days' }).waitFor();
    expect(await b.getByRole('region', { name: 'Recent activity' }).getByRole('link', { name: title }).count()).toBe(1);
    await check(b, 'home-signed-in', width);

    // The helper sees the thread answered, and reads it as a tree.
    await b.goto(site.url('/c/questions'));
    expect(await b.locator('.thread-list__item', { hasText: title }).getByText('Answered').count()).toBe(1);
    await b.goto(`${threadUrl}?view=threaded`);
    expect(await b.locator('article.post--depth-1', { hasText: 'Which captioning company' }).count()).toBe(1);
    expect(await b.locator('article.post--depth-2', { hasText: 'whole-of-government' }).count()).toBe(1);
    await check(b, 'thread-threaded', width);

    // The helper edits their answer, reads its versions, then deletes their quoting reply.
    await b.goto(threadUrl);
    await postWith(b, 'We book a live captioner').getByRole('link', { name: /^Edit/ }).click();
    await check(b, 'edit-post', width);
    await b.getByRole('textbox', { name: 'Reply', exact: true }).fill('We book a live captioner for every stream, two weeks ahead.');
    await b.getByRole('button', { name: 'Save changes' }).click();
    await postWith(b, 'two weeks ahead').getByRole('link', { name: /^edited/ }).click();
    await b.getByText('We book a live captioner for every stream.', { exact: true }).waitFor();
    await check(b, 'revisions', width);
    await b.goto(threadUrl);
    await postWith(b, 'whole-of-government').getByRole('link', { name: /^Delete/ }).click();
    await check(b, 'delete-post', width);
    await b.getByRole('button', { name: 'Delete the post' }).click();
    await b.getByText('This post was deleted by its author.').waitFor();
    await check(b, 'thread-deleted-placeholder', width);

    // An empty reply shows its error on the thread page.
    await b.goto(threadUrl);
    await b.getByRole('button', { name: 'Post reply' }).click();
    await expect.poll(() => b.getByRole('alert').count()).toBe(1);
    await check(b, 'reply-errors', width);
  });
});
