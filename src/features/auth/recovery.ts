import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import type { ParsedEmail } from './email-address.js';
import { spendHashingBudget } from './hashing-budget.js';
import { AUTH_MESSAGES } from './messages.js';
import { clearSignInLock, findMemberCredentials, insertAccountRequest, updateMemberPassword, type AccountRequest, type MemberCredentials } from './queries.js';
import { endOtherSessions } from './sessions.js';
import { consumeToken, issueToken, RECOVERY_PURPOSES, revokeTokens } from './tokens.js';

/**
 * Getting back in: a password reset (which also lifts a sign-in lock) and the unlock link a
 * lock sends. The person asking always sees the same page, member or not.
 */

/**
 * A request for a reset link: recorded, the same one statement for every address, and answered
 * by the mail worker (answerResetRequest), so its timing tells no one who is a member.
 */
export async function requestPasswordReset(deps: Pick<Deps, 'db'>, email: ParsedEmail, ipAddress: string): Promise<void> {
  await insertAccountRequest(deps.db, { purpose: 'reset', email: email.address, canonicalEmail: email.canonical, guidelinesVersion: null, ipAddress });
}

/** The mail worker's answer to a reset request: a link to an active member, and nothing to anyone else. */
export async function answerResetRequest(deps: Deps, trx: Transaction<DB>, request: AccountRequest): Promise<void> {
  const member = await findMemberCredentials(trx, { canonicalEmail: request.canonicalEmail });
  if (!member || member.deactivatedAt) return;
  // Past 3 an hour for one member, quietly send nothing.
  const { count } = await deps.counters.hit(`reset:${member.id}`, 3600);
  if (count > deps.config.rateLimit.resetsPerHour) return;
  const token = await issueToken(trx, 'reset', member.canonicalEmail, member.id);
  await deps.mail.queue(trx, 'auth-reset', { to: member.email, subject: AUTH_MESSAGES.resetSubject, links: { link: `/password/reset/${token}` } });
  await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'password.reset_requested', targetType: 'member', targetId: member.id, ipAddress: request.ipAddress });
}

export type ResetResult = { ok: true; member: MemberCredentials } | { ok: false; reason: 'invalid-link' } | { ok: false; reason: 'rate-limited'; retryAfterSeconds: number };

/**
 * Sets the new password, lifts any lock, ends every session of the member and spends every
 * other reset or unlock link, in one go. `password` was checked against the policy by the caller.
 */
export async function resetPassword(deps: Deps, token: string, password: string, ipAddress: string): Promise<ResetResult> {
  const retryAfterSeconds = await spendHashingBudget(deps, ipAddress);
  if (retryAfterSeconds !== undefined) return { ok: false, reason: 'rate-limited', retryAfterSeconds };
  const passwordHash = await deps.hasher.hash(password);
  return inTransaction(deps.db, async (trx) => {
    const used = await consumeToken(trx, 'reset', token);
    const member = used?.memberId ? await findMemberCredentials(trx, { id: used.memberId }) : undefined;
    if (!member || member.deactivatedAt) return { ok: false, reason: 'invalid-link' };
    await updateMemberPassword(trx, member.id, passwordHash);
    await clearSignInLock(trx, member.canonicalEmail);
    const sessionsEnded = await endOtherSessions(trx, member.id, undefined);
    await revokeTokens(trx, RECOVERY_PURPOSES, { memberId: member.id });
    await insertAuditEvent(trx, { actorMemberId: member.id, action: 'password.reset', targetType: 'member', targetId: member.id, ipAddress, details: { sessionsEnded } });
    return { ok: true, member };
  });
}

export async function unlockSignIn(deps: Deps, token: string, ipAddress: string): Promise<boolean> {
  return inTransaction(deps.db, async (trx) => {
    const used = await consumeToken(trx, 'unlock', token);
    if (!used) return false;
    await clearSignInLock(trx, used.canonicalEmail);
    await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'signin.unlocked', targetType: 'member', targetId: used.memberId ?? used.canonicalEmail, ipAddress });
    return true;
  });
}
