import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import type { FieldErrors } from '../../lib/forms.js';
import { dayIn, startOfDayIn } from '../../lib/time.js';
import { endOtherSessions } from '../auth/sessions.js';
import { MODERATION_MESSAGES as M } from './messages.js';
import { findModeratedMember } from './queries/members.js';
import { checkMayActOn, type Moderator } from './staff.js';

/**
 * When a suspension ending on `until` (a day in the site's zone) ends: at the start of that day
 * there, the day the member may sign in again. It must be after today there and at most a year
 * from today (a suspension is a pause, not a quiet removal: that is deactivation's job).
 */
export function suspensionEnd(deps: Pick<Deps, 'settings' | 'now'>, until: string): { ok: true; endsAt: Date } | { ok: false; errors: FieldErrors } {
  const today = dayIn(deps.now(), deps.settings.current.TIME_ZONE);
  const yearAhead = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;
  if (until <= today) return { ok: false, errors: { until: M.endDateNotFuture } };
  if (until > yearAhead) return { ok: false, errors: { until: M.endDateTooFar } };
  return { ok: true, endsAt: startOfDayIn(until, deps.settings.current.TIME_ZONE) };
}

export function isSuspended(member: { suspendedUntil: Date | null }, now: Date): boolean {
  return member.suspendedUntil !== null && member.suspendedUntil > now;
}

export type SuspendResult = { kind: 'suspended'; displayName: string; endsAt: Date } | { kind: 'invalid'; errors: FieldErrors } | { kind: 'already-suspended'; displayName: string; endsAt: Date };

/**
 * Suspends a member until a day, ending every session they have, with its audit row, in one
 * transaction. The same suspension sent twice (a double submit) is answered as done and writes
 * nothing more; a different one while suspended is refused, so one cannot quietly replace another.
 */
export async function suspendMember(deps: Pick<Deps, 'db' | 'settings' | 'now'>, moderator: Moderator, memberId: number, form: { until: string; reason: string }): Promise<SuspendResult> {
  return inTransaction(deps.db, async (trx) => {
    const member = checkMayActOn(moderator, await findModeratedMember(trx, memberId, { forUpdate: true }));
    const end = suspensionEnd(deps, form.until);
    if (!end.ok) return { kind: 'invalid', errors: end.errors };
    if (isSuspended(member, deps.now())) {
      const same = member.suspendedUntil!.getTime() === end.endsAt.getTime() && member.suspensionReason === form.reason;
      return same ? { kind: 'suspended', displayName: member.displayName, endsAt: end.endsAt } : { kind: 'already-suspended', displayName: member.displayName, endsAt: member.suspendedUntil! };
    }
    await trx.updateTable('members').set({ suspended_until: end.endsAt, suspension_reason: form.reason, updated_at: sql`now()` }).where('id', '=', member.id).execute();
    const sessionsEnded = await endOtherSessions(trx, member.id, undefined);
    await insertAuditEvent(trx, {
      actorMemberId: moderator.id,
      ipAddress: moderator.ipAddress,
      action: 'member.suspended',
      targetType: 'member',
      targetId: member.id,
      subjectMemberId: member.id,
      details: { reason: form.reason, before: { suspendedUntil: null }, after: { suspendedUntil: end.endsAt.toISOString() }, sessionsEnded },
    });
    return { kind: 'suspended', displayName: member.displayName, endsAt: end.endsAt };
  });
}

export type LiftResult = { kind: 'lifted'; displayName: string } | { kind: 'not-suspended'; displayName: string };

/** Ends a suspension before its day, with its audit row; one already over is left as it is. */
export async function liftSuspension(deps: Pick<Deps, 'db' | 'now'>, moderator: Moderator, memberId: number): Promise<LiftResult> {
  return inTransaction(deps.db, async (trx) => {
    const member = checkMayActOn(moderator, await findModeratedMember(trx, memberId, { forUpdate: true }));
    if (!isSuspended(member, deps.now())) return { kind: 'not-suspended', displayName: member.displayName };
    await trx.updateTable('members').set({ suspended_until: null, suspension_reason: null, updated_at: sql`now()` }).where('id', '=', member.id).execute();
    await insertAuditEvent(trx, {
      actorMemberId: moderator.id,
      ipAddress: moderator.ipAddress,
      action: 'member.unsuspended',
      targetType: 'member',
      targetId: member.id,
      subjectMemberId: member.id,
      details: { before: { suspendedUntil: member.suspendedUntil!.toISOString(), reason: member.suspensionReason }, after: { suspendedUntil: null } },
    });
    return { kind: 'lifted', displayName: member.displayName };
  });
}
