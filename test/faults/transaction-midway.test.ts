import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_PAGES } from '../../src/lib/messages.js';
import type { Browser } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { memberWithBrowser, postIdFrom, replyFormOf, startThread } from '../support/discussions.js';
import { pdfBytes, pngBytes } from '../support/file-fixtures.js';
import type { TestMember } from '../support/members.js';
import { fileIn, noTemporaryFiles, pageText, postForm } from '../support/post-uploads.js';
import { filePart, guideFields, postResourceForm, resourceIdFrom } from '../support/resources.js';
import { buildUploadTestApp, fileRows, postMultipart, type UploadTestApp } from '../support/uploads.js';
import { changedTables, DatabaseFingerprint } from './support/fingerprint.js';
import { changedCounts, countEveryTable } from './support/rows.js';

/*
 * A post whose last step fails: a trigger, installed in this file's database only, makes every
 * notification insert raise, which is the last thing replyToThread, startThread and
 * shareResource write. The post (or resource), its files' rows and stored contents, its counts
 * and its notifications must all go.
 */

let t: UploadTestApp;
let author: { member: TestMember; browser: Browser };
let poster: { member: TestMember; browser: Browser };
let watcher: { member: TestMember; browser: Browser };
let mentioned: TestMember;
let threadId: number;

const CHART = pngBytes({ width: 40, height: 30 });
const REPORT = pdfBytes('What we learnt from the outage. '.repeat(40));
const files = () => [fileIn(1, 'chart.png', CHART), fileIn(2, 'report.pdf', REPORT)];
const FAILURE = 'notifications refused by the fault test';

async function failNotifications(on: boolean): Promise<void> {
  if (on) {
    await sql`create or replace function refuse_notification() returns trigger language plpgsql as $$ begin raise exception '${sql.raw(FAILURE)}'; end $$`.execute(t.db);
    await sql`create trigger refuse_notification before insert on notifications for each row execute function refuse_notification()`.execute(t.db);
  } else {
    await sql`drop trigger if exists refuse_notification on notifications`.execute(t.db);
  }
}

/** The reply form's post, its page opened first (which moves the poster's read position); returns the sender. */
async function replySender(fields: Record<string, string>) {
  const hidden = await replyFormOf(poster.browser, threadId);
  return () => postMultipart(t.app, poster.browser, `/t/${threadId}/reply`, postForm(hidden, fields, files()));
}

async function newThreadSender(fields: Record<string, string>) {
  const hidden = await poster.browser.openForm('/c/questions/new');
  return () => postMultipart(t.app, poster.browser, '/c/questions/new', postForm(hidden, fields, files()));
}

/**
 * Sends the post with the trigger in place: a plain 500 page, and no row of any table added,
 * removed or rewritten (the fingerprint: a committed UPDATE outside the failed transaction, to a
 * counter or a read position, moves its table's newest xmin though no count changes).
 */
async function failsLeavingNothing(send: () => ReturnType<typeof postMultipart>) {
  const fingerprint = await DatabaseFingerprint.of(t.db);
  const before = await countEveryTable(t.db);
  const printBefore = await fingerprint.take();
  const blobsBefore = await blobsButTouch();
  await failNotifications(true);
  try {
    const response = await send();
    expect(response.statusCode, response.body.slice(0, 500)).toBe(500);
    expect(response.headers.location).toBeUndefined();
    expect(pageText(response.body)).toContain(ERROR_PAGES[500]!.message);
    expect(response.body).not.toContain(FAILURE);
  } finally {
    await failNotifications(false);
  }
  const counts = changedCounts(before, await countEveryTable(t.db));
  // The one write outside the transaction: contents are stored before it begins, and storing
  // contents already stored (the same chart and report posted by an earlier test) touches their
  // file_blobs row's stored_at so housekeeping spares them (claimBlob in blob-index.ts). Nothing
  // else of those rows may change, and no row may come or go.
  const written = changedTables(printBefore, await fingerprint.take()).filter((table) => table !== 'file_blobs');
  expect(written, `tables written (row count changes: ${JSON.stringify(counts)})`).toEqual([]);
  expect(await blobsButTouch(), 'file_blobs rows, stored_at aside').toEqual(blobsBefore);
  console.info(`transaction-midway: 500 page, ${Object.keys(before).length} tables' rows unchanged (count and newest xmin)`);
  expect(t.logs.some((line) => line.msg === 'request failed' && JSON.stringify(line.err).includes(FAILURE))).toBe(true);
  await noTemporaryFiles(t);
  return before;
}

/** Every file_blobs row but its stored_at, which storing the same contents again touches. */
async function blobsButTouch() {
  return t.db.selectFrom('file_blobs').select(['id', 'sha256', 'byte_size', 'chunk_count', 'created_at']).orderBy('id').execute();
}

