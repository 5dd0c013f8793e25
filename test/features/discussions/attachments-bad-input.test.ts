import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_MESSAGES } from '../../../src/features/resources/files/messages.js';
import { DISCUSSION_MESSAGES } from '../../../src/features/discussions/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import type { Browser } from '../../support/app.js';
import { csrfOf, memberWithBrowser, replyFormOf, startThread, threadPageOf } from '../../support/discussions.js';
import { HOSTILE, pdfBytes, pngBytes } from '../../support/file-fixtures.js';
import type { TestMember } from '../../support/members.js';
import { fileIn, pageText, postForm, refusedPost, sendNewThread, sendReply } from '../../support/post-uploads.js';
import { buildUploadTestApp, csrfPart, MultipartBody, postMultipart, type FormPart, type UploadTestApp } from '../../support/uploads.js';

let t: UploadTestApp;
let member: { member: TestMember; browser: Browser };
let threadId: number;

beforeAll(async () => {
  t = await buildUploadTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  member = await memberWithBrowser(t.app, t.db);
  threadId = await startThread(member.browser, 'questions', { title: 'Publishing annual reports' });
});
afterAll(async () => t.close());

const MB = 1024 * 1024;
const CHART = pngBytes({ width: 8, height: 6 });
// Sent beside each refused file: it must not be kept either.
const GOOD_PDF = fileIn(2, 'kept-back.pdf', pdfBytes('Not attached when the form is refused'));

const BAD_FILES: [string, FormPart, 413 | 422, string][] = [
  ['a file of 25 MB and one byte', fileIn(1, 'big.pdf', { head: Buffer.from('%PDF-1.7\n'), size: 25 * MB + 1 }), 413, FILE_MESSAGES.tooLarge('big.pdf', 25 * MB)],
  ['an empty file', fileIn(1, 'empty.pdf', Buffer.alloc(0)), 422, FILE_MESSAGES.empty('empty.pdf')],
  ['HTML named .pdf', fileIn(1, 'report.pdf', HOSTILE.html, 'application/pdf'), 422, FILE_MESSAGES.refused('report.pdf', { reason: 'html' })],
  ['an SVG with script', fileIn(1, 'logo.svg', HOSTILE.svg, 'image/svg+xml'), 422, FILE_MESSAGES.refused('logo.svg', { reason: 'svg' })],
  ['an SVG claiming to be a PNG', fileIn(1, 'logo.png', HOSTILE.svg, 'image/png'), 422, FILE_MESSAGES.refused('logo.png', { reason: 'svg' })],
];

