import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Browser } from '../../support/app.js';
import { articleOf, memberWithBrowser, postIdFrom, replyFormOf, startThread, threadPageOf } from '../../support/discussions.js';
import { pdfBytes, pngBytes } from '../../support/file-fixtures.js';
import type { TestMember } from '../../support/members.js';
import { fileIn, postForm, postingWrites, sendNewThread, sendReply } from '../../support/post-uploads.js';
import { buildUploadTestApp, MultipartBody, postMultipart, type UploadTestApp } from '../../support/uploads.js';

let t: UploadTestApp;
let author: { member: TestMember; browser: Browser };
let reader: { member: TestMember; browser: Browser };
let moderator: { member: TestMember; browser: Browser };
let threadId: number;

beforeAll(async () => {
  // Everything here is posted by a few members on their first day.
  t = await buildUploadTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  author = await memberWithBrowser(t.app, t.db);
  reader = await memberWithBrowser(t.app, t.db);
  moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
  threadId = await startThread(author.browser, 'questions', { title: 'Charts that everyone can read' });
});
afterAll(async () => t.close());

const CHART = pngBytes({ width: 40, height: 30 });
// Between 1 and 10 KB, so its size shows as "2.3 KB".
const REPORT = pdfBytes('What we learnt from captioning. '.repeat(60));

async function filesOf(postId: number) {
  return t.db.selectFrom('files').select(['id', 'name', 'content_type', 'alt_text', 'width', 'height', 'position', 'uploaded_by', 'byte_size']).where('post_id', '=', postId).orderBy('position').execute();
}

/** A reply with a chart and a report, posted by `who` in `thread`; the new post's id. */
async function replyWithFiles(who = author, thread = threadId) {
  const response = await sendReply(t, who.browser, thread, { alt_1: 'Bar chart: captioning costs fell by half in 2025' }, [fileIn(1, 'chart.png', CHART), fileIn(2, 'report.pdf', REPORT)]);
  expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
  return postIdFrom(response.headers.location);
}

