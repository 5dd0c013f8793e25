import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_MESSAGES } from '../../../src/features/moderation/messages.js';
import type { Browser } from '../../support/app.js';
import { memberWithBrowser, postIdFrom, startThread } from '../../support/discussions.js';
import { editForm, firstPostOf } from '../../support/edits.js';
import { pdfBytes } from '../../support/file-fixtures.js';
import { createCategory, createThreads } from '../../support/forum-rows.js';
import type { TestMember } from '../../support/members.js';
import { fileIn, sendNewThread, sendReply } from '../../support/post-uploads.js';
import { filePart, guideFields, resourceIdFrom, shareWithFiles } from '../../support/resources.js';
import { moderationForm, threadAction } from '../../support/thread-moderation.js';
import { buildUploadTestApp, type UploadTestApp } from '../../support/uploads.js';

// Issue 10's acceptance: hidden content is invisible to members everywhere. One row per kind of
// hidden content, one check per place a member could meet it, each run as a plain member who is
// not its author (nothing of it shown) and as a moderator (shown, marked), so that the member's
// "absent" cannot pass because the content was never there. Every row carries its own marker.

interface Person {
  member: TestMember;
  browser: Browser;
}

let t: UploadTestApp;
let moderator: Person;
let reader: Person;
let flaggers: Person[];

