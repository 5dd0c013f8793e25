import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl } from '../../../src/features/resources/files/filename.js';
import { FILE_MESSAGES } from '../../../src/features/resources/files/messages.js';
import { RESOURCE_MESSAGES as M } from '../../../src/features/resources/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser } from '../../support/app.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { CSV_TEXT, HOSTILE, pdfBytes } from '../../support/file-fixtures.js';
import type { TestMember } from '../../support/members.js';
import { escapeLikeHandlebars, filePart, guideFields, refusedUploadWritingNothing, resourceIdFrom, resourcePageOf, shareWithFiles } from '../../support/resources.js';
import { buildUploadTestApp, fileRows, MultipartBody, postMultipart, temporaryUploads, type FormPart, type UploadTestApp } from '../../support/uploads.js';

let t: UploadTestApp;
let member: { member: TestMember; browser: Browser };
beforeAll(async () => {
  // One member shares everything here: their first-day limit must not get in the way.
  t = await buildUploadTestApp({ env: { RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: '1000' } });
  member = await memberWithBrowser(t.app, t.db);
});
afterAll(async () => t.close());

const good = (fields: Record<string, string | string[]> = {}) => guideFields(member.member.agencyId, fields);
const share = (files: FormPart[], fields = good(), browser = member.browser) => shareWithFiles(t.app, browser, fields, files);
const refused = <R extends { statusCode: number; body: string }>(send: () => Promise<R>, status: number, message?: string) => refusedUploadWritingNothing(t, send, status, message);
const MAX_BYTES = 25 * 1024 * 1024;

async function filesOf(resourceId: number) {
  return t.db.selectFrom('files').select(['id', 'name', 'content_type', 'byte_size', 'storage_key', 'uploaded_by']).where('resource_id', '=', resourceId).orderBy('position').execute();
}

describe('GET /resources/new', () => {
  it('is a multipart form, its token first, with a file input for several files of the accepted types and a hint giving the limits', async () => {
    const page = (await member.browser.get('/resources/new')).body;
    expect(page).toMatch(/<form method="post" action="\/resources\/new" enctype="multipart\/form-data" novalidate>\s*<input type="hidden" name="_csrf"/);
    expect(page).toContain('<input id="field-files" name="files" type="file" multiple accept=".pdf,.docx,.xlsx,.pptx,.odt,.ods,.odp,.csv,.txt,.png,.jpg,.jpeg,.gif,.webp" aria-describedby="hint-files">');
    expect(page).toContain('At most 25 MB each, and 5 files each time you save.');
  });
});

describe('POST /resources/new with files', () => {
  it('shares a resource with two files: their rows and contents stored, listed on its page, and downloaded as attachments', async () => {
    const pdf = pdfBytes('Payroll lessons');
    const response = await share([filePart('Payroll lessons.pdf', pdf), filePart('costs.csv', Buffer.from(CSV_TEXT))]);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const id = resourceIdFrom(response.headers.location);
    const files = await filesOf(id);
    expect(files).toMatchObject([
      { name: 'Payroll lessons.pdf', content_type: 'application/pdf', byte_size: pdf.length, storage_key: createHash('sha256').update(pdf).digest('hex'), uploaded_by: member.member.id },
      { name: 'costs.csv', content_type: 'text/csv', byte_size: Buffer.byteLength(CSV_TEXT) },
    ]);
    const blobs = await t.db.selectFrom('file_blobs').select('stored_at').where('sha256', 'in', files.map((file) => Buffer.from(file.storage_key, 'hex'))).execute();
    expect(blobs).toHaveLength(2);
    expect(blobs.every((blob) => blob.stored_at !== null)).toBe(true);
    expect(temporaryUploads(t)).toEqual([]);

    const page = await resourcePageOf(member.browser, id);
    expect(page).toContain(`<a href="${fileUrl(files[0]!)}"><bdi>Payroll lessons.pdf</bdi></a> <span class="meta">PDF,`);
    expect(page).toContain(`<a href="${fileUrl(files[1]!)}"><bdi>costs.csv</bdi></a> <span class="meta">CSV,`);

    const download = await member.browser.get(fileUrl(files[0]!));
    expect(download.statusCode).toBe(200);
    expect(download.headers).toMatchObject({ 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="Payroll lessons.pdf"', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox" });
    expect(download.rawPayload.equals(pdf)).toBe(true);
    const csv = await member.browser.get(fileUrl(files[1]!));
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body).toBe(CSV_TEXT);
  });

  it('stores each name cleaned: ../../etc/passwd, a NUL, a right-to-left override, 1,000 characters', async () => {
    const long = `${'Minutes of the steering committee '.repeat(30).slice(0, 996)}.pdf`;
    const response = await share([
      filePart('../../etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/bash\n')),
      filePart('cv.php\0.pdf', pdfBytes('cv')),
      filePart('invoice\u202Efdp.pdf', pdfBytes('invoice')),
      filePart(long, pdfBytes('minutes')),
    ]);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    const files = await filesOf(resourceIdFrom(response.headers.location));
    expect(files.map((file) => file.name)).toEqual(['passwd.txt', 'cv.php.pdf', 'invoicefdp.pdf', `${long.slice(0, 196).trimEnd()}.pdf`]);
    const download = await member.browser.get(fileUrl(files[2]!));
    expect(download.headers['content-disposition']).toBe('attachment; filename="invoicefdp.pdf"');
  });

  it('drops a file whose name carries CR/LF (the parser skips the part) and shares the rest, with no header injected', async () => {
    const crlf: FormPart = { name: 'files', filename: 'x', data: pdfBytes('crlf'), disposition: "form-data; name=\"files\"; filename*=UTF-8''a.pdf%0D%0ASet-Cookie%3A%20x%3Dy" };
    const response = await share([crlf, filePart('kept.pdf', pdfBytes('kept'))]);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(303);
    expect(response.headers['set-cookie']?.toString() ?? '').not.toContain('x=y');
    expect((await filesOf(resourceIdFrom(response.headers.location))).map((file) => file.name)).toEqual(['kept.pdf']);
  });
});