describe('a reply with an image and a PDF', () => {
  it('stores both on the post, shows the image in it and the PDF as a link, and lets members download them', async () => {
    const postId = await replyWithFiles();
    const rows = await filesOf(postId);
    expect(rows).toMatchObject([
      { name: 'chart.png', content_type: 'image/png', alt_text: 'Bar chart: captioning costs fell by half in 2025', width: 40, height: 30, position: 1, uploaded_by: author.member.id },
      { name: 'report.pdf', content_type: 'application/pdf', alt_text: null, width: null, height: null, position: 2, byte_size: REPORT.length },
    ]);

    const page = await threadPageOf(reader.browser, threadId);
    const article = articleOf(page, postId);
    const [image, report] = rows;
    expect(article).toContain(`<img src="/files/${image!.id}/chart.png" alt="Bar chart: captioning costs fell by half in 2025" width="40" height="30" loading="lazy">`);
    expect(article).toContain(`<a href="/files/${report!.id}/report.pdf"><bdi>report.pdf</bdi></a> <span class="post__file-meta">(PDF, ${(REPORT.length / 1024).toFixed(1)} KB)</span>`);

    const shownImage = await reader.browser.get(`/files/${image!.id}/chart.png`);
    expect(shownImage.statusCode).toBe(200);
    expect(shownImage.headers['content-disposition']).toBe('inline; filename="chart.png"');
    expect(shownImage.rawPayload.equals(CHART)).toBe(true);
    const download = await reader.browser.get(`/files/${report!.id}/report.pdf`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename="report.pdf"');
    expect(download.rawPayload.equals(REPORT)).toBe(true);
  });

  it('is shown under a page policy that allows the site’s own images', async () => {
    const redirect = await reader.browser.get(`/t/${threadId}`);
    const page = await reader.browser.get(redirect.headers.location as string);
    expect(page.headers['content-security-policy']).toMatch(/img-src 'self'/);
  });

  // One statement reads them all (test/features/discussions/round-trips.test.ts counts it).
  it('shows the files of every post on the page', async () => {
    const first = await replyWithFiles();
    const second = await replyWithFiles(reader);
    const page = await threadPageOf(author.browser, threadId);
    for (const postId of [first, second]) expect(articleOf(page, postId)).toMatch(/<img src="\/files\/\d+\/chart\.png"/);
  });

  it('takes files on a new thread’s first post too', async () => {
    const response = await sendNewThread(t, author.browser, 'questions', { alt_2: 'Line chart of enquiries by month' }, [fileIn(1, 'notes.pdf', REPORT), fileIn(2, 'enquiries.png', CHART)]);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const newThread = Number(/^\/t\/(\d+)/.exec(response.headers.location as string)![1]);
    const post = await t.db.selectFrom('posts').select('id').where('thread_id', '=', newThread).where('position', '=', 1).executeTakeFirstOrThrow();
    expect((await filesOf(post.id)).map((row) => [row.name, row.alt_text, row.position])).toEqual([
      ['notes.pdf', null, 1],
      ['enquiries.png', 'Line chart of enquiries by month', 2],
    ]);
    expect(articleOf(await threadPageOf(reader.browser, newThread), post.id)).toContain('alt="Line chart of enquiries by month"');
  });

  it('still takes a reply and a new thread posted urlencoded, without files', async () => {
    const hidden = await replyFormOf(reader.browser, threadId);
    const response = await reader.browser.post(`/t/${threadId}/reply`, { ...hidden, body: 'No files from me.' });
    expect(response.statusCode).toBe(303);
    expect(await filesOf(postIdFrom(response.headers.location))).toEqual([]);
  });

  it('offers five places, each a file input with its own description, in a multipart form whose first field is the CSRF token', async () => {
    for (const url of [`/c/questions/new`, (await reader.browser.get(`/t/${threadId}`)).headers.location as string]) {
      const page = (await reader.browser.get(url)).body;
      const form = /<form method="post" action="\/(?:c\/questions\/new|t\/\d+\/reply)" enctype="multipart\/form-data" novalidate>\s*<input type="hidden" name="_csrf"/.exec(page);
      expect(form, url).not.toBeNull();
      for (const place of [1, 2, 3, 4, 5]) {
        expect(page).toContain(`<label for="field-file_${place}">Choose a file</label>`);
        expect(page).toMatch(new RegExp(`<input id="field-file_${place}" name="file_${place}" type="file" accept="\\.pdf,[^"]*\\.png[^"]*">`));
        expect(page).toContain(`<label for="field-alt_${place}">If it is an image, describe it for people who cannot see it</label>`);
      }
      expect(page).toContain('Up to 5 files of at most 25 MB each');
    }
  });
});

describe('who may see a post’s files', () => {
  it('answers 404 to a member for a file on a reply in the moderators’ lounge, and serves it to a moderator', async () => {
    const lounge = await startThread(moderator.browser, 'moderators', { title: 'Handling a leaked document' });
    const postId = await replyWithFiles(moderator, lounge);
    const [image, report] = await filesOf(postId);
    for (const file of [image!, report!]) {
      expect((await reader.browser.get(`/files/${file.id}/${file.name}`)).statusCode).toBe(404);
      expect((await moderator.browser.get(`/files/${file.id}/${file.name}`)).statusCode).toBe(200);
    }
  });

  it('withholds a hidden post’s files from members (404, and not on the page) but not from moderators', async () => {
    const postId = await replyWithFiles();
    await t.db.updateTable('posts').set({ hidden_at: sql`now()`, hidden_by: moderator.member.id }).where('id', '=', postId).execute();
    const [image, report] = await filesOf(postId);
    for (const file of [image!, report!]) {
      expect((await reader.browser.get(`/files/${file.id}/${file.name}`)).statusCode).toBe(404);
      expect((await moderator.browser.get(`/files/${file.id}/${file.name}`)).statusCode).toBe(200);
    }
    const memberView = articleOf(await threadPageOf(reader.browser, threadId), postId);
    expect(memberView).toContain('This post was hidden by a moderator.');
    expect(memberView).not.toContain('/files/');
    expect(articleOf(await threadPageOf(moderator.browser, threadId), postId)).toContain(`/files/${image!.id}/chart.png`);
  });

  it('shows nobody a deleted post’s files', async () => {
    const postId = await replyWithFiles();
    await t.db.updateTable('posts').set({ deleted_at: sql`now()` }).where('id', '=', postId).execute();
    const [image] = await filesOf(postId);
    expect((await reader.browser.get(`/files/${image!.id}/chart.png`)).statusCode).toBe(404);
    for (const who of [reader, moderator]) expect(articleOf(await threadPageOf(who.browser, threadId), postId)).not.toContain('/files/');
  });
});

describe('a post form with files submitted more than once', () => {
  it('makes one reply with one set of files from a form sent twice, and from five sent at once', async () => {
    const hidden = await replyFormOf(author.browser, threadId);
    const form = () => postForm(hidden, { body: 'Our template, attached.', alt_1: 'Blue square' }, [fileIn(1, 'square.png', pngBytes({ width: 3, height: 3 })), fileIn(2, 'template.pdf', pdfBytes('Template'))]);
    const send = (body: MultipartBody) => postMultipart(t.app, author.browser, `/t/${threadId}/reply`, body);
    const first = await send(form());
    expect(first.statusCode).toBe(303);
    const after = await postingWrites(t);
    const again = [await send(form()), ...(await Promise.all(Array.from({ length: 5 }, () => send(form()))))];
    for (const response of again) expect(response.headers.location).toBe(first.headers.location);
    expect(await postingWrites(t)).toEqual(after);
    expect(await filesOf(postIdFrom(first.headers.location))).toHaveLength(2);
  });

  it('makes one thread with one set of files from a new-thread form sent twice', async () => {
    const hidden = await author.browser.openForm('/c/questions/new');
    const form = () => postForm(hidden, { title: 'Our records schedule', body: 'Attached.', alt_1: 'Table of retention periods' }, [fileIn(1, 'schedule.png', pngBytes({ width: 5, height: 2 }))]);
    const first = await postMultipart(t.app, author.browser, '/c/questions/new', form());
    expect(first.statusCode).toBe(303);
    const after = await postingWrites(t);
    const second = await postMultipart(t.app, author.browser, '/c/questions/new', form());
    expect(second.statusCode).toBe(303);
    expect(first.headers.location).toMatch(new RegExp(`^${second.headers.location as string}/`));
    expect(await postingWrites(t)).toEqual(after);
  });
});
