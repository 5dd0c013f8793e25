import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * DATA_DIR holds the embedded database, the on-disk mailbox and a generated session secret.
 * It is private to the account that runs Commons: the mailbox holds live sign-in links.
 */
export function ensureDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
}

export class DataDirInUse extends Error {}

/**
 * One process per data directory: PGlite has no locking of its own, and two processes writing
 * one data directory would corrupt it. The lock holds the owner's pid; a lock left by a process
 * that no longer runs (a crash, a power cut) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, 'commons.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (fs.readFileSync(lockPath, 'utf8').trim() === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
    if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
      throw new DataDirInUse(
        `Another Commons process (pid ${owner}) is using the data directory ${dataDir}.\n` +
          'Stop it first (Ctrl-C in its terminal), or run this against PostgreSQL with DATABASE_URL.\n' +
          `If no such process runs, delete ${lockPath} and try again.`,
      );
    }
    fs.rmSync(lockPath, { force: true });
  }
  throw new DataDirInUse(`Could not lock the data directory ${dataDir}; another process keeps taking it.`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Development needs a session secret that survives restarts without anyone choosing one:
 * generate it once and keep it beside the data, readable by the owner only.
 */
export function readOrCreateSecret(dataDir: string): string {
  ensureDataDir(dataDir);
  const secretPath = path.join(dataDir, 'session-secret');
  try {
    const existing = fs.readFileSync(secretPath, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(48).toString('base64url');
  fs.writeFileSync(secretPath, `${secret}\n`, { mode: 0o600 });
  fs.chmodSync(secretPath, 0o600);
  return secret;
}