describe('a refused file: the form comes back filled in, the message on the files input, nothing written', () => {
  it.each([
    ['a file of 25 MB and 1 byte', filePart('big.pdf', { head: Buffer.from('%PDF-1.7\n'), size: MAX_BYTES + 1 }), 413, FILE_MESSAGES.tooLarge('big.pdf', MAX_BYTES)],
    ['a file of no bytes', filePart('empty.pdf', Buffer.alloc(0)), 422, FILE_MESSAGES.empty('empty.pdf')],
    ['a .pdf whose bytes are HTML', filePart('report.pdf', HOSTILE.html), 422, FILE_MESSAGES.refused('report.pdf', { reason: 'html' })],
    ['an SVG with script', filePart('logo.svg', HOSTILE.svg), 422, FILE_MESSAGES.refused('logo.svg', { reason: 'svg' })],
    ['a PNG/HTML polyglot', filePart('chart.png', HOSTILE.pngHtmlPolyglot), 422, '“chart.png” has web page or script code hidden in it'],
    ['a ZIP that is not an Office document', filePart('bundle.docx', HOSTILE.plainZip), 422, FILE_MESSAGES.refused('bundle.docx', { reason: 'not-office' })],
    ['an Office file declaring 10 GB inside', filePart('bomb.docx', HOSTILE.ooxmlBomb), 422, '“bomb.docx” is refused because its contents come to 10,241 MB once opened'],
    ['six files', filePart('a.pdf', pdfBytes()), 413, FILE_MESSAGES.tooManyFiles(5)],
  ])('%s', async (name, part, status, message) => {
    // Six copies of one good file for the last case; one file for the rest.
    const files = name === 'six files' ? Array.from({ length: 6 }, () => part) : [part];
    const response = await refused(() => share(files), status, message);
    expect(response.body).toContain('<h1>Share a resource</h1>');
    expect(response.body).toContain('value="Archiving social media posts"');
    expect(response.body).toMatch(/<p class="field__error" id="error-files">.*The files you chose were not saved: choose them again\./);
    expect(response.body).toContain('href="#field-files"');
  });

  it('shows a field’s message and a file’s together', async () => {
    const response = await refused(() => share([filePart('logo.svg', HOSTILE.svg)], good({ title: '' })), 422, M.titleRequired);
    expect(response.body).toContain(escapeLikeHandlebars(FILE_MESSAGES.refused('logo.svg', { reason: 'svg' })));
  });

  it('asks for good files again when the form goes back for its fields alone', async () => {
    const response = await refused(() => share([filePart('fine.pdf', pdfBytes())], good({ summary: '' })), 422, M.summaryRequired);
    expect(response.body).toContain(M.chooseFilesAgain);
  });
});