describe('POST /t/:id/reply refuses bad files and writes nothing', () => {
  it.each(BAD_FILES)('%s', async (_case, file, status, message) => {
    const response = await refusedPost(t, () => sendReply(t, member.browser, threadId, { body: 'Our report is attached.', alt_1: 'A description' }, [file, GOOD_PDF]), status, message);
    const page = pageText(response.body);
    // The form comes back filled in, the message beside the file's input, and word that files must be chosen again.
    expect(page).toContain('Our report is attached.');
    expect(page).toContain(`<p class="field__error" id="error-file_1"><span class="visually-hidden">Error:</span> ${message}</p>`);
    expect(page).toContain(DISCUSSION_MESSAGES.chooseFilesAgain);
  });

  it.each([
    ['an image without a description', {}, DISCUSSION_MESSAGES.describeImage('chart.png')],
    ['an image described only by zero-width characters', { alt_1: '\u200B\u200D\uFEFF' }, DISCUSSION_MESSAGES.describeImage('chart.png')],
    ['a description with a NUL', { alt_1: 'A chart\0' }, 'Description of file 1 must not contain NUL characters'],
    ['a description of 501 characters', { alt_1: 'x'.repeat(501) }, 'Description of file 1 must be at most 500 characters (it is 501)'],
    ['a description on two lines', { alt_1: 'A chart\r\nof costs' }, 'Description of file 1 must be on one line'],
    ['a description for a place with no file', { alt_1: 'A chart', alt_3: 'A photo of the launch' }, DISCUSSION_MESSAGES.descriptionWithoutFile(3)],
    ['a field the form does not have', { alt_1: 'A chart', uploaded_by: '1' }, PAGE_MESSAGES.unexpectedField],
  ])('%s (422)', async (_case, fields, message) => {
    await refusedPost(t, () => sendReply(t, member.browser, threadId, fields, [fileIn(1, 'chart.png', CHART)]), 422, message);
  });

  it('keeps a hostile description as text: escaped in the page, never markup', async () => {
    const hostile = '<script>alert(1)</script>" onerror="alert(2)';
    const response = await sendReply(t, member.browser, threadId, { alt_1: hostile }, [fileIn(1, 'chart.png', CHART)]);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const file = await t.db.selectFrom('files').select('alt_text').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(file.alt_text).toBe(hostile);
    const page = await threadPageOf(member.browser, threadId);
    expect(page).toContain('alt="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onerror&#x3D;&quot;alert(2)"');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toMatch(/\sonerror=/);
  });

  it('refuses a form whose first part is not its token, or whose token is wrong (403)', async () => {
    const hidden = await replyFormOf(member.browser, threadId);
    const parts = [{ name: 'form_token', value: hidden.form_token! }, { name: 'body', value: 'Attached.' }, fileIn(1, 'report.pdf', pdfBytes())];
    const send = (body: MultipartBody) => () => postMultipart(t.app, member.browser, `/t/${threadId}/reply`, body);
    await refusedPost(t, send(new MultipartBody([csrfPart('not-the-token'), ...parts])), 403, PAGE_MESSAGES.formExpired);
    await refusedPost(t, send(new MultipartBody([...parts, csrfPart(hidden._csrf!)])), 403, PAGE_MESSAGES.formExpired);
    const other = await memberWithBrowser(t.app, t.db);
    await refusedPost(t, send(new MultipartBody([csrfPart(await csrfOf(other.browser)), ...parts])), 403, PAGE_MESSAGES.formExpired);
  });

  it('refuses a file outside the form’s five places, two files in one place, and six files', async () => {
    const report = (place: number) => fileIn(place, `report-${place}.pdf`, pdfBytes(`Report ${place}`));
    await refusedPost(t, () => sendReply(t, member.browser, threadId, {}, [{ name: 'files', filename: 'report.pdf', data: pdfBytes() }]), 422, PAGE_MESSAGES.unexpectedField);
    await refusedPost(t, () => sendReply(t, member.browser, threadId, {}, [fileIn(1, 'a.pdf', pdfBytes('a')), fileIn(1, 'b.pdf', pdfBytes('b'))]), 422, DISCUSSION_MESSAGES.oneFilePerPlace);
    await refusedPost(t, () => sendReply(t, member.browser, threadId, {}, [1, 2, 3, 4, 5, 5].map(report)), 413, FILE_MESSAGES.tooManyFiles(5));
  });

  it('refuses a form whose token another member spent, forgetting the file it stored for it', async () => {
    const other = await memberWithBrowser(t.app, t.db);
    const spent = await replyFormOf(other.browser, threadId);
    expect((await other.browser.post(`/t/${threadId}/reply`, { ...spent, body: 'Mine.' })).statusCode).toBe(303);
    const hidden = await replyFormOf(member.browser, threadId);
    // A file no other post has: stored before the transaction that then finds the token spent.
    const body = postForm({ ...hidden, form_token: spent.form_token! }, { body: 'Attached.' }, [fileIn(1, 'unique.pdf', pdfBytes('Only in this refused reply'))]);
    await refusedPost(t, () => postMultipart(t.app, member.browser, `/t/${threadId}/reply`, body), 422, PAGE_MESSAGES.formExpired);
  });

  it('refuses a reply without text and keeps none of its files', async () => {
    await refusedPost(t, () => sendReply(t, member.browser, threadId, { body: '   ' }, [fileIn(1, 'report.pdf', pdfBytes())]), 422, DISCUSSION_MESSAGES.replyRequired);
  });

  it('answers 404 for a thread the member may not see, reading nothing', async () => {
    const moderator = await memberWithBrowser(t.app, t.db, { role: 'moderator' });
    const lounge = await startThread(moderator.browser, 'moderators', { title: 'Staffing the weekend roster' });
    const body = postForm({ _csrf: await csrfOf(member.browser) }, { body: 'Sneaking in.' }, [fileIn(1, 'report.pdf', pdfBytes())]);
    await refusedPost(t, () => postMultipart(t.app, member.browser, `/t/${lounge}/reply`, body), 404, 'Page not found');
  });
});

describe('POST /c/:slug/new refuses bad files and writes nothing', () => {
  it.each(BAD_FILES)('%s', async (_case, file, status, message) => {
    const response = await refusedPost(t, () => sendNewThread(t, member.browser, 'questions', { title: 'Our annual report' }, [file]), status, message);
    expect(response.body).toContain('value="Our annual report"');
  });

  it('refuses an image without a description (422) and a form with a wrong token (403)', async () => {
    await refusedPost(t, () => sendNewThread(t, member.browser, 'questions', {}, [fileIn(1, 'chart.png', CHART)]), 422, DISCUSSION_MESSAGES.describeImage('chart.png'));
    const hidden = await member.browser.openForm('/c/questions/new');
    const body = postForm({ ...hidden, _csrf: 'not-the-token' }, { title: 'Our annual report', body: 'Attached.' }, [fileIn(1, 'report.pdf', pdfBytes())]);
    await refusedPost(t, () => postMultipart(t.app, member.browser, '/c/questions/new', body), 403, PAGE_MESSAGES.formExpired);
  });

  it('refuses a member in a category only moderators start threads in (403), reading nothing', async () => {
    const body = postForm({ _csrf: await csrfOf(member.browser) }, { title: 'Our annual report', body: 'Attached.' }, [fileIn(1, 'report.pdf', pdfBytes())]);
    await refusedPost(t, () => postMultipart(t.app, member.browser, '/c/announcements/new', body), 403, DISCUSSION_MESSAGES.cannotStartThread);
  });
});
