import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { hashDeviceId } from './devices.js';
import type { ParsedEmail } from './email-address.js';
import { spendHashingBudget } from './hashing-budget.js';
import { AUTH_MESSAGES } from './messages.js';
import { clearAddressSignInLocks, findMemberCredentials, insertAccountRequest, isKnownDevice, listMemberDeviceHashes, updateMemberPassword, type AccountRequest, type MemberCredentials } from './queries.js';
import { endOtherSessions } from './sessions.js';
import { accountFailureCounter, deviceKeyPrefix, deviceLockKey } from './signin.js';
import { consumeToken, issueToken, RECOVERY_PURPOSES, revokeTokens } from './tokens.js';

/**
 * Getting back in: a password reset (which also lifts a sign-in lock) and the unlock link a
 * lock sends. The person asking always sees the same page, member or not.
 */

/**
 * A request for a reset link: recorded, the same one statement for every address, and answered
 * by the mail worker (answerResetRequest), so its timing tells no one who is a member.
 */
export async function requestPasswordReset(deps: Pick<Deps, 'db'>, email: ParsedEmail, ipAddress: string, deviceId: string | undefined): Promise<void> {
  const deviceHash = deviceId === undefined ? null : hashDeviceId(deviceId);
  await insertAccountRequest(deps.db, { purpose: 'reset', email: email.address, canonicalEmail: email.canonical, guidelinesVersion: null, deviceHash, ipAddress });
}

/** The hourly budget of reset emails a request spends from: the member's, or their own browser's. */
function resetBudget(memberId: number, knownDeviceHash?: string): string {
  return knownDeviceHash ? `reset:${memberId}:device:${knownDeviceHash}` : `reset:${memberId}`;
}

/** The mail worker's answer to a reset request: a link to an active member, and nothing to anyone else. */
export async function answerResetRequest(deps: Deps, trx: Transaction<DB>, request: AccountRequest): Promise<void> {
  const member = await findMemberCredentials(trx, { canonicalEmail: request.canonicalEmail });
  if (!member || member.deactivatedAt) return;
  // Past 3 an hour, quietly send nothing. A browser the member has signed in from has a budget
  // of its own, so a stranger's requests cannot use up the member's (issue 15).
  const known = request.deviceHash !== null && (await isKnownDevice(trx, request.deviceHash, { id: member.id }));
  const { count } = await deps.counters.hit(resetBudget(member.id, known ? request.deviceHash! : undefined), 3600);
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
  const result = await inTransaction(deps.db, async (trx): Promise<ResetResult> => {
    const used = await consumeToken(trx, 'reset', token);
    const member = used?.memberId ? await findMemberCredentials(trx, { id: used.memberId }) : undefined;
    if (!member || member.deactivatedAt) return { ok: false, reason: 'invalid-link' };
    await updateMemberPassword(trx, member.id, passwordHash);
    await clearAddressSignInLocks(trx, member.canonicalEmail, deviceKeyPrefix(member.canonicalEmail));
    const sessionsEnded = await endOtherSessions(trx, member.id, undefined);
    await revokeTokens(trx, RECOVERY_PURPOSES, { memberId: member.id });
    await insertAuditEvent(trx, { actorMemberId: member.id, action: 'password.reset', targetType: 'member', targetId: member.id, ipAddress, details: { sessionsEnded } });
    return { ok: true as const, member };
  });
  if (result.ok) await clearAddressCounters(deps, result.member.canonicalEmail, result.member.id);
  return result;
}

/**
 * Once the member has shown they hold the mailbox (an unlock link, a completed reset), nothing
 * done before keeps them out: the counts of failed sign-ins and the reset budgets of the address
 * and of each of the member's browsers start again (the locks went with the change itself).
 */
async function clearAddressCounters(deps: Deps, canonicalEmail: string, memberId: number | null): Promise<void> {
  const devices = memberId === null ? [] : await listMemberDeviceHashes(deps.db, memberId);
  await deps.counters.clear([
    accountFailureCounter(canonicalEmail),
    ...devices.map((device) => accountFailureCounter(deviceLockKey(canonicalEmail, device))),
    ...(memberId === null ? [] : [resetBudget(memberId), ...devices.map((device) => resetBudget(memberId, device))]),
  ]);
}

export async function unlockSignIn(deps: Deps, token: string, ipAddress: string): Promise<boolean> {
  const used = await inTransaction(deps.db, async (trx) => {
    const valid = await consumeToken(trx, 'unlock', token);
    if (!valid) return undefined;
    await clearAddressSignInLocks(trx, valid.canonicalEmail, deviceKeyPrefix(valid.canonicalEmail));
    await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'signin.unlocked', targetType: 'member', targetId: valid.memberId ?? valid.canonicalEmail, ipAddress });
    return valid;
  });
  if (used) await clearAddressCounters(deps, used.canonicalEmail, used.memberId);
  return used !== undefined;
}