/** What the post made once the trigger is gone: the post, its two files, one stored content each, and a notification per member told. */
async function madeOnce(before: Record<string, number>, postId: number, told: TestMember[]) {
  const after = await countEveryTable(t.db);
  expect(after.posts).toBe(before.posts! + 1);
  expect(after.files).toBe(before.files! + 2);
  expect(await t.db.selectFrom('files').select('name').where('post_id', '=', postId).orderBy('position').execute()).toEqual([{ name: 'chart.png' }, { name: 'report.pdf' }]);
  const notified = await t.db.selectFrom('notifications').select('member_id').where('post_id', '=', postId).execute();
  expect(notified.map((row) => row.member_id).sort()).toEqual(told.map((member) => member.id).sort());
}

async function shareSender(fields: Record<string, string | string[]>) {
  const hidden = await poster.browser.openForm('/resources/new');
  return () => postResourceForm(t.app, poster.browser, '/resources/new', { ...hidden, ...fields }, [filePart('report.pdf', REPORT)]);
}

describe.each(['server', 'embedded'] as const)('a post whose notification insert fails, on the %s database', (mode) => {
  beforeAll(async () => {
    t = await buildUploadTestApp({ database: await createTestDatabase(mode), env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
    author = await memberWithBrowser(t.app, t.db);
    poster = await memberWithBrowser(t.app, t.db);
    watcher = await memberWithBrowser(t.app, t.db);
    mentioned = (await memberWithBrowser(t.app, t.db)).member;
    threadId = await startThread(author.browser, 'questions', { title: 'What broke in the outage' });
    await t.db.insertInto('thread_watches').values({ member_id: watcher.member.id, thread_id: threadId, level: 'watching' }).execute();
    const watched = await t.db.selectFrom('categories').select('id').where('slug', 'in', ['questions', 'resource-library']).execute();
    await t.db.insertInto('category_watches').values(watched.map((category) => ({ member_id: watcher.member.id, category_id: category.id }))).execute();
  });
  afterAll(async () => t?.close());

  it('a reply with two files, to a watched thread, mentioning a member: a 500 page, and no post, file, stored content, notification or email', async () => {
    const fields = { body: `Both attached, @${mentioned.handle}.`, alt_1: 'Outage timeline' };
    const send = await replySender(fields);
    const before = await failsLeavingNothing(send);
    expect(await fileRows(t.db)).toEqual({ files: 0, blobs: 0, chunks: 0 });

    // With the fault gone, the same form sent again (its token unspent) is taken whole, files and all.
    const response = await send();
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    await madeOnce(before, postIdFrom(response.headers.location), [author.member, watcher.member, mentioned]);
    expect(await fileRows(t.db)).toMatchObject({ files: 2, blobs: 2 });
  });

  it('a new thread with two files, in a watched category: the same, the first post and the thread included', async () => {
    const fields = { title: 'Charts from the outage review', body: 'Two files from our review.', alt_1: 'Outage timeline' };
    const send = await newThreadSender(fields);
    const before = await failsLeavingNothing(send);
    expect(await t.db.selectFrom('threads').select('id').where('title', '=', fields.title).execute()).toEqual([]);

    const response = await send();
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const created = Number(/^\/t\/(\d+)/.exec(String(response.headers.location))![1]);
    const first = await t.db.selectFrom('posts').select('id').where('thread_id', '=', created).executeTakeFirstOrThrow();
    await madeOnce(before, first.id, [watcher.member]);
    expect((await countEveryTable(t.db)).threads).toBe(before.threads! + 1);
  });

  it('a resource shared with a file, in the watched library: the same, the resource, its tags and its thread included', async () => {
    const fields = guideFields(poster.member.agencyId, { title: 'Lessons from the relay outage', tags: 'Outages, Records' });
    const send = await shareSender(fields);
    const before = await failsLeavingNothing(send);
    expect(await t.db.selectFrom('resources').select('id').where('title', '=', fields.title as string).execute()).toEqual([]);

    const response = await send();
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const resource = await t.db.selectFrom('resources').select(['id', 'thread_id']).where('id', '=', resourceIdFrom(response.headers.location)).executeTakeFirstOrThrow();
    expect(await t.db.selectFrom('files').select('name').where('resource_id', '=', resource.id).execute()).toEqual([{ name: 'report.pdf' }]);
    const after = await countEveryTable(t.db);
    expect({ resources: after.resources! - before.resources!, threads: after.threads! - before.threads!, files: after.files! - before.files! }).toEqual({ resources: 1, threads: 1, files: 1 });
    const notified = await t.db.selectFrom('notifications').select('member_id').where('thread_id', '=', resource.thread_id).execute();
    expect(notified).toEqual([{ member_id: watcher.member.id }]);
  });
});
