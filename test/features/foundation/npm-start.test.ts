import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runNpm, waitForOutput, type ServerProcess } from '../../support/process.js';

/**
 * A supervisor that started Commons with `npm start` stops it by signalling npm's process, the
 * only one it knows. The signal must reach the server: a shell between npm and node would take
 * it and leave the server running, still holding its port and the data directory.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-npm-start-'));
let npm: ServerProcess | undefined;
const lockPath = path.join(dataDir, 'commons.lock');
afterAll(() => {
  if (npm?.child.exitCode === null) npm.child.kill('SIGKILL');
  // A server the signal never reached still holds the lock, with its pid in it.
  if (fs.existsSync(lockPath)) process.kill(Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10), 'SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('npm start under a supervisor', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops the server when npm alone gets %s', async (signal) => {
    const port = await freePort();
    // --ignore-scripts skips prestart (the build, which the test setup has done), not start itself:
    // the process tree under test is the one `npm start` runs.
    npm = runNpm(['start', '--ignore-scripts'], { DATA_DIR: dataDir, PORT: String(port) });
    await waitForOutput(npm, 'Commons is ready', 90_000);

    npm.child.kill(signal);
    await npm.exited;
    // The server shut down in order before npm exited: its port is closed and its lock released.
    expect(await portIsClosed(port)).toBe(true);
    expect(fs.existsSync(lockPath)).toBe(false);
  }, 150_000);
});
