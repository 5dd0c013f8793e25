import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FILE_MESSAGES } from '../../../../src/features/resources/files/messages.js';
import type { Browser } from '../../../support/app.js';
import { csrfOf, memberWithBrowser } from '../../../support/discussions.js';
import { CSV_TEXT, docxBytes, GIF_BYTES, HOSTILE, jpegBytes, odtBytes, pdfBytes, pngBytes, WEBP_BYTES, xlsxBytes, zipBytes } from '../../../support/file-fixtures.js';
import type { TestMember } from '../../../support/members.js';
import { buildUploadTestApp, type UploadTestApp, createPostRow, createResourceRow, csrfPart, fileRows, MultipartBody, PDF_HEAD, PDF_TAIL, postMultipart, temporaryUploads, UPLOAD_PROBE, type FormPart, type GeneratedBytes } from '../../../support/uploads.js';

let t: UploadTestApp;
let member: { member: TestMember; browser: Browser };
let csrf: string;
let resourceId: number;

beforeAll(async () => {
  t = await buildUploadTestApp();
  member = await memberWithBrowser(t.app, t.db);
  csrf = await csrfOf(member.browser);
  resourceId = await createResourceRow(t.db, member.member.id);
});
afterAll(async () => t.close());

const MB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const file = (filename: string, data: Buffer | GeneratedBytes, more: { contentType?: string; disposition?: string } = {}): FormPart => ({ name: 'files', filename, data, ...more });

function upload(parts: FormPart[], { owner = { name: 'resource_id', value: String(resourceId) }, headers = {} }: { owner?: FormPart; headers?: Record<string, string> } = {}) {
  return postMultipart(t.app, member.browser, UPLOAD_PROBE, new MultipartBody([csrfPart(csrf), owner, ...parts]), headers);
}

/** Once the answer is sent, no upload waits in the temporary directory. */
async function noTemporaryFiles() {
  await vi.waitFor(() => expect(temporaryUploads(t)).toEqual([]));
}

/** Runs a refused upload; checks its status, the problem on its field, and that it wrote nothing. */
async function refusedFile(parts: FormPart[], status: 413 | 422, message: string) {
  const before = await fileRows(t.db);
  const response = await upload(parts);
  expect(response.statusCode, response.body.slice(0, 300)).toBe(status);
  expect(response.json().problems).toEqual([{ field: 'files', message, status }]);
  expect(await fileRows(t.db)).toEqual(before);
  await noTemporaryFiles();
}

describe('POST with files: what is accepted', () => {
  it('stores every accepted type under its own type, name, size and dimensions', async () => {
    const first = [file('Report.pdf', pdfBytes()), file('costs.csv', Buffer.from(CSV_TEXT)), file('Lessons.docx', docxBytes()), file('Budget.xlsx', xlsxBytes()), file('Minutes.odt', odtBytes())];
    const second = [file('diagram.png', pngBytes({ width: 4, height: 3 })), file('photo.JPG', jpegBytes({ width: 40, height: 30 })), file('spinner.gif', GIF_BYTES), file('icon.webp', WEBP_BYTES.lossless), file('notes', Buffer.from('Plain notes.\n'))];
    for (const parts of [first, second]) {
      const response = await upload(parts);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().ids).toHaveLength(5);
    }
    const rows = await t.db.selectFrom('files').select(['name', 'content_type', 'byte_size', 'width', 'height', 'storage_key', 'resource_id', 'uploaded_by', 'position']).where('resource_id', '=', resourceId).orderBy('position').execute();
    expect(rows.map((row) => [row.name, row.content_type, row.width, row.height])).toEqual([
      ['Report.pdf', 'application/pdf', null, null],
      ['costs.csv', 'text/csv', null, null],
      ['Lessons.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', null, null],
      ['Budget.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', null, null],
      ['Minutes.odt', 'application/vnd.oasis.opendocument.text', null, null],
      ['diagram.png', 'image/png', 4, 3],
      ['photo.JPG', 'image/jpeg', 40, 30],
      ['spinner.gif', 'image/gif', 1, 1],
      ['icon.webp', 'image/webp', 1, 1],
      ['notes.txt', 'text/plain', null, null],
    ]);
    expect(rows[0]).toMatchObject({ byte_size: pdfBytes().length, storage_key: sha256(pdfBytes()), uploaded_by: member.member.id, position: 1 });
    expect(rows.map((row) => row.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await noTemporaryFiles();
  });

  it('ignores a file input left empty, as browsers send it', async () => {
    const before = await fileRows(t.db);
    const response = await upload([file('', Buffer.alloc(0)), file('kept.pdf', pdfBytes('kept')), file('', Buffer.alloc(0))]);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().ids).toHaveLength(1);
    expect((await fileRows(t.db)).files).toBe(before.files + 1);
  });

  it('stores the same bytes once, however often they are attached', async () => {
    const bytes = pdfBytes('Attached three times');
    const before = await fileRows(t.db);
    expect((await upload([file('a.pdf', bytes), file('b.pdf', bytes)])).statusCode).toBe(200);
    expect((await upload([file('c.pdf', bytes)], { owner: { name: 'post_id', value: String(await createPostRow(t.db, member.member.id)) } })).statusCode).toBe(200);
    expect(await fileRows(t.db)).toEqual({ files: before.files + 3, blobs: before.blobs + 1, chunks: before.chunks + 1 });
  });

  it('accepts a file of exactly 25 MB, streamed to disk and stored in 256 KB chunks', async () => {
    const before = await fileRows(t.db);
    const response = await upload([file('Annual report.pdf', { head: PDF_HEAD, size: 25 * MB, fill: 0x30, tail: PDF_TAIL })]);
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
    expect(await fileRows(t.db)).toEqual({ files: before.files + 1, blobs: before.blobs + 1, chunks: before.chunks + 100 });
    const expected = createHash('sha256').update(PDF_HEAD).update(Buffer.alloc(25 * MB - PDF_HEAD.length - PDF_TAIL.length, 0x30)).update(PDF_TAIL).digest('hex');
    const row = await t.db.selectFrom('files').select(['storage_key', 'byte_size']).where('id', '=', response.json().ids[0]).executeTakeFirstOrThrow();
    expect(row).toEqual({ storage_key: expected, byte_size: 25 * MB });
    await noTemporaryFiles();
  });

  it('keeps text fields as sent, NUL and all, for the route’s own checks to refuse', async () => {
    const before = await fileRows(t.db);
    const response = await upload([{ name: 'title', value: 'Shared\0payroll' }, file('a.pdf', pdfBytes())]);
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ problems: [], errors: { title: 'Title must not contain NUL characters' }, fields: { title: 'Shared\0payroll' } });
    expect(await fileRows(t.db)).toEqual(before);
    await noTemporaryFiles();
  });
});

