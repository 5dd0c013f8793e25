import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from '../support/app.js';
import { memberWithBrowser, postIdFrom, replyFormOf, startThread } from '../support/discussions.js';
import { pdfBytes, pngBytes } from '../support/file-fixtures.js';
import type { TestMember } from '../support/members.js';
import { fileIn, noTemporaryFiles, postForm } from '../support/post-uploads.js';
import { createTestDatabase } from '../support/database.js';
import { buildUploadTestApp, type UploadTestApp } from '../support/uploads.js';
import { httpPost, listening, type HttpAnswer } from './support/http.js';
import { changedCounts, countEveryTable } from './support/rows.js';

/*
 * One form, its token and its files, sent 20 times at once over 20 real connections (a member
 * hammering the button on a slow link, or a proxy retrying): one post, one set of files, one
 * notification, and every answer the same redirect to it, as a form sent twice is answered
 * (replyToThread and startThread: the unique form token decides, inside the transaction).
 */

const PARALLEL = 20;

let t: UploadTestApp;
let port: number;
let author: { member: TestMember; browser: Browser };
let poster: { member: TestMember; browser: Browser };



const files = () => [fileIn(1, 'chart.png', pngBytes({ width: 12, height: 9 })), fileIn(2, 'minutes.pdf', pdfBytes('Minutes of the records meeting. '.repeat(30)))];

/** Sends one body PARALLEL times at once; the answers, and how long the slowest took. */
async function sendAtOnce(path: string, body: Buffer, contentType: string): Promise<{ answers: HttpAnswer[]; ms: number }> {
  const started = Date.now();
  const answers = await Promise.all(Array.from({ length: PARALLEL }, () => httpPost(port, path, poster.browser.cookieHeader, contentType, body)));
  return { answers, ms: Date.now() - started };
}

/** Every answer a 303 to one place (`where` picks it out of the location); that place. */
function expectOneRedirect(answers: HttpAnswer[], where = (location: string) => location): string {
  const statuses = answers.map((answer) => answer.statusCode);
  expect(statuses, answers.find((answer) => answer.statusCode !== 303)?.body.slice(0, 500)).toEqual(Array(PARALLEL).fill(303));
  const locations = new Set(answers.map((answer) => where(String(answer.headers.location))));
  expect(locations.size).toBe(1);
  return [...locations][0]!;
}

describe.each(['server', 'embedded'] as const)(`${PARALLEL} parallel submissions of one form with two files, on the %s database`, (mode) => {
  beforeAll(async () => {
    t = await buildUploadTestApp({ database: await createTestDatabase(mode), env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
    port = await listening(t.app);
    author = await memberWithBrowser(t.app, t.db);
    poster = await memberWithBrowser(t.app, t.db);
  });
  afterAll(async () => t?.close());

  it('a reply: one post, two files, two stored contents, one notification; every answer the same 303', async () => {
    const threadId = await startThread(author.browser, 'questions', { title: 'Meeting minutes, sent in a hurry' });
    const hidden = await replyFormOf(poster.browser, threadId);
    const form = postForm(hidden, { body: 'The minutes and the chart, attached.', alt_1: 'Attendance by month' }, files());
    const before = await countEveryTable(t.db);
    const { answers, ms } = await sendAtOnce(`/t/${threadId}/reply`, form.toBuffer(), form.contentType);
    const postId = postIdFrom(expectOneRedirect(answers));
    expect(await t.db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '>', 1).execute()).toEqual([{ id: postId }]);
    expect(await t.db.selectFrom('files').select('name').where('post_id', '=', postId).orderBy('position').execute()).toEqual([{ name: 'chart.png' }, { name: 'minutes.pdf' }]);
    expect(changedCounts(before, await countEveryTable(t.db))).toEqual({
      posts: { before: before.posts, after: before.posts! + 1 },
      files: { before: before.files, after: before.files! + 2 },
      file_blobs: { before: before.file_blobs, after: before.file_blobs! + 2 },
      file_blob_chunks: { before: before.file_blob_chunks, after: before.file_blob_chunks! + 2 },
      notifications: { before: before.notifications, after: before.notifications! + 1 },
      notification_emails: { before: before.notification_emails, after: before.notification_emails! + 1 },
      thread_watches: { before: before.thread_watches, after: before.thread_watches! + 1 },
    });
    const thread = await t.db.selectFrom('threads').select(['post_count', 'reply_count']).where('id', '=', threadId).executeTakeFirstOrThrow();
    expect(thread).toEqual({ post_count: 2, reply_count: 1 });
    await noTemporaryFiles(t);
    console.info(`double-submission (${mode}): ${PARALLEL} reply submissions over HTTP answered in ${ms} ms, one post`);
  });

  it('a new thread: one thread, one post, two files; every answer the same 303', async () => {
    const hidden = await poster.browser.openForm('/c/questions/new');
    const title = 'Retention schedule, sent twenty times';
    const form = postForm(hidden, { title, body: 'Our schedule and a chart of it.', alt_1: 'Retention by record class' }, files());
    const before = await countEveryTable(t.db);
    const { answers, ms } = await sendAtOnce('/c/questions/new', form.toBuffer(), form.contentType);
    // The first to commit is sent to the thread's slugged address, the others to /t/:id, which leads there.
    const threadId = expectOneRedirect(answers, (location) => /^\/t\/(\d+)(?:\/|$)/.exec(location)?.[1] ?? location);
    expect(await t.db.selectFrom('threads').select('id').where('title', '=', title).execute()).toEqual([{ id: Number(threadId) }]);
    const after = await countEveryTable(t.db);
    expect(after.threads).toBe(before.threads! + 1);
    expect(after.posts).toBe(before.posts! + 1);
    expect(after.files).toBe(before.files! + 2);
    // The same bytes as the reply's: stored once, named by both posts' files.
    expect(after.file_blobs).toBe(before.file_blobs);
    await noTemporaryFiles(t);
    console.info(`double-submission (${mode}): ${PARALLEL} new-thread submissions over HTTP answered in ${ms} ms, one thread`);
  });
});
