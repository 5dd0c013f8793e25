import type { Deps } from '../../deps.js';
import { inTransaction } from '../../db/transaction.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { Refused } from '../../lib/errors.js';
import { retryFailedEmails } from '../../mail/outbox.js';
import type { Actor } from './actor.js';
import { ADMIN_MESSAGES as M } from './messages.js';
import { lockQueuedEmail } from './queries.js';

/**
 * Puts one failed email back in the queue with a fresh set of attempts, as `npm run mail -- retry ID`
 * does, and records who did. An email no longer failed (a second press, or retried meanwhile) is
 * left as it is: `retried` false, nothing written.
 */
export async function retryEmail(deps: Pick<Deps, 'db'>, emailId: number, actor: Actor): Promise<{ toDomain: string; retried: boolean }> {
  return inTransaction(deps.db, async (trx) => {
    const email = await lockQueuedEmail(trx, emailId);
    if (!email) throw new Refused(M.emailGone, '_form', 404);
    if (email.status !== 'failed') return { toDomain: email.to_domain, retried: false };
    await retryFailedEmails(trx, [email.id]);
    await insertAuditEvent(trx, {
      ...actor,
      action: 'mail.retried',
      targetType: 'outbound_email',
      targetId: email.id,
      details: { kind: email.kind, toDomain: email.to_domain, before: { status: 'failed', attempts: email.attempts }, after: { status: 'pending', attempts: 0 } },
    });
    return { toDomain: email.to_domain, retried: true };
  });
}
