import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { removeStaleMembershipRows } from '../features/auth/housekeeping.js';
import type { FileStore } from '../features/resources/files/storage.js';
import { pruneSentEmails } from '../mail/outbox.js';
import { deleteExpiredSessions } from '../plugins/session.js';

/**
 * Housekeeping that keeps tables small: expired sessions, sent-email records past their
 * retention, membership rows past their use (sign-in locks, unfinished sign-ups, emailed
 * links), and stored file contents left unfinished or named by no file. Every instance may run
 * it; the deletes are idempotent.
 */
export async function runMaintenance(db: Kysely<DB>, fileStore: FileStore, mailRetentionDays: number, now: Date = new Date()) {
  const sessions = await deleteExpiredSessions(db, now);
  const emails = await pruneSentEmails(db, mailRetentionDays);
  const fileBlobs = await fileStore.removeAbandoned(now);
  return { sessions, emails, fileBlobs, ...(await removeStaleMembershipRows(db, now)) };
}

const HOURLY = 60 * 60 * 1000;
// Soon after start as well as hourly, so an instance restarted often still cleans up.
const FIRST_RUN_AFTER_MS = 60 * 1000;

export function scheduleMaintenance(db: Kysely<DB>, fileStore: FileStore, mailRetentionDays: number, log: FastifyBaseLogger): () => void {
  return scheduleHourly(
    () => runMaintenance(db, fileStore, mailRetentionDays),
    (removed) => log.info(removed, 'maintenance removed expired rows'),
    (error) => log.error({ err: error }, 'maintenance failed'),
  );
}

/** Runs a job soon after start and then hourly; returns what stops it. */
export function scheduleHourly<T>(job: () => Promise<T>, done: (result: T) => void, failed: (error: unknown) => void): () => void {
  const run = () => job().then(done, failed);
  const first = setTimeout(run, FIRST_RUN_AFTER_MS);
  const timer = setInterval(run, HOURLY);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
