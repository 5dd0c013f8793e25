import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirInUse, ensureDataDir, lockDataDir, readOrCreateSecret } from '../../src/db/data-dir.js';
import { useTempDirs } from '../support/temp-dirs.js';

const tempDir = useTempDirs('datadir');

describe('the data directory', () => {
  it('is created readable by its owner only', () => {
    const dir = path.join(tempDir(), 'data');
    ensureDataDir(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('is locked to one process: a second lock is refused with a clear message', () => {
    const dir = tempDir();
    const unlock = lockDataDir(dir);
    // The lock holds this process's pid, so a second attempt finds a live owner.
    expect(() => lockDataDir(dir)).toThrow(DataDirInUse);
    expect(() => lockDataDir(dir)).toThrow(`Another Commons process (pid ${process.pid}) is using the data directory`);
    // As the README says: a stale lock is taken over, so deleting it is only for a reused pid.
    expect(() => lockDataDir(dir)).toThrow(`A lock left by a process that has stopped is taken over by itself. Only if pid ${process.pid} is not Commons`);
    unlock();
    lockDataDir(dir)();
  });

  it('takes over a lock left by a process that no longer runs', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'commons.lock'), '2147483646\n');
    const unlock = lockDataDir(dir);
    expect(fs.readFileSync(path.join(dir, 'commons.lock'), 'utf8').trim()).toBe(String(process.pid));
    unlock();
    expect(fs.existsSync(path.join(dir, 'commons.lock'))).toBe(false);
  });

  it('keeps a generated session secret at mode 0600 and reuses it', () => {
    const dir = tempDir();
    const secret = readOrCreateSecret(dir);
    expect(secret.length).toBeGreaterThanOrEqual(48);
    expect(fs.statSync(path.join(dir, 'session-secret')).mode & 0o777).toBe(0o600);
    expect(readOrCreateSecret(dir)).toBe(secret);
  });
});
