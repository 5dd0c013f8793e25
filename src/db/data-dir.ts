import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * DATA_DIR holds the embedded database, the on-disk mailbox and a generated session secret.
 * It is private to the account that runs Commons: the mailbox holds live sign-in links.
 */
export function ensureDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const mode = fs.statSync(dataDir).mode;
  // Never take over a shared directory such as /tmp: refuse rather than change its mode.
  if (mode & 0o1022) throw new DataDirUnusable(`The data directory ${dataDir} is writable by other accounts; give Commons a directory of its own (DATA_DIR).`);
  fs.chmodSync(dataDir, 0o700);
}

/** The data directory cannot be used: shared with other accounts, or held by another process. */
export class DataDirUnusable extends Error {}
export class DataDirInUse extends DataDirUnusable {}

/**
 * One process per data directory: PGlite has no locking of its own, and two processes writing
 * one data directory would corrupt it. The lock holds the owner's pid; a lock left by a process
 * that no longer runs (a crash, a power cut) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, 'commons.lock');
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (tryLink(lockPath)) return () => releaseLock(lockPath);
    const owner = readOwner(lockPath);
    if (owner !== undefined && isRunning(owner)) throw inUse(dataDir, lockPath, owner);
    // Stale: move it aside under a unique name, so two processes taking over cannot both win;
    // whoever moved it checks it was still the stale one.
    const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      fs.renameSync(lockPath, aside);
    } catch {
      continue;
    }
    const moved = readOwner(aside);
    if (moved !== undefined && moved !== owner && isRunning(moved)) {
      fs.renameSync(aside, lockPath);
      throw inUse(dataDir, lockPath, moved);
    }
    fs.rmSync(aside, { force: true });
  }
  throw new DataDirInUse(`Could not lock the data directory ${dataDir}; another process keeps taking it.`);
}

/** Creates the lock with its content in one step: a hard link of a file already holding the pid. */
function tryLink(lockPath: string): boolean {
  const draft = `${lockPath}.${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(draft, `${process.pid}\n`, { mode: 0o600 });
  try {
    fs.linkSync(draft, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(draft, { force: true });
  }
}

function readOwner(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function releaseLock(lockPath: string): void {
  if (readOwner(lockPath) === process.pid) fs.rmSync(lockPath, { force: true });
}

function inUse(dataDir: string, lockPath: string, owner: number): DataDirInUse {
  return new DataDirInUse(
    `Another Commons process (pid ${owner}) is using the data directory ${dataDir}.\n` +
      'Stop it first (Ctrl-C in its terminal), or run this against PostgreSQL with DATABASE_URL.\n' +
      `A lock left by a process that has stopped is taken over by itself. Only if pid ${owner} is not Commons (the number went to another program after a crash) delete ${lockPath} and try again.`,
  );
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

/** SESSION_SECRET's values, or without it a secret kept in the data directory (sessions survive a restart). */
export function sessionSecretsFor(config: { sessionSecrets: string[] | undefined; dataDir: string }): string[] {
  return config.sessionSecrets ?? [readOrCreateSecret(config.dataDir)];
}
