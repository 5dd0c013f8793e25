import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FILE_MESSAGES } from '../../../../src/features/resources/files/messages.js';
import { PAGE_MESSAGES } from '../../../../src/lib/messages.js';
import { Browser, TEST_HOST } from '../../../support/app.js';
import { csrfOf, memberWithBrowser } from '../../../support/discussions.js';
import { pdfBytes } from '../../../support/file-fixtures.js';
import type { TestMember } from '../../../support/members.js';
import { buildUploadTestApp, type UploadTestApp, createResourceRow, csrfPart, fileRows, MultipartBody, postMultipart, temporaryUploads, UPLOAD_PROBE, type FormPart } from '../../../support/uploads.js';

let t: UploadTestApp;
let member: { member: TestMember; browser: Browser };
let csrf: string;
let owner: { name: string; value: string };

beforeAll(async () => {
  t = await buildUploadTestApp();
  member = await memberWithBrowser(t.app, t.db);
  csrf = await csrfOf(member.browser);
  owner = { name: 'resource_id', value: String(await createResourceRow(t.db, member.member.id)) };
});
afterAll(async () => t.close());

const aFile: FormPart = { name: 'files', filename: 'report.pdf', data: pdfBytes() };
const decode = (html: string) => html.replace(/&#x27;/g, '’').replace(/&quot;/g, '"');

/** Runs a refused form; checks its status and page, and that it wrote nothing and left no upload behind. */
async function refusedForm(send: () => Promise<{ statusCode: number; body: string }>, status: number, message: string) {
  const before = await fileRows(t.db);
  const response = await send();
  expect(response.statusCode, response.body.slice(0, 300)).toBe(status);
  expect(decode(response.body)).toContain(message);
  expect(await fileRows(t.db)).toEqual(before);
  await vi.waitFor(() => expect(temporaryUploads(t)).toEqual([]));
}

const send = (parts: FormPart[], headers: Record<string, string> = {}, browser = member.browser) => postMultipart(t.app, browser, UPLOAD_PROBE, new MultipartBody(parts), headers);

describe('a multipart form’s token comes first, before any file is read', () => {
  it('refuses a form without a token, with a wrong one, or with the token after a file (403)', async () => {
    await refusedForm(() => send([owner, aFile]), 403, PAGE_MESSAGES.formExpired);
    await refusedForm(() => send([csrfPart('not-a-token'), owner, aFile]), 403, PAGE_MESSAGES.formExpired);
    await refusedForm(() => send([aFile, csrfPart(csrf), owner]), 403, PAGE_MESSAGES.formExpired);
    await refusedForm(() => send([]), 403, PAGE_MESSAGES.formExpired);
  });

  it('refuses a token from another session, and a visitor', async () => {
    const other = await memberWithBrowser(t.app, t.db);
    const otherToken = await csrfOf(other.browser);
    await refusedForm(() => send([csrfPart(otherToken), owner, aFile]), 403, PAGE_MESSAGES.formExpired);
    await refusedForm(() => send([csrfPart(csrf), owner, aFile], {}, new Browser(t.app)), 403, PAGE_MESSAGES.signInFirst);
  });

  it('refuses a form from another site before reading it', async () => {
    await refusedForm(() => send([csrfPart(csrf), owner, aFile], { origin: 'https://evil.example' }), 403, PAGE_MESSAGES.formExpired);
  });

  it('leaves other routes refusing multipart bodies unread (403)', async () => {
    const body = new MultipartBody([csrfPart(csrf), { name: 'name', value: 'Jane' }]);
    await refusedForm(() => postMultipart(t.app, member.browser, '/contact', body), 403, PAGE_MESSAGES.formExpired);
  });

  it('takes the same form urlencoded, with its token checked as any form’s, and nothing else', async () => {
    const accepted = await member.browser.post(UPLOAD_PROBE, { _csrf: csrf, resource_id: owner.value, title: 'No files this time' });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ ids: [], fields: { title: 'No files this time' } });
    await refusedForm(() => member.browser.post(UPLOAD_PROBE, { resource_id: '1' }), 403, PAGE_MESSAGES.formExpired);
    await refusedForm(() => member.browser.postRaw(UPLOAD_PROBE, '{}', { 'content-type': 'application/json' }), 415, 'The form was sent in a format Commons does not accept');
  });
});