describe('POST with files: each refused file is a problem on its field, and nothing is written', () => {
  it('a file of 25 MB and 1 byte (413)', async () => {
    await refusedFile([file('big.pdf', { head: Buffer.from('%PDF-1.7\n'), size: 25 * MB + 1 })], 413, '“big.pdf” is larger than 25 MB, the most a file may be.');
  });

  it('a file of no bytes', async () => {
    await refusedFile([file('empty.pdf', Buffer.alloc(0))], 422, '“empty.pdf” is empty.');
  });

  it('a .pdf whose bytes are HTML, whatever Content-Type the browser claims', async () => {
    await refusedFile([file('report.pdf', HOSTILE.html, { contentType: 'application/pdf' })], 422, FILE_MESSAGES.refused('report.pdf', { reason: 'html' }));
  });

  it('a .pdf that is a ZIP archive behind %PDF-, or a PDF with bytes after its end', async () => {
    const polyglot = Buffer.concat([Buffer.from('%PDF-'), zipBytes([{ name: 'payload.exe', data: 'MZ' }]), Buffer.from('\n%%EOF\n')]);
    await refusedFile([file('report.pdf', polyglot)], 422, '“report.pdf” starts like a PDF but is not one Commons accepts (it has a ZIP archive at its start). Save it as a PDF again and try again.');
    await refusedFile([file('report.pdf', Buffer.concat([pdfBytes(), Buffer.from('then more bytes')]))], 422, FILE_MESSAGES.refused('report.pdf', { reason: 'not-pdf', detail: 'it does not end as a PDF does' }));
  });

  it('an SVG with script, as .svg or claiming to be a PNG', async () => {
    await refusedFile([file('logo.svg', HOSTILE.svg, { contentType: 'image/svg+xml' })], 422, FILE_MESSAGES.refused('logo.svg', { reason: 'svg' }));
    await refusedFile([file('logo.png', HOSTILE.svg, { contentType: 'image/png' })], 422, FILE_MESSAGES.refused('logo.png', { reason: 'svg' }));
  });

  it('a PNG/HTML polyglot, and a PNG with script in a text chunk', async () => {
    const message = '“chart.png” has web page or script code hidden in it, which Commons does not accept. Save the image again and try again.';
    await refusedFile([file('chart.png', HOSTILE.pngHtmlPolyglot)], 422, message);
    await refusedFile([file('chart.png', HOSTILE.pngWithScriptChunk)], 422, message);
  });

  it('a program claiming to be a PNG', async () => {
    await refusedFile([file('photo.png', HOSTILE.exe, { contentType: 'image/png' })], 422, '“photo.png” is a program, which Commons does not accept.');
  });

  it('a ZIP that is not an Office document, named .zip or .docx', async () => {
    await refusedFile([file('bundle.zip', HOSTILE.plainZip)], 422, FILE_MESSAGES.refused('bundle.zip', { reason: 'not-office' }));
    await refusedFile([file('bundle.docx', HOSTILE.plainZip)], 422, FILE_MESSAGES.refused('bundle.docx', { reason: 'not-office' }));
  });

  it('an OOXML file whose entries declare 10 GB', async () => {
    await refusedFile([file('bomb.docx', HOSTILE.ooxmlBomb)], 422, '“bomb.docx” is refused because its contents come to 10,241 MB once opened; a document may come to at most 200 MB.');
  });

  it('an image declaring 50,000 × 50,000 pixels, and one cut short', async () => {
    await refusedFile([file('flood.png', pngBytes({ width: 50_000, height: 50_000, imageData: Buffer.alloc(64) }))], 422, FILE_MESSAGES.refused('flood.png', { reason: 'too-many-pixels', detail: '50,000 × 50,000 pixels' }));
    const png = pngBytes();
    await refusedFile([file('cut.png', png.subarray(0, png.length - 20))], 422, '“cut.png” is damaged or incomplete (it stops before its end). Save it again and try again.');
  });

  it('a name whose extension the bytes disagree with, right-to-left override and all', async () => {
    await refusedFile([file('scan.jpg', pngBytes())], 422, '“scan.jpg” is named as a .jpg file but is a PNG image. Rename it or choose the right file.');
    await refusedFile([file('minutes.docx', odtBytes())], 422, '“minutes.docx” is named as a .docx file but is an OpenDocument text. Rename it or choose the right file.');
    await refusedFile([file('invoice\u202Efdp.exe', pdfBytes())], 422, '“invoicefdp.exe” is named as a .exe file but is a PDF. Rename it or choose the right file.');
  });

  it('a sixth file (413), while the first five are not kept either', async () => {
    const parts = Array.from({ length: 6 }, (_, index) => file(`part-${index}.pdf`, pdfBytes(`part ${index}`)));
    await refusedFile(parts, 413, 'Attach at most 5 files at a time.');
  });

  it('every problem at once, each named', async () => {
    const before = await fileRows(t.db);
    const response = await upload([file('ok.pdf', pdfBytes()), file('empty.txt', Buffer.alloc(0)), { name: 'image', filename: 'page.png', data: HOSTILE.html }]);
    expect(response.statusCode).toBe(422);
    expect(response.json().problems.map((problem: { field: string }) => problem.field)).toEqual(['files', 'image']);
    expect(await fileRows(t.db)).toEqual(before);
    await noTemporaryFiles();
  });
});