beforeAll(async () => {
  t = await buildUploadTestApp({ env: { FLAG_HIDE_THRESHOLD: '2', FIRST_POSTS_HELD: '1', RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  reader = await memberWithBrowser(t.app, t.db);
  flaggers = [await memberWithBrowser(t.app, t.db), await memberWithBrowser(t.app, t.db)];
});
afterAll(async () => t.close());

/** A member whose posts are not held: one earlier post let stand, in a thread since deleted, so it shows nowhere. */
async function establishedMember(): Promise<Person> {
  const person = await memberWithBrowser(t.app, t.db);
  const seedCategory = await createCategory(t.db);
  const [seedThread] = await createThreads(t.db, seedCategory.id, person.member.id, 1);
  await t.db.updateTable('threads').set({ deleted_at: sql`now()` }).where('id', '=', seedThread!).execute();
  return person;
}

/** Follows the redirects a browser would (the fragment stays in the browser). */
async function open(browser: Browser, url: string) {
  let response = await browser.get(url);
  for (let hops = 0; response.statusCode === 303 && hops < 3; hops++) response = await browser.get(String(response.headers.location).split('#')[0]!);
  return response;
}

async function mod(action: Promise<{ statusCode: number; body: string }>) {
  const response = await action;
  expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
}

const csrfOf = async (person: Person) => (await person.browser.openForm('/c'))._csrf!;

interface Row {
  marker: string;
  author: Person;
  category: { id: number; slug: string };
  threadId: number;
  postId: number;
  /** The whole thread is withheld from members (404), its title with it. */
  threadWithheld: boolean;
  /** What a member's /p/:id leads to: a hidden reply's placeholder, or nothing at all. */
  permalinkForMembers: 'placeholder' | 'not found';
  fileUrl: string;
  /** What staff are shown beside it on its thread page. */
  staffMark: string;
  /** Staff reach it from lists, permalinks and notifications too; a deleted thread only from its own page. */
  reachableByStaff: boolean;
}

/** A thread a moderator started (staff posts are never held) in a category of its own, for replies. */
async function hostThread(marker: string) {
  const category = await createCategory(t.db);
  const threadId = await startThread(moderator.browser, category.slug, { title: `A thread that stays, for ${marker.replace('marker', 'host')}`, body: 'Replies below.' });
  return { category, threadId };
}

async function fileUrlOf(postId: number): Promise<string> {
  const file = await t.db.selectFrom('files').select(['id', 'name']).where('post_id', '=', postId).executeTakeFirstOrThrow();
  return `/files/${file.id}/${file.name}`;
}

const mentions = () => `@${reader.member.handle} @${moderator.member.handle}`;

async function replyWithFile(author: Person, threadId: number, body: string): Promise<number> {
  const response = await sendReply(t, author.browser, threadId, { body }, [fileIn(1, 'report.pdf', pdfBytes('Findings. '.repeat(40)))]);
  expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
  return postIdFrom(response.headers.location);
}

async function threadWithFile(author: Person, slug: string, marker: string, body: string): Promise<number> {
  const response = await sendNewThread(t, author.browser, slug, { title: `Title ${marker}`, body }, [fileIn(1, 'report.pdf', pdfBytes('Findings. '.repeat(40)))]);
  expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
  return Number(/^\/t\/(\d+)/.exec(String(response.headers.location))![1]);
}

/** The author edits their held post to mention the reader and the moderator: still nobody may hear of it. */
async function mentionInEdit(author: Person, postId: number, marker: string, title?: string) {
  const form = await editForm(author.browser, postId);
  const response = await author.browser.post(`/p/${postId}/edit`, { ...form, body: `${marker} now with ${mentions()}`, ...(title ? { title } : {}) });
  expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
}

/** A thread by an established member, its first post mentioning the reader, then hidden or deleted by a moderator. */
async function threadActedOn(action: 'hide' | 'delete', fields: Record<string, string>, staffMark: string): Promise<Row> {
  const marker = `marker-thread-${action}`;
  const category = await createCategory(t.db);
  const author = await establishedMember();
  const threadId = await threadWithFile(author, category.slug, marker, `${marker} ${mentions()}`);
  await mod(threadAction(moderator.browser, threadId, action, { ...(await moderationForm(moderator.browser, threadId)), ...fields }));
  const postId = await firstPostOf(t.db, threadId);
  return { marker, author, category, threadId, postId, threadWithheld: true, permalinkForMembers: 'not found', fileUrl: await fileUrlOf(postId), staffMark, reachableByStaff: action === 'hide' };
}

const KINDS: Record<string, () => Promise<Row>> = {
  async 'a reply hidden by a moderator'() {
    const marker = 'marker-reply-hidden-by-moderator';
    const { category, threadId } = await hostThread(marker);
    const author = await establishedMember();
    const postId = await replyWithFile(author, threadId, `${marker} ${mentions()}`);
    await mod(moderator.browser.post(`/mod/posts/${postId}/hide`, { _csrf: await csrfOf(moderator), reason: 'Names a colleague.' }));
    return { marker, author, category, threadId, postId, threadWithheld: false, permalinkForMembers: 'placeholder', fileUrl: await fileUrlOf(postId), staffMark: 'Hidden from members</strong> by a moderator', reachableByStaff: true };
  },
  async 'a reply hidden by flags'() {
    const marker = 'marker-reply-hidden-by-flags';
    const { category, threadId } = await hostThread(marker);
    const author = await establishedMember();
    const postId = await replyWithFile(author, threadId, `${marker} ${mentions()}`);
    for (const flagger of flaggers) {
      const form = await flagger.browser.openForm(`/p/${postId}/flag`);
      expect((await flagger.browser.post(`/p/${postId}/flag`, { ...form, reason: 'spam', note: '' })).statusCode).toBe(303);
    }
    expect((await t.db.selectFrom('posts').select('hidden_at').where('id', '=', postId).executeTakeFirstOrThrow()).hidden_at).not.toBeNull();
    return { marker, author, category, threadId, postId, threadWithheld: false, permalinkForMembers: 'placeholder', fileUrl: await fileUrlOf(postId), staffMark: 'Hidden from members</strong> after flags, until a moderator reviews it', reachableByStaff: true };
  },
  'a thread hidden by a moderator': () => threadActedOn('hide', { reason: 'Discloses a home address.' }, '<span class="tag tag--removed">Hidden from members</span>'),
  'a thread deleted by a moderator': () => threadActedOn('delete', {}, '<span class="tag tag--removed">Deleted</span>'),
  async 'a held reply'() {
    const marker = 'marker-held-reply';
    const { category, threadId } = await hostThread(marker);
    const author = await memberWithBrowser(t.app, t.db);
    const postId = await replyWithFile(author, threadId, marker);
    await mentionInEdit(author, postId, marker);
    return { marker, author, category, threadId, postId, threadWithheld: false, permalinkForMembers: 'not found', fileUrl: await fileUrlOf(postId), staffMark: APPROVAL_MESSAGES.heldMarker, reachableByStaff: true };
  },
  async 'a held first post'() {
    const marker = 'marker-held-first-post';
    const category = await createCategory(t.db);
    const author = await memberWithBrowser(t.app, t.db);
    const threadId = await threadWithFile(author, category.slug, marker, marker);
    const postId = await firstPostOf(t.db, threadId);
    await mentionInEdit(author, postId, marker, `Title ${marker}`);
    return { marker, author, category, threadId, postId, threadWithheld: true, permalinkForMembers: 'not found', fileUrl: await fileUrlOf(postId), staffMark: APPROVAL_MESSAGES.heldMarker, reachableByStaff: true };
  },
  async 'a moderator’s reply in a held thread'() {
    const marker = 'marker-reply-in-held-thread';
    const category = await createCategory(t.db);
    const author = await memberWithBrowser(t.app, t.db);
    const threadId = await threadWithFile(author, category.slug, marker, 'A first post that waits.');
    const colleague = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const postId = await replyWithFile(colleague, threadId, `${marker} ${mentions()}`);
    return { marker, author: colleague, category, threadId, postId, threadWithheld: true, permalinkForMembers: 'not found', fileUrl: await fileUrlOf(postId), staffMark: APPROVAL_MESSAGES.heldMarker, reachableByStaff: true };
  },
};

/** A category's counts made from its rows, by what members may read. */
async function countsFromRows(categoryId: number) {
  const counted = (alias: string) => sql<boolean>`(${sql.ref(`${alias}.deleted_at`)} is null and ${sql.ref(`${alias}.hidden_at`)} is null and ${sql.ref(`${alias}.held_at`)} is null)`;
  const threads = await t.db
    .selectFrom('threads as t')
    .innerJoin('posts as first', (join) => join.onRef('first.thread_id', '=', 't.id').on('first.position', '=', 1))
    .select(['t.id', sql<string>`(select count(*) from posts p where p.thread_id = t.id and p.position > 1 and ${counted('p')})`.as('replies')])
    .where('t.category_id', '=', categoryId)
    .where('t.deleted_at', 'is', null)
    .where('t.hidden_at', 'is', null)
    .where('first.held_at', 'is', null)
    .where('first.deleted_at', 'is', null)
    .execute();
  const replies = new Map(threads.map((thread) => [thread.id, Number(thread.replies)]));
  return { threads: threads.length, posts: threads.reduce((sum, thread) => sum + 1 + Number(thread.replies), 0), replies };
}

/** Each place, for one row: the reader is shown nothing of it, the moderator is shown it. */
const PLACES: Record<string, (row: Row) => Promise<void>> = {
  async 'the thread page'(row) {
    const asReader = await open(reader.browser, `/t/${row.threadId}`);
    if (row.threadWithheld) expect(asReader.statusCode).toBe(404);
    else {
      expect(asReader.statusCode).toBe(200);
      expect(asReader.body).toContain('A thread that stays');
    }
    expect(asReader.body).not.toContain(row.marker);
    const asStaff = await open(moderator.browser, `/t/${row.threadId}`);
    expect(asStaff.statusCode).toBe(200);
    expect(asStaff.body).toContain(row.marker);
    expect(asStaff.body).toContain(row.staffMark);
  },

  async 'the category list and its counts'(row) {
    const fromRows = await countsFromRows(row.category.id);
    const stored = await t.db.selectFrom('categories').select(['thread_count', 'post_count']).where('id', '=', row.category.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ thread_count: fromRows.threads, post_count: fromRows.posts });
    const list = (await open(reader.browser, '/c')).body;
    const item = new RegExp(`<a href="/c/${row.category.slug}">[\\s\\S]*?</li>`).exec(list)?.[0] ?? '';
    expect(item).toMatch(new RegExp(`<p class="meta">\\s*${fromRows.threads} threads?\\b`));

    const asReader = await open(reader.browser, `/c/${row.category.slug}`);
    expect(asReader.statusCode).toBe(200);
    expect(asReader.body).not.toContain(row.marker);
    if (!row.threadWithheld) expect(asReader.body).toMatch(new RegExp(`<a href="/t/${row.threadId}/[\\s\\S]*?${fromRows.replies.get(row.threadId)} repl(y|ies)\\b`));
    const asStaff = (await open(moderator.browser, `/c/${row.category.slug}`)).body;
    if (row.threadWithheld && row.reachableByStaff) expect(asStaff).toContain(`Title ${row.marker}`);
  },

  async 'the permalink'(row) {
    const asReader = await open(reader.browser, `/p/${row.postId}`);
    expect(asReader.statusCode).toBe(row.permalinkForMembers === 'placeholder' ? 200 : 404);
    if (row.permalinkForMembers === 'placeholder') expect(asReader.body).toContain(`id="post-${row.postId}"`);
    expect(asReader.body).not.toContain(row.marker);
    if (!row.reachableByStaff) return;
    const asStaff = await open(moderator.browser, `/p/${row.postId}`);
    expect(asStaff.statusCode).toBe(200);
    expect(asStaff.body).toContain(row.marker);
  },

  async 'the author’s profile'(row) {
    const asReader = await open(reader.browser, `/u/${row.author.member.handle}`);
    expect(asReader.statusCode).toBe(200);
    expect(asReader.body).not.toContain(row.marker);
    expect(asReader.body).not.toContain(`/p/${row.postId}"`);
    const asStaff = (await open(moderator.browser, `/u/${row.author.member.handle}`)).body;
    if (row.reachableByStaff) expect(asStaff).toContain(row.marker);
  },

  async 'the home page'(row) {
    const asReader = (await open(reader.browser, '/')).body;
    expect(asReader).not.toContain(row.marker);
    // The hidden post's author is not named as the thread's latest poster either.
    expect(asReader).not.toContain(row.author.member.displayName);
    const asStaff = (await open(moderator.browser, '/')).body;
    if (row.threadWithheld && row.reachableByStaff) expect(asStaff).toContain(`Title ${row.marker}`);
    if (!row.threadWithheld) expect(asStaff).toContain(`A thread that stays, for ${row.marker.replace('marker', 'host')}`);
  },

  async 'the notifications page'(row) {
    const notificationsOf = (person: Person) => t.db.selectFrom('notifications').select('id').where('post_id', '=', row.postId).where('member_id', '=', person.member.id).execute();
    // The reader was mentioned in it (a held post's author added the mention by editing), so
    // the row exists: what matters is that the page never shows it.
    const readers = await notificationsOf(reader);
    expect(readers).toHaveLength(1);
    const page = (await open(reader.browser, '/notifications')).body;
    expect(page).not.toContain(row.marker);
    for (const { id } of readers) {
      expect(page).not.toContain(`/notifications/${id}"`);
      expect((await reader.browser.get(`/notifications/${id}`)).statusCode).toBe(404);
    }
    expect((await open(reader.browser, '/')).body).toContain('Your notifications</a>');
    if (row.reachableByStaff) {
      const [staffs] = await notificationsOf(moderator);
      expect((await open(moderator.browser, '/notifications')).body).toContain(`/notifications/${staffs!.id}"`);
    }
  },

  async 'the file download'(row) {
    const asReader = await reader.browser.get(row.fileUrl);
    expect(asReader.statusCode).toBe(404);
    expect(asReader.body).not.toContain('Findings.');
    expect((await moderator.browser.get(row.fileUrl)).statusCode).toBe(200);
  },
};

describe.each(Object.keys(KINDS))('%s', (kind) => {
  let row: Row;
  beforeAll(async () => {
    row = await KINDS[kind]!();
  });

  it.each(Object.keys(PLACES))('is shown to no member on %s, and to staff', async (place) => {
    await PLACES[place]!(row);
  });
});

describe('a resource hidden by a moderator', () => {
  const marker = 'marker-resource-hidden-by-moderator';
  let resourceId: number;
  let fileUrl: string;
  beforeAll(async () => {
    const sharer = await establishedMember();
    const shared = await shareWithFiles(t.app, sharer.browser, guideFields(sharer.member.agencyId, { title: `Guide ${marker}`, body: `Body ${marker}` }), [filePart('guide.pdf', pdfBytes('Findings. '.repeat(40)))]);
    expect(shared.statusCode, shared.body.slice(0, 500)).toBe(303);
    resourceId = resourceIdFrom(shared.headers.location);
    const file = await t.db.selectFrom('files').select(['id', 'name']).where('resource_id', '=', resourceId).executeTakeFirstOrThrow();
    fileUrl = `/files/${file.id}/${file.name}`;
    await mod(moderator.browser.post(`/mod/resources/${resourceId}/hide`, { _csrf: await csrfOf(moderator), reason: 'Discloses information that is not public.' }));
  });

  it('is shown to no member in the library, on its page or as a download, and to staff marked', async () => {
    const listed = (await open(reader.browser, '/resources')).body;
    expect(listed).not.toContain(marker);
    expect(listed).not.toContain(`/resources/${resourceId}/`);
    const page = await open(reader.browser, `/resources/${resourceId}`);
    expect(page.statusCode).toBe(404);
    expect(page.body).not.toContain(marker);
    expect((await reader.browser.get(fileUrl)).statusCode).toBe(404);

    expect((await open(moderator.browser, '/resources')).body).toContain(`Guide ${marker}`);
    const staffPage = await open(moderator.browser, `/resources/${resourceId}`);
    expect(staffPage.statusCode).toBe(200);
    expect(staffPage.body).toContain(`Body ${marker}`);
    expect(staffPage.body).toContain('<strong>Hidden.</strong> This resource is hidden from members');
    expect((await moderator.browser.get(fileUrl)).statusCode).toBe(200);
  });

  it('takes its discussion thread with it: not on its page, the home page or the library category for members; there for staff', async () => {
    const { thread_id: threadId } = await t.db.selectFrom('resources').select('thread_id').where('id', '=', resourceId).executeTakeFirstOrThrow();
    expect((await open(reader.browser, `/t/${threadId}`)).statusCode).toBe(404);
    for (const path of ['/', '/c/resource-library']) expect((await open(reader.browser, path)).body).not.toContain(marker);
    expect((await open(moderator.browser, `/t/${threadId}`)).body).toContain(marker);
    expect((await open(moderator.browser, '/c/resource-library')).body).toContain(marker);
  });
});
