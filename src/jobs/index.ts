import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { FileStore } from '../features/resources/files/storage.js';
import type { MailTransport } from '../mail/transport.js';
import { scheduleHourly, scheduleMaintenance } from './maintenance.js';
import type { MailWorker } from './mail-worker.js';

export interface AppJobs {
  db: Kysely<DB>;
  fileStore: FileStore;
  mailWorker: MailWorker;
  transport: MailTransport;
  mailRetentionDays: number;
  /** Queues the reminders to re-confirm an address that falls due (features/eligibility/reminders.ts); returns how many. */
  remindToReconfirm: () => Promise<number>;
}

/** The background work of an app instance: the mail worker, the hourly housekeeping and the re-confirmation reminders. */
export function runJobsWithApp(app: FastifyInstance, { db, fileStore, mailWorker, transport, mailRetentionDays, remindToReconfirm }: AppJobs): void {
  let stopMaintenance: (() => void) | undefined;
  let stopReminders: (() => void) | undefined;
  app.addHook('onReady', async () => {
    mailWorker.start();
    stopMaintenance = scheduleMaintenance(db, fileStore, mailRetentionDays, app.log);
    stopReminders = scheduleHourly(
      remindToReconfirm,
      (reminded) => app.log.info({ reminded }, 'reminders to re-confirm an address queued'),
      (error) => app.log.error({ err: error }, 'the re-confirmation reminders could not be queued'),
    );
  });
  // Timers stop as shutdown begins; the worker once requests have drained.
  app.addHook('preClose', async () => {
    stopMaintenance?.();
    stopReminders?.();
  });
  app.addHook('onClose', async () => {
    await mailWorker.stop();
    await transport.close();
  });
}