describe('forms too big or too many-parted to read (413), refused whole', () => {
  it('1,000 parts', async () => {
    const parts = Array.from({ length: 1000 }, (_, index): FormPart => ({ name: 'files', filename: `${index}.pdf`, data: pdfBytes() }));
    await refusedForm(() => send([csrfPart(csrf), owner, ...parts]), 413, FILE_MESSAGES.tooManyParts);
  });

  it('1,000 fields', async () => {
    const fields = Array.from({ length: 1000 }, (_, index): FormPart => ({ name: `tag${index}`, value: 'x' }));
    await refusedForm(() => send([csrfPart(csrf), owner, ...fields, aFile]), 413, FILE_MESSAGES.tooManyParts);
  });

  it('21 file inputs, even empty ones', async () => {
    const inputs = Array.from({ length: 21 }, (): FormPart => ({ name: 'files', filename: '', data: Buffer.alloc(0) }));
    await refusedForm(() => send([csrfPart(csrf), owner, ...inputs]), 413, FILE_MESSAGES.tooManyParts);
  });

  it('a field over 128 KB, and fields over 1 MB together', async () => {
    await refusedForm(() => send([csrfPart(csrf), owner, { name: 'title', value: 'x'.repeat(128 * 1024 + 1) }, aFile]), 413, FILE_MESSAGES.fieldTooLong);
    const bodies = Array.from({ length: 9 }, (_, index): FormPart => ({ name: `section${index}`, value: 'y'.repeat(120 * 1024) }));
    await refusedForm(() => send([csrfPart(csrf), owner, ...bodies]), 413, FILE_MESSAGES.fieldTooLong);
  });

  it('a body declaring more than five files’ worth, before a byte is read', async () => {
    await refusedForm(() => send([csrfPart(csrf), owner, aFile], { 'content-length': String(200 * 1024 * 1024) }), 413, FILE_MESSAGES.requestTooLarge(5, 25 * 1024 * 1024));
  });
});

describe('bodies that are not what they claim (400), refused whole', () => {
  it('a body shorter or longer than its Content-Length', async () => {
    const body = new MultipartBody([csrfPart(csrf), owner, aFile]);
    await refusedForm(() => postMultipart(t.app, member.browser, UPLOAD_PROBE, body, { 'content-length': String(body.length + 100) }), 400, FILE_MESSAGES.incomplete);
    await refusedForm(() => postMultipart(t.app, member.browser, UPLOAD_PROBE, body, { 'content-length': String(body.length - 100) }), 400, FILE_MESSAGES.incomplete);
  });

  it('a multipart body without a boundary', async () => {
    const body = new MultipartBody([csrfPart(csrf), owner, aFile]);
    await refusedForm(() => postMultipart(t.app, member.browser, UPLOAD_PROBE, body, { 'content-type': 'multipart/form-data' }), 400, FILE_MESSAGES.incomplete);
  });

  it('a body cut off in the middle of a file, or without its closing boundary', async () => {
    const body = new MultipartBody([csrfPart(csrf), owner, aFile]);
    const cut = body.toBuffer().subarray(0, body.length - 200);
    const inject = (payload: Buffer) =>
      t.app.inject({ method: 'POST', url: UPLOAD_PROBE, headers: { host: TEST_HOST, origin: `http://${TEST_HOST}`, cookie: member.browser.cookieHeader, 'content-type': body.contentType }, payload });
    await refusedForm(() => inject(cut), 400, FILE_MESSAGES.incomplete);
    await refusedForm(() => inject(body.toBuffer().subarray(0, body.length - `--${body.boundary}--\r\n`.length)), 400, FILE_MESSAGES.incomplete);
  });

  it('a field that is not UTF-8, or is named like a prototype, or at length', async () => {
    const body = new MultipartBody([csrfPart(csrf), owner, { name: 'title', value: 'PLACEHOLDER' }]);
    // "Café" in Latin-1: a lone 0xE9 byte is not UTF-8.
    const bytes = Buffer.from(body.toBuffer().toString('latin1').replace('PLACEHOLDER', 'Caf\xe9'), 'latin1');
    await refusedForm(
      () => t.app.inject({ method: 'POST', url: UPLOAD_PROBE, headers: { host: TEST_HOST, origin: `http://${TEST_HOST}`, cookie: member.browser.cookieHeader, 'content-type': body.contentType }, payload: bytes }),
      400,
      PAGE_MESSAGES.invalidEncoding,
    );
    await refusedForm(() => send([csrfPart(csrf), owner, { name: '__proto__', value: 'x' }, aFile]), 400, PAGE_MESSAGES.unexpectedField);
    await refusedForm(() => send([csrfPart(csrf), owner, { name: 'x'.repeat(101), value: 'x' }, aFile]), 400, PAGE_MESSAGES.unexpectedField);
  });
});

