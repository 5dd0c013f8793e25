import type { FastifyBaseLogger } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { claimDueEmails, failEmailsWaitingFor, markEmailAttemptFailed, markEmailSent, notTriedAfterRefusal, releaseEmails, type ClaimedEmail } from '../mail/outbox.js';
import { isPermanentFailure, isRecipientRefused, type MailTransport } from '../mail/transport.js';

/**
 * Sends what the outbox holds. Safe with several app instances: each claim takes rows no other
 * worker holds. Retries back off from 30 seconds, doubling to at most an hour apart, so the
 * default 32 attempts span a little over 24 hours of SMTP outage before an email is marked
 * failed (and stays listed, to be retried by `npm run mail -- retry`).
 */

const FIRST_RETRY_SECONDS = 30;
const MAX_RETRY_SECONDS = 3600;
// A claim is a lease on the whole batch, so the batch must be sent well within it: five
// emails at the worst case of the SMTP timeouts (about 25 s each) take 125 s of a 300 s lease.
const BATCH_SIZE = 5;
// A claimed email whose worker died is due again after this long.
const LEASE_SECONDS = 300;
// Recorded requests turned into emails before each batch is sent, and notification emails and
// digests (each) composed after it: the bound on how long composing holds up the next batch.
const COMPOSE_BATCH = 20;

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
  /**
   * Turns up to `limit` recorded requests into queued emails (membership's sign-up and reset
   * requests); returns how many it took. Run before each batch, so requests are answered at the
   * worker's pace, off the request path: how long a request took tells nothing of its answer.
   */
  compose?: (limit: number) => Promise<number>;
  /**
   * Composes up to `limit` notification emails and digests that have come due; returns the most
   * it took of either. Run after each batch is sent, so composing the morning's digests never
   * holds up a password reset already queued: each pass answers requests, sends a batch (the most
   * urgent first, mail/outbox.ts), and only then composes.
   */
  composeNotifications?: (limit: number) => Promise<number>;
  /**
   * What follows a hard bounce (the address refused for good), in the transaction that marks
   * the email failed and gives up on the others waiting for the address: the site records the
   * bounce on the member whose address it is, and the eligibility rule decides whether to
   * deactivate them (features/eligibility/bounces.ts).
   */
  onRecipientRefused?: (trx: Transaction<DB>, toAddress: string, error: string) => Promise<void>;
}

export class MailWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  // Set by stop(): the batch in hand is handed back rather than sent.
  private halting = false;

  constructor(private readonly options: MailWorkerOptions) {}

  start(): void {
    this.stopped = false;
    this.halting = false;
    this.schedule(0);
  }

  /** Look at the queue now (an email was just committed) rather than at the next poll. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops polling, finishes the email being sent and hands back the rest of the batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halting = true;
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
    let full: boolean;
    do {
      const answered = await this.composeRequests();
      const sent = await this.sendOnce();
      const composed = this.stopped ? 0 : await this.composeNotifications();
      full = sent === BATCH_SIZE || answered === COMPOSE_BATCH || composed === COMPOSE_BATCH;
    } while (full && !this.stopped);
  }

  /** Composes a batch of recorded requests and of notifications, then claims and sends one batch of emails; returns how many emails it claimed. */
  async runOnce(): Promise<number> {
    await this.composeRequests();
    await this.composeNotifications();
    return this.sendOnce();
  }

  /** Turns every recorded request and due notification into the email it calls for (or none), sending nothing; returns how many were composed. */
  async composeAll(): Promise<number> {
    let total = 0;
    for (let composed = await this.composeOnce(); composed > 0; composed = await this.composeOnce()) total += composed;
    return total;
  }

  private async composeOnce(): Promise<number> {
    return (await this.composeRequests()) + (await this.composeNotifications());
  }

  private async composeRequests(): Promise<number> {
    return (await this.options.compose?.(COMPOSE_BATCH)) ?? 0;
  }

  private async composeNotifications(): Promise<number> {
    return (await this.options.composeNotifications?.(COMPOSE_BATCH)) ?? 0;
  }

  private async sendOnce(): Promise<number> {
    const batch = await claimDueEmails(this.options.db, BATCH_SIZE, LEASE_SECONDS);
    // Addresses that refused an email of this batch for good, with the refusal: the batch's
    // other emails to them are given up on unsent, as the queued ones were.
    const refused = new Map<string, string>();
    for (const [index, email] of batch.entries()) {
      if (this.halting) {
        await releaseEmails(this.options.db, batch.slice(index));
        break;
      }
      const refusal = refused.get(email.to);
      if (refusal !== undefined) await markEmailAttemptFailed(this.options.db, email, notTriedAfterRefusal(refusal), null);
      else {
        const refusedNow = await this.deliver(email);
        if (refusedNow !== undefined) refused.set(email.to, refusedNow);
      }
    }
    return batch.length;
  }

  /** Sends one email; returns the refusal when its address refused it for good. */
  private async deliver(email: ClaimedEmail): Promise<string | undefined> {
    const { db, transport, maxAttempts, log } = this.options;
    try {
      await transport.send(email);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isRecipientRefused(error)) {
        await this.bounced(email, message);
        return message;
      }
      const giveUp = email.attempts >= maxAttempts || isPermanentFailure(error);
      await markEmailAttemptFailed(db, email, message, giveUp ? null : retryDelaySeconds(email.attempts));
      log.warn({ emailId: email.id, attempt: email.attempts, failed: giveUp, error: message }, giveUp ? 'email failed for good' : 'email will be retried');
      return undefined;
    }
    // Sent: if this mark fails, the lease runs out and the email goes again (at least once).
    await markEmailSent(db, email);
    log.info({ emailId: email.id }, transport.delivered);
    return undefined;
  }

  private async bounced(email: ClaimedEmail, message: string): Promise<void> {
    const { db, log, onRecipientRefused } = this.options;
    const others = await inTransaction(db, async (trx) => {
      await markEmailAttemptFailed(trx, email, message, null);
      const waiting = await failEmailsWaitingFor(trx, email.to, message);
      await onRecipientRefused?.(trx, email.to, message);
      return waiting;
    });
    log.warn({ emailId: email.id, attempt: email.attempts, failed: true, othersGivenUp: others, error: message }, 'the address refused the email for good');
  }
}
