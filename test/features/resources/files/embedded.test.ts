import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl } from '../../../../src/features/resources/files/filename.js';
import { TEST_HOST, type Browser } from '../../../support/app.js';
import { createEmbeddedDatabase } from '../../../support/database.js';
import { csrfOf, memberWithBrowser } from '../../../support/discussions.js';
import type { TestMember } from '../../../support/members.js';
import { buildUploadTestApp, type UploadTestApp, createResourceRow, csrfPart, MultipartBody, PDF_HEAD, PDF_TAIL, postMultipart, UPLOAD_PROBE } from '../../../support/uploads.js';

/**
 * The embedded database has one connection for the whole site: an upload must never hold it
 * while bytes arrive, and a big file is stored and read in short statements that let every
 * other request through between them.
 */
let t: UploadTestApp;
let member: { member: TestMember; browser: Browser };
let resourceId: number;

beforeAll(async () => {
  t = await buildUploadTestApp({ database: await createEmbeddedDatabase() });
  member = await memberWithBrowser(t.app, t.db);
  resourceId = await createResourceRow(t.db, member.member.id);
});
afterAll(async () => t.close());

const MB = 1024 * 1024;

describe('uploads on the embedded database', () => {
  it('serves other pages while an upload trickles in', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as net.AddressInfo).port;
    const body = new MultipartBody([csrfPart(await csrfOf(member.browser)), { name: 'resource_id', value: String(resourceId) }, { name: 'files', filename: 'slow.pdf', data: { head: PDF_HEAD, size: 4000, tail: PDF_TAIL } }]);
    const bytes = body.toBuffer();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.write(`POST ${UPLOAD_PROBE} HTTP/1.1\r\nHost: ${TEST_HOST}\r\nOrigin: http://${TEST_HOST}\r\nCookie: ${member.browser.cookieHeader}\r\nContent-Type: ${body.contentType}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`);
    socket.write(bytes.subarray(0, 1000));

    // Half the file is in; pages that need the database answer meanwhile. Were the upload holding
    // the one connection, these would wait for the rest of the file, which is only sent after
    // them: the test would time out.
    for (let i = 0; i < 5; i += 1) expect((await member.browser.get('/c')).statusCode).toBe(200);
    expect(answer).toBe('');

    const closed = new Promise<void>((resolve) => socket.on('close', resolve));
    // Connection: close, so the server closes once it has answered.
    socket.write(bytes.subarray(1000));
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('stores and serves a 25 MB file in short statements', async () => {
    const response = await postMultipart(t.app, member.browser, UPLOAD_PROBE, new MultipartBody([csrfPart(await csrfOf(member.browser)), { name: 'resource_id', value: String(resourceId) }, { name: 'files', filename: 'big.pdf', data: { head: PDF_HEAD, size: 25 * MB, fill: 0x31, tail: PDF_TAIL } }]));
    expect(response.statusCode, response.body.slice(0, 200)).toBe(200);
    const id = response.json().ids[0] as number;
    const download = await member.browser.get(fileUrl({ id, name: 'big.pdf' }));
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.length).toBe(25 * MB);
    expect(download.rawPayload.subarray(0, 9).toString()).toBe('%PDF-1.7\n');
  });
});
