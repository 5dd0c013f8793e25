import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNode, startServer, waitForOutput, type ServerProcess } from '../../support/process.js';
import { useTempDirs } from '../../support/temp-dirs.js';

/**
 * Stopping and starting Commons as an operator does: Ctrl-C must end the process even while a
 * client holds a request open, and a bad configuration is reported in one pass.
 */
const tempDir = useTempDirs('shutdown');
const running: ServerProcess[] = [];
const sockets: net.Socket[] = [];
afterAll(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
});

describe('Ctrl-C with a request still open', () => {
  it('cuts the straggler after the drain limit, exits 0, logs why and releases the lock', async () => {
    const dataDir = tempDir();
    // At debug, a request's start is logged: the test waits for it before pressing Ctrl-C.
    const { server, port } = await startServer({ DATA_DIR: dataDir, LOG_LEVEL: 'debug' }, running);
    expect(fs.existsSync(path.join(dataDir, 'commons.lock'))).toBe(true);

    // A slow client: it promises 1,000 bytes of form and sends a few, so the request stays open.
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /contact HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${port}\r\n` +
        `Origin: http://127.0.0.1:${port}\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\n' +
        'Content-Length: 1000\r\n' +
        '\r\n' +
        'name=Alex&subject=Still+typing',
    );
    await waitForOutput(server, '"method":"POST","url":"/contact"');

    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    await closed;
    const output = server.output();
    expect(output).toContain('requests still open after 10 s');
    expect(output).toContain('"msg":"stopped"');
    expect(output.indexOf('requests still open after 10 s')).toBeLessThan(output.indexOf('"msg":"stopped"'));
    expect(fs.existsSync(path.join(dataDir, 'commons.lock'))).toBe(false);
    expect(fs.readdirSync(dataDir).filter((name) => name.startsWith('commons.lock'))).toEqual([]);
  }, 90_000);
});

describe('a production start with bad and missing settings', () => {
  it('exits 1 with one line per problem, all of them in one run', async () => {
    const dataDir = tempDir();
    // Blank values count as unset: nothing from the developer's shell may fill a gap.
    const server = runNode('server.js', { NODE_ENV: 'production', PORT: 'abc', DATA_DIR: dataDir, CONTACT_EMAIL: '', TRUST_PROXY: '' });
    running.push(server);
    expect(await server.exited).toBe(1);
    const lines = server.output().split('\n');
    for (const variable of ['PORT', 'DATABASE_URL', 'SMTP_URL', 'SESSION_SECRET', 'PUBLIC_URL', 'CONTACT_EMAIL', 'TRUST_PROXY']) {
      expect(lines.filter((line) => line.trim().startsWith(`${variable}:`)), variable).toHaveLength(1);
    }
    expect(server.output()).not.toContain('Commons is ready');
  }, 30_000);
});