describe('a form broken or hostile as a whole: refused, nothing written', () => {
  const openForm = () => member.browser.openForm('/resources/new');
  const body = async (parts: FormPart[]) => new MultipartBody([{ name: '_csrf', value: (await openForm())._csrf! }, ...parts]);

  it('1,000 parts, and 1,000 fields (413)', async () => {
    const parts = Array.from({ length: 1000 }, (_, index) => filePart(`${index}.pdf`, pdfBytes()));
    await refused(async () => postMultipart(t.app, member.browser, '/resources/new', await body(parts)), 413, FILE_MESSAGES.tooManyParts);
    const fields = Array.from({ length: 1000 }, (_, index): FormPart => ({ name: `tag${index}`, value: 'x' }));
    await refused(async () => postMultipart(t.app, member.browser, '/resources/new', await body(fields)), 413, FILE_MESSAGES.tooManyParts);
  });

  it('a body shorter or longer than its Content-Length (400)', async () => {
    const form = await body([{ name: 'title', value: 'Archiving social media posts' }, filePart('a.pdf', pdfBytes())]);
    await refused(() => postMultipart(t.app, member.browser, '/resources/new', form, { 'content-length': String(form.length + 100) }), 400, FILE_MESSAGES.incomplete);
    await refused(() => postMultipart(t.app, member.browser, '/resources/new', form, { 'content-length': String(form.length - 100) }), 400, FILE_MESSAGES.incomplete);
  });

  it('no token, a wrong one, or the token after a file (403)', async () => {
    const { _csrf: _token, ...hidden } = await openForm();
    await refused(() => shareWithFiles(t.app, member.browser, good(), [filePart('a.pdf', pdfBytes())], hidden), 403, PAGE_MESSAGES.formExpired);
    await refused(() => shareWithFiles(t.app, member.browser, good(), [filePart('a.pdf', pdfBytes())], { ...hidden, _csrf: 'not-a-token' }), 403, PAGE_MESSAGES.formExpired);
    const late = new MultipartBody([filePart('a.pdf', pdfBytes()), { name: '_csrf', value: _token! }]);
    await refused(() => postMultipart(t.app, member.browser, '/resources/new', late), 403, PAGE_MESSAGES.formExpired);
  });

  it('a visitor (403)', async () => {
    const hidden = await openForm();
    await refused(() => shareWithFiles(t.app, new Browser(t.app), good(), [filePart('a.pdf', pdfBytes())], hidden), 403);
  });

  it('a file in an input the form does not have (400)', async () => {
    await refused(() => share([filePart('a.pdf', pdfBytes(), 'replace_1')]), 400, PAGE_MESSAGES.unexpectedField);
  });
});

describe('a form sent again with its files', () => {
  it('makes one resource with one set of files, however often and however fast it is sent', async () => {
    const hidden = await member.browser.openForm('/resources/new');
    const files = [filePart('twice.pdf', pdfBytes('twice')), filePart('twice.csv', Buffer.from('Agency,Sent\nFinance,Twice\n'))];
    const before = await fileRows(t.db);
    const responses = await Promise.all(Array.from({ length: 5 }, () => shareWithFiles(t.app, member.browser, good(), files, hidden)));
    expect(responses.map((response) => response.statusCode)).toEqual([303, 303, 303, 303, 303]);
    const ids = new Set(responses.map((response) => resourceIdFrom(response.headers.location)));
    expect(ids.size).toBe(1);
    expect((await filesOf([...ids][0]!)).map((file) => file.name)).toEqual(['twice.pdf', 'twice.csv']);
    const after = await fileRows(t.db);
    expect(after.files - before.files).toBe(2);
    expect(after.blobs - before.blobs).toBe(2);
    // Sent once more later, by Back and submit.
    expect((await shareWithFiles(t.app, member.browser, good(), files, hidden)).headers.location).toBe(`/resources/${[...ids][0]}`);
    expect(await fileRows(t.db)).toEqual(after);
  });

  it('a form whose token another member spent: shown again (422), its files neither attached nor kept', async () => {
    const hidden = await member.browser.openForm('/resources/new');
    expect((await shareWithFiles(t.app, member.browser, good(), [], hidden)).statusCode).toBe(303);
    const other = await memberWithBrowser(t.app, t.db);
    const { form_token: spent } = hidden;
    const otherForm = { ...(await other.browser.openForm('/resources/new')), form_token: spent! };
    await refused(() => shareWithFiles(t.app, other.browser, guideFields(other.member.agencyId), [filePart('stale.pdf', pdfBytes('stale form'))], otherForm), 422, PAGE_MESSAGES.formExpired);
  });
});
