import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { claimDueEmails, markEmailAttemptFailed, markEmailSent } from '../mail/outbox.js';
import { isPermanentFailure, type MailTransport } from '../mail/transport.js';

/**
 * Sends what the outbox holds. Safe with several app instances: each claim takes rows no other
 * worker holds. Retries back off from 30 seconds, doubling to at most an hour apart, so the
 * default 32 attempts span a little over 24 hours of SMTP outage before an email is marked
 * failed (and stays listed, to be retried by `npm run mail -- retry`).
 */

const FIRST_RETRY_SECONDS = 30;
const MAX_RETRY_SECONDS = 3600;
const BATCH_SIZE = 20;
// A claimed email whose worker died is due again after this long.
const LEASE_SECONDS = 120;

/** Seconds to wait after the given (1-based) failed attempt; up to 10% later, never earlier. */
export function retryDelaySeconds(attempt: number, jitter: number = Math.random()): number {
  const base = Math.min(FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempt - 1), MAX_RETRY_SECONDS);
  return Math.round(base * (1 + 0.1 * jitter));
}

export interface MailWorkerOptions {
  db: Kysely<DB>;
  transport: MailTransport;
  maxAttempts: number;
  pollSeconds: number;
  log: FastifyBaseLogger;
}

export class MailWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(private readonly options: MailWorkerOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Look at the queue now (an email was just committed) rather than at the next poll. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops polling and waits for the batch in hand to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = this.drain().catch((error: unknown) => {
      this.options.log.error({ err: error }, 'the mail worker could not read the queue');
    });
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    const more = this.again;
    this.again = false;
    this.schedule(more ? 0 : this.options.pollSeconds * 1000);
  }

  private async drain(): Promise<void> {
    let sent: number;
    do {
      sent = await this.runOnce();
    } while (sent === BATCH_SIZE && !this.stopped);
  }

  /** Claims and sends one batch; returns how many emails it handled. */
  async runOnce(): Promise<number> {
    const { db, transport, maxAttempts, log } = this.options;
    const batch = await claimDueEmails(db, BATCH_SIZE, LEASE_SECONDS);
    for (const email of batch) {
      try {
        await transport.send(email);
        await markEmailSent(db, email.id);
        log.info({ emailId: email.id }, 'email sent');
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const giveUp = email.attempts >= maxAttempts || isPermanentFailure(error);
        await markEmailAttemptFailed(db, email.id, message, giveUp ? null : retryDelaySeconds(email.attempts));
        log.warn({ emailId: email.id, attempt: email.attempts, failed: giveUp, error: message }, giveUp ? 'email failed for good' : 'email will be retried');
      }
    }
    return batch.length;
  }
}