describe('a failed transaction after storing', () => {
  it('leaves no file row, no stored contents and no chunk', async () => {
    await refusedForm(() => send([csrfPart(csrf), owner, { name: 'fail', value: 'yes' }, aFile, { name: 'files', filename: 'b.pdf', data: pdfBytes('another') }]), 409, 'Made to fail after attaching.');
  });

  it('keeps contents another file still names', async () => {
    expect((await send([csrfPart(csrf), owner, aFile])).statusCode).toBe(200);
    const before = await fileRows(t.db);
    await refusedForm(() => send([csrfPart(csrf), owner, { name: 'fail', value: 'yes' }, aFile]), 409, 'Made to fail after attaching.');
    expect(await fileRows(t.db)).toEqual(before);
  });
});

describe('over a real connection', () => {
  let port: number;
  beforeAll(async () => {
    // The app's requestTimeout is 60 s (server-options.ts), checked every 30 s by Node: shortened
    // here on the same server (Node checks headersTimeout with it), so a test waits a second for
    // what takes a minute in production.
    Object.assign(t.app.server, { requestTimeout: 1000, headersTimeout: 1000, connectionsCheckingInterval: 100 });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as net.AddressInfo).port;
  });

  /** Writes the head, then the body a few bytes at a time; resolves with everything the server answered once it closes. */
  function sendSlowly(head: string, body: Buffer, { bytesPerWrite = 1, everyMs = 50 } = {}): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      let at = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        socket.write(head);
        timer = setInterval(() => {
          if (at >= body.length || socket.destroyed) return clearInterval(timer);
          socket.write(body.subarray(at, at + bytesPerWrite));
          at += bytesPerWrite;
        }, everyMs);
      });
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve(answer);
      });
    });
  }

  const headOf = (body: MultipartBody, length = body.length) =>
    `POST ${UPLOAD_PROBE} HTTP/1.1\r\nHost: ${TEST_HOST}\r\nOrigin: http://${TEST_HOST}\r\nCookie: ${member.browser.cookieHeader}\r\nContent-Type: ${body.contentType}\r\nContent-Length: ${length}\r\n\r\n`;

  it('cuts a slow upload at the request timeout (408), and leaves nothing behind', async () => {
    const before = await fileRows(t.db);
    const body = new MultipartBody([csrfPart(csrf), owner, { name: 'files', filename: 'slow.pdf', data: { head: Buffer.from('%PDF-1.7\n'), size: 64 * 1024 } }]);
    // The token and the start of the file arrive at once; the rest at 20 bytes a second.
    const start = body.toBuffer();
    const answer = sendSlowly(headOf(body) + start.subarray(0, 400).toString('latin1'), start.subarray(400), { bytesPerWrite: 1, everyMs: 50 });
    // The file is being written to disk as it arrives...
    await vi.waitFor(() => expect(temporaryUploads(t)).toHaveLength(1));
    // ...until the server gives up on it.
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(await fileRows(t.db)).toEqual(before);
    await vi.waitFor(() => expect(temporaryUploads(t)).toEqual([]));
  });

  it('answers a body longer than its Content-Length with 400 (the server reads only what was declared)', async () => {
    const before = await fileRows(t.db);
    const logged = t.logs.length;
    const body = new MultipartBody([csrfPart(csrf), owner, aFile]);
    // The body is cut short of its closing boundary, and the rest reads as a request of its own.
    const answer = await sendSlowly(headOf(body, body.length - 30), body.toBuffer(), { bytesPerWrite: body.length, everyMs: 1 });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).not.toMatch(/HTTP\/1\.1 5\d\d/);
    expect(t.logs.slice(logged).filter((line) => Number(line.level) >= 50)).toEqual([]);
    expect(await fileRows(t.db)).toEqual(before);
    await vi.waitFor(() => expect(temporaryUploads(t)).toEqual([]));
  });
});
