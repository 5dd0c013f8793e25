import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { MailTransport } from '../mail/transport.js';
import { scheduleMaintenance } from './maintenance.js';
import type { MailWorker } from './mail-worker.js';

/** The background work of an app instance: the mail worker and the hourly housekeeping. */
export function runJobsWithApp(app: FastifyInstance, { db, mailWorker, transport, mailRetentionDays }: { db: Kysely<DB>; mailWorker: MailWorker; transport: MailTransport; mailRetentionDays: number }): void {
  let stopMaintenance: (() => void) | undefined;
  app.addHook('onReady', async () => {
    mailWorker.start();
    stopMaintenance = scheduleMaintenance(db, mailRetentionDays, app.log);
  });
  // Timers stop as shutdown begins; the worker once requests have drained.
  app.addHook('preClose', async () => stopMaintenance?.());
  app.addHook('onClose', async () => {
    await mailWorker.stop();
    await transport.close();
  });
}