describe('POST with files: hostile names are cleaned, never trusted', () => {
  async function storedName(part: FormPart): Promise<string> {
    const response = await upload([part]);
    expect(response.statusCode, response.body).toBe(200);
    const row = await t.db.selectFrom('files').select('name').where('id', '=', response.json().ids[0]).executeTakeFirstOrThrow();
    return row.name;
  }

  it('keeps the last path segment of ../../etc/passwd', async () => {
    expect(await storedName(file('../../etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/bash\n')))).toBe('passwd.txt');
    expect(await storedName(file('..\\..\\boot.ini', Buffer.from('[boot loader]\n'), { disposition: 'form-data; name="files"; filename="..\\\\..\\\\notes.txt"' }))).toBe('notes.txt');
  });

  it('strips a NUL, sent raw or percent-encoded', async () => {
    expect(await storedName(file('cv.php\0.pdf', pdfBytes()))).toBe('cv.php.pdf');
    expect(await storedName(file('x', pdfBytes(), { disposition: "form-data; name=\"files\"; filename*=UTF-8''cv.php%00.pdf" }))).toBe('cv.php.pdf');
  });

  it('strips a right-to-left override', async () => {
    expect(await storedName(file('report\u202Efdp.pdf', pdfBytes()))).toBe('reportfdp.pdf');
  });

  it('cuts a name of 1,000 characters to 200, keeping its extension', async () => {
    const name = await storedName(file(`${'Minutes of the steering committee '.repeat(30).slice(0, 996)}.pdf`, pdfBytes()));
    expect([...name]).toHaveLength(200);
    expect(name.endsWith('.pdf')).toBe(true);
  });

  it('drops a file whose name carries CR/LF (the parser skips the part), and stores the browser’s escaped form as text', async () => {
    const before = await fileRows(t.db);
    const skipped = await upload([file('x', pdfBytes(), { disposition: "form-data; name=\"files\"; filename*=UTF-8''a.pdf%0D%0ASet-Cookie%3A%20x%3Dy" })]);
    expect(skipped.statusCode).toBe(200);
    expect(skipped.json().ids).toEqual([]);
    expect(await fileRows(t.db)).toEqual(before);
    // Browsers send a line break in a name as %0D%0A, which is just text.
    expect(await storedName(file('a%0D%0ASet-Cookie: x.pdf', pdfBytes()))).toBe('a%0D%0ASet-Cookie: x.pdf');
  });
});
