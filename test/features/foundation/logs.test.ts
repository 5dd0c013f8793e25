import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLogLine, maskSecretsInUrl } from '../../../src/lib/logger.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createMember, signedInBrowser } from '../../support/members.js';
import { freePort, runNode, waitForOutput, type ServerProcess } from '../../support/process.js';

/** What an operator reads: one line per request, and words that say what happened. */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

/** The log lines written while `action` ran. */
async function linesDuring(action: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const before = t.logs.length;
  await action();
  return t.logs.slice(before);
}

describe('request logs', () => {
  it('writes one line at info per request, with method, path, status, time and request id', async () => {
    const lines = await linesDuring(() => new Browser(t.app).get('/contact'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'request', method: 'GET', url: '/contact', statusCode: 200, reqId: expect.any(String), responseTime: expect.any(Number) });
    expect(lines[0]!.memberId).toBeUndefined();
  });

  it('masks a secret in the path', async () => {
    const token = 'S3cr3tT0kenValue_abcdefghijklmnop';
    const lines = await linesDuring(() => new Browser(t.app).get(`/verify/${token}`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request', url: '/verify/[redacted]' });
    expect(JSON.stringify(lines)).not.toContain(token);
    // A URL the router cannot decode is refused before any of our hooks: still one masked line.
    const refused = await linesDuring(() => new Browser(t.app).get(`/verify/${token}%`));
    expect(refused).toEqual([expect.objectContaining({ msg: 'request', statusCode: 400, url: '/verify/[redacted]' })]);
  });

  it('names the signed-in member', async () => {
    const member = await createMember(t.db);
    const browser = await signedInBrowser(t.app, member, member.password);
    const lines = await linesDuring(() => browser.get('/settings'));
    expect(lines.filter((line) => line.msg === 'request')).toEqual([expect.objectContaining({ url: '/settings', statusCode: 200, memberId: member.id })]);
  });
});

describe('maskSecretsInUrl', () => {
  it('masks an escaped token path even when another part of the URL cannot be decoded', () => {
    const token = 'a'.repeat(43);
    expect(maskSecretsInUrl(`/%76erify/${token}?x=%FF`)).toBe('/verify/[redacted]?x=%FF');
    expect(maskSecretsInUrl(`/login?next=%2Fpassword%2Freset%2F${token}&y=%E0%A4`)).toBe('/login?next=/password/reset/[redacted]&y=%E0%A4');
  });
});

describe('mail logs', () => {
  it('says an email was written to the mailbox, not sent, when it was', async () => {
    const browser = new Browser(t.app);
    const hidden = await browser.openForm('/contact');
    await browser.post('/contact', { ...hidden, name: 'Alex Citizen', email: 'alex@finance.gov.au', subject: 'Mail logs', message: 'Which words does the log use?' });
    const lines = await linesDuring(() => t.app.mailWorker.runOnce());
    const messages = lines.map((line) => line.msg);
    expect(messages).toContain('email written to the mailbox');
    expect(messages).not.toContain('email sent');
  });
});

describe('LOG_FORMAT=pretty', () => {
  it('turns a request line and a message line into short readable lines', () => {
    expect(formatLogLine('{"level":30,"time":"2026-12-05T04:12:03.007Z","pid":1,"hostname":"h","reqId":"r","msg":"request","method":"GET","url":"/login","statusCode":200,"responseTime":4,"memberId":7}')).toBe('04:12:03 INFO  GET /login 200 4 ms member 7\n');
    expect(formatLogLine('{"level":40,"time":"2026-12-05T04:12:03.007Z","pid":1,"hostname":"h","emailId":3,"msg":"email will be retried"}')).toBe('04:12:03 WARN  email will be retried emailId=3\n');
  });

  it('keeps a decoded line break in a URL on its line, so a request cannot forge a log line', () => {
    const line = formatLogLine(JSON.stringify({ level: 30, time: '2026-12-05T04:12:03.007Z', msg: 'request', method: 'GET', url: '/x\n04:12:04 INFO  fake line', statusCode: 404, responseTime: 1 }));
    expect(line.split('\n')).toEqual(['04:12:03 INFO  GET /x\\u000a04:12:04 INFO  fake line 404 1 ms', '']);
  });

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-pretty-'));
  let server: ServerProcess | undefined;
  afterAll(() => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives a development server a readable console, with no JSON', async () => {
    const port = await freePort();
    server = runNode('server.js', { DATA_DIR: dataDir, PORT: String(port), LOG_FORMAT: 'pretty' });
    // A fresh embedded database: slow to start on a busy machine.
    await waitForOutput(server, 'Commons is ready', 90_000);
    await fetch(`http://127.0.0.1:${port}/`);
    await waitForOutput(server, 'GET / 200');
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    const lines = server.output().split('\n').filter(Boolean);
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(lines).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d INFO  Commons is ready at http:\/\/127\.0\.0\.1:\d+ url=/));
  }, 150_000);
});
