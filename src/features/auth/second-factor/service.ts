import { inTransaction } from '../../../db/transaction.js';
import type { Db } from '../../../db/types.js';
import type { Deps } from '../../../deps.js';
import { insertAuditEvent } from '../../../lib/audit.js';
import { clearSignInLock, findSignInLockedUntil, type MemberCredentials } from '../queries.js';
import { checkLikeSignIn } from '../signin.js';
import { claimTotpStep, countMemberFactors, deleteRecoveryCodes, deleteTotpFactor, findMemberFactors, findTotpSecret, insertTotpFactor, replaceRecoveryCodes, useRecoveryCode } from './queries.js';
import { hashRecoveryCode, matchingTotpStep, newRecoveryCodes } from './totp.js';

/**
 * A member's second factor: an authenticator app (TOTP) with ten recovery codes, and passkeys
 * (passkeys.ts). Each change is audited in the transaction that makes it.
 */

export type TotpEnrolment = { ok: true; recoveryCodes: string[] } | { ok: false; reason: 'wrong-code' | 'already-set-up' };

/** Sets up the app the member has just scanned, once they prove it with a code; the step that code used is spent. */
export async function enrolTotp(deps: Deps, memberId: number, secret: string, code: string, ipAddress: string): Promise<TotpEnrolment> {
  const step = matchingTotpStep(secret, code, deps.now());
  if (step === undefined) return { ok: false, reason: 'wrong-code' };
  const recoveryCodes = newRecoveryCodes();
  return inTransaction(deps.db, async (trx): Promise<TotpEnrolment> => {
    if (!(await insertTotpFactor(trx, memberId, secret, step))) return { ok: false, reason: 'already-set-up' };
    // Codes made with an earlier factor are replaced: only the newest set is ever shown.
    await replaceRecoveryCodes(trx, memberId, recoveryCodes.map(hashRecoveryCode));
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'second_factor.added', targetType: 'member', targetId: memberId, ipAddress, details: { after: 'totp' } });
    return { ok: true, recoveryCodes };
  });
}

/** Without any factor left, the recovery codes go too (they stand in for a factor, never alone). */
export async function dropCodesIfNoFactorLeft(trx: Db, memberId: number): Promise<void> {
  if ((await countMemberFactors(trx, memberId)) === 0) await deleteRecoveryCodes(trx, memberId);
}

export async function removeTotp(deps: Deps, memberId: number, ipAddress: string): Promise<boolean> {
  return inTransaction(deps.db, async (trx) => {
    if (!(await deleteTotpFactor(trx, memberId))) return false;
    await dropCodesIfNoFactorLeft(trx, memberId);
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'second_factor.removed', targetType: 'member', targetId: memberId, ipAddress, details: { before: 'totp' } });
    return true;
  });
}

/** A new set of ten, the old ones spent; undefined for a member with no factor (codes only back one up). */
export async function renewRecoveryCodes(deps: Deps, memberId: number, ipAddress: string): Promise<string[] | undefined> {
  const recoveryCodes = newRecoveryCodes();
  return inTransaction(deps.db, async (trx) => {
    if ((await countMemberFactors(trx, memberId)) === 0) return undefined;
    await replaceRecoveryCodes(trx, memberId, recoveryCodes.map(hashRecoveryCode));
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'recovery_codes.renewed', targetType: 'member', targetId: memberId, ipAddress });
    return recoveryCodes;
  });
}

export type SecondFactorCheck =
  | { ok: true; via: 'totp' }
  | { ok: true; via: 'recovery-code'; codesLeft: number }
  | { ok: false; reason: 'wrong' }
  | { ok: false; reason: 'locked'; until: Date }
  | { ok: false; reason: 'rate-limited'; retryAfterSeconds: number };

/**
 * A code typed at the second step or to confirm it is the member: six digits from their app
 * (each time-step once), or a recovery code (each once). Throttled and locked like a password,
 * under the member's address.
 */
export async function checkSecondFactorCode(deps: Deps, member: MemberCredentials, code: string, ipAddress: string): Promise<SecondFactorCheck> {
  const lockedUntil = await findSignInLockedUntil(deps.db, member.canonicalEmail);
  if (lockedUntil && lockedUntil > deps.now()) return { ok: false, reason: 'locked', until: lockedUntil };
  let via: 'totp' | 'recovery-code' = 'totp';
  const checked = await checkLikeSignIn(
    deps,
    member,
    ipAddress,
    async () => {
      if (/^[0-9]{6}$/.test(code)) {
        const secret = await findTotpSecret(deps.db, member.id);
        const step = secret === undefined ? undefined : matchingTotpStep(secret, code, deps.now());
        return step !== undefined && (await claimTotpStep(deps.db, member.id, step));
      }
      via = 'recovery-code';
      return inTransaction(deps.db, async (trx) => {
        if (!(await useRecoveryCode(trx, member.id, hashRecoveryCode(code), deps.now()))) return false;
        await insertAuditEvent(trx, { actorMemberId: member.id, action: 'second_factor.recovery_code_used', targetType: 'member', targetId: member.id, ipAddress });
        return true;
      });
    },
    { hashes: false },
  );
  if (!checked.ok) return checked;
  // As after a password: the failures before it no longer count toward the lock.
  await clearSignInLock(deps.db, member.canonicalEmail);
  if (via === 'totp') return { ok: true, via };
  return { ok: true, via, codesLeft: (await findMemberFactors(deps.db, member.id)).unusedRecoveryCodes };
}
