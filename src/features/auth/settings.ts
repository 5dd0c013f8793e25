import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { endMemberSession, endOtherSessions } from './sessions.js';
import { updateMemberPassword } from './queries.js';
import { RECOVERY_PURPOSES, revokeTokens } from './tokens.js';

/** A member's own password and sessions, changed from the settings page. */

/**
 * The new password (checked against the policy by the caller), every other session of the
 * member ended and every reset or unlock link still in their mailbox spent, together.
 */
export async function changePassword(deps: Deps, memberId: number, password: string, currentPublicId: string | undefined, ipAddress: string): Promise<void> {
  const passwordHash = await deps.hasher.hash(password);
  await inTransaction(deps.db, async (trx) => {
    await updateMemberPassword(trx, memberId, passwordHash);
    const ended = await endOtherSessions(trx, memberId, currentPublicId);
    await revokeTokens(trx, RECOVERY_PURPOSES, { memberId });
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'password.changed', targetType: 'member', targetId: memberId, ipAddress, details: { sessionsEnded: ended } });
  });
}

/** Ends one of the member's sessions, with its audit row; false when there was none to end. */
export async function endSession(deps: Deps, memberId: number, publicId: string, ipAddress: string): Promise<boolean> {
  return inTransaction(deps.db, async (trx) => {
    if (!(await endMemberSession(trx, memberId, publicId))) return false;
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'session.ended', targetType: 'member', targetId: memberId, ipAddress });
    return true;
  });
}

/** "Sign out everywhere else": a member who suspects someone else also loses any link they could use to get back in. */
export async function endSessionsElsewhere(deps: Deps, memberId: number, currentPublicId: string | undefined, ipAddress: string): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const ended = await endOtherSessions(trx, memberId, currentPublicId);
    await revokeTokens(trx, RECOVERY_PURPOSES, { memberId });
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'session.ended_others', targetType: 'member', targetId: memberId, ipAddress, details: { ended } });
  });
}
