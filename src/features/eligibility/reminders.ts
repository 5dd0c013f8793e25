import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { formatDate } from '../../lib/time.js';
import { reconfirmationHeldFrom } from './due.js';
import { ELIGIBILITY_MESSAGES as M } from './messages.js';
import { claimMembersToRemind } from './queries.js';
import { SYSTEM_ACTOR } from './service.js';

const BATCH = 100;

/**
 * The scheduled job: reminds each member whose re-confirmation is two weeks off (or nearer, or
 * past: see due.ts), once per period. Each batch's claim, emails and audit rows are one transaction, so an email is queued
 * exactly when its member is marked reminded; several instances running it at once share the work.
 * Returns how many were reminded.
 */
export async function sendReconfirmationReminders(deps: Pick<Deps, 'db' | 'mail' | 'now' | 'settings'>): Promise<number> {
  const months = deps.settings.current.RECONFIRMATION_PERIOD_MONTHS;
  let total = 0;
  for (;;) {
    const reminded = await inTransaction(deps.db, async (trx) => {
      const now = deps.now();
      const members = await claimMembersToRemind(trx, now, months, BATCH);
      for (const member of members) {
        // The date the member is held from: this reminder's lead time on, for one already overdue.
        const dueAt = reconfirmationHeldFrom(member.verifiedAt, now, months)!;
        await deps.mail.queue(trx, 'eligibility-reminder', {
          to: member.email,
          subject: M.reminderSubject,
          data: { displayName: member.displayName, dueDate: formatDate(dueAt, deps.settings.current.TIME_ZONE) },
          links: { link: '/reconfirm' },
        });
        await insertAuditEvent(trx, { ...SYSTEM_ACTOR, action: 'member.reconfirmation_reminded', targetType: 'member', targetId: member.id, subjectMemberId: member.id, details: { dueAt: dueAt.toISOString() } });
      }
      return members.length;
    });
    total += reminded;
    if (reminded < BATCH) return total;
  }
}
