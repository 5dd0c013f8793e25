import { createHash } from 'node:crypto';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { Overloaded } from '../../lib/errors.js';
import { isAdminEmail } from './admin-emails.js';
import { hashDeviceId } from './devices.js';
import { parseWorkEmail } from './email-address.js';
import { spendHashingBudget } from './hashing-budget.js';
import { AUTH_MESSAGES } from './messages.js';
import { normalisePassword, PASSWORD_LIMITS } from './password-policy.js';
import {
  claimSignInAttempt,
  clearSignInLock,
  countSignInFailure,
  findMemberCredentials,
  findSignInLockedUntil,
  hasRoleSetByHand,
  isKnownDevice,
  lockSignIn,
  recordSignIn,
  releaseSignInAttempt,
  updateMemberPassword,
  updateMemberRole,
  type MemberCredentials,
  type SignInClaim,
} from './queries.js';
import { issueToken } from './tokens.js';
import { deactivateIfNoLongerAdmitted } from '../eligibility/service.js';

/**
 * Sign-in, with failures counted per submitted address whether or not it belongs to a member,
 * so neither the answer nor a lock reveals who is a member (SECURITY.md, the bar item 4).
 */
export const LOCK_AFTER_FAILURES = 5;
const FIRST_LOCK_SECONDS = 15 * 60;
export const MAX_LOCK_SECONDS = 24 * 60 * 60;

export type SignInResult =
  | { ok: true; member: MemberCredentials }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; until: Date }
  | { ok: false; reason: 'suspended'; until: Date; why: string }
  | { ok: false; reason: 'deactivated'; why: string | null }
  | { ok: false; reason: 'rate-limited'; retryAfterSeconds: number };

export interface SignInAttempt {
  email: unknown;
  password: unknown;
  ipAddress: string;
  /** The browser's device cookie, if it has one. */
  deviceId?: string | undefined;
}

/**
 * The key failures are counted under: the canonical address, or for anything that is not an
 * address a hash of it (never a member's, so nothing leaks; and a password typed into the email
 * box, or a NUL PostgreSQL cannot store, never reaches the database).
 */
function attemptKey(email: unknown): { key: string; canonical: string | undefined } {
  const parsed = parseWorkEmail(email);
  if (parsed.ok) return { key: parsed.canonical, canonical: parsed.canonical };
  const typed = typeof email === 'string' ? email.trim().toLowerCase() : JSON.stringify(email ?? null);
  return { key: `invalid:${createHash('sha256').update(typed).digest('base64url')}`, canonical: undefined };
}

/**
 * A browser the member has signed in from before has its attempts counted under a key of its
 * own, so it gets past a lock and a failure limit that someone else's guesses caused, and is
 * locked only by its own failures (issue 15: a stranger could keep a member out). A space never
 * appears in an address, so the keys of an address's browsers all start with this.
 */
export function deviceKeyPrefix(canonicalEmail: string): string {
  return `${canonicalEmail} device `;
}

export function deviceLockKey(canonicalEmail: string, deviceHash: string): string {
  return `${deviceKeyPrefix(canonicalEmail)}${deviceHash}`;
}

/** The key a sign-in attempt's failures and lock go under: its browser's, when the member knows it. */
async function lockKey(deps: Deps, attempt: SignInAttempt): Promise<{ key: string; canonical: string | undefined }> {
  const address = attemptKey(attempt.email);
  if (!address.canonical || !attempt.deviceId) return address;
  const deviceHash = hashDeviceId(attempt.deviceId);
  if (!(await isKnownDevice(deps.db, deviceHash, { canonicalEmail: address.canonical }))) return address;
  return { key: deviceLockKey(address.canonical, deviceHash), canonical: address.canonical };
}

/**
 * Failures, not successes, count toward the limits (NIST SP 800-63B throttles failed attempts),
 * so a department signing in through one gateway is never refused for signing in; every attempt
 * from a client address counts toward a generous cap for abuse. Trusted ranges are exempt from
 * both per-address limits.
 */
const LIMIT_WINDOW_SECONDS = 3600;

/** The counter of failed sign-ins for an address (or one of its browsers, deviceKeyPrefix). */
export function accountFailureCounter(key: string): string {
  return `signin:failures:account:${key}`;
}

/** What failures are counted under: the submitted address, and the client's unless trusted. */
function failureKeys(deps: Deps, key: string, ipAddress: string): string[] {
  return deps.isTrustedAddress(ipAddress) ? [accountFailureCounter(key)] : [`signin:failures:ip:${ipAddress}`, accountFailureCounter(key)];
}

/** Seconds until the next attempt may be made, or undefined when this one may go ahead. */
async function refusedFor(deps: Deps, keys: string[], attemptFrom?: string): Promise<number | undefined> {
  const { signinAttemptsPerHour, signinFailuresPerHour } = deps.config.rateLimit;
  if (attemptFrom !== undefined && !deps.isTrustedAddress(attemptFrom)) {
    const attempts = await deps.counters.hit(`signin:attempts:ip:${attemptFrom}`, LIMIT_WINDOW_SECONDS);
    if (attempts.count > signinAttemptsPerHour) return attempts.resetInSeconds;
  }
  for (const key of keys) {
    const failures = await deps.counters.peek(key, LIMIT_WINDOW_SECONDS);
    if (failures.count >= signinFailuresPerHour) return failures.resetInSeconds;
  }
  return undefined;
}

async function countFailure(deps: Deps, keys: string[]): Promise<void> {
  for (const key of keys) await deps.counters.hit(key, LIMIT_WINDOW_SECONDS);
}

function unlessOverloaded(error: unknown): undefined {
  if (error instanceof Overloaded) return undefined;
  throw error;
}

export function lockSeconds(lockCount: number): number {
  return Math.min(FIRST_LOCK_SECONDS * 2 ** Math.max(0, lockCount - 1), MAX_LOCK_SECONDS);
}

export async function signIn(deps: Deps, attempt: SignInAttempt): Promise<SignInResult> {
  const { key, canonical } = await lockKey(deps, attempt);
  const limited = failureKeys(deps, key, attempt.ipAddress);
  const retryAfterSeconds = await refusedFor(deps, limited, attempt.ipAddress);
  if (retryAfterSeconds !== undefined) return { ok: false, reason: 'rate-limited', retryAfterSeconds };

  const lockedUntil = await findSignInLockedUntil(deps.db, key);
  if (lockedUntil && lockedUntil > deps.now()) return { ok: false, reason: 'locked', until: lockedUntil };
  const hashWait = await spendHashingBudget(deps, attempt.ipAddress);
  if (hashWait !== undefined) return { ok: false, reason: 'rate-limited', retryAfterSeconds: hashWait };
  // Taken before the password is checked: of a burst sent at once, only the lock's allowance is checked.
  const claim = await claimSignInAttempt(deps.db, key, deps.now());
  if (!claim || claim.consecutiveFailures > LOCK_AFTER_FAILURES) {
    return { ok: false, reason: 'locked', until: (await findSignInLockedUntil(deps.db, key)) ?? new Date(deps.now().getTime() + lockSeconds(claim ? claim.lockCount + 1 : 1) * 1000) };
  }

  const member = canonical ? await findMemberCredentials(deps.db, { canonicalEmail: canonical }) : undefined;
  // Same work for every address: a real hash (a deactivated member's too), or the dummy one made at start-up.
  const password = typeof attempt.password === 'string' && attempt.password.length <= PASSWORD_LIMITS.max * 4 ? normalisePassword(attempt.password) : undefined;
  let verified: boolean;
  try {
    verified = password !== undefined && (member ? await deps.hasher.verify(member.passwordHash, password) : await deps.hasher.verifyDummy(password));
  } catch (error) {
    // Not checked (hashing overloaded): the attempt is no failure of the person's.
    await releaseSignInAttempt(deps.db, key);
    throw error;
  }

  if (!verified || !member || password === undefined) {
    await countFailure(deps, limited);
    await recordFailure(deps, key, member, attempt.ipAddress, claim);
    return { ok: false, reason: 'invalid' };
  }
  // Told why only once the password is right: to a guesser a deactivated member is any address.
  if (member.deactivatedAt) {
    await clearSignInLock(deps.db, key);
    return { ok: false, reason: 'deactivated', why: member.deactivationReason };
  }
  if (await deactivateIfNoLongerAdmitted(deps, member)) {
    await clearSignInLock(deps.db, key);
    return { ok: false, reason: 'deactivated', why: 'domain_not_admitted' };
  }
  const active = member;
  // Told only to someone who knew the password: to anyone else a suspended member is any address.
  if (active.suspendedUntil && active.suspendedUntil > deps.now()) {
    await clearSignInLock(deps.db, key);
    return { ok: false, reason: 'suspended', until: active.suspendedUntil, why: active.suspensionReason ?? '' };
  }
  // Hashed before the transaction: no transaction waits on argon2. When hashing is too busy the
  // member is still signed in, and the rehash waits for their next sign-in.
  const rehashed = deps.hasher.needsRehash(active.passwordHash) ? await deps.hasher.hash(password).catch(unlessOverloaded) : undefined;
  const promote = isAdminEmail(deps.config, active.canonicalEmail) && active.role !== 'administrator' && !(await hasRoleSetByHand(deps.db, active.id));
  await inTransaction(deps.db, async (trx) => {
    await clearSignInLock(trx, key);
    if (rehashed) await updateMemberPassword(trx, active.id, rehashed);
    await recordSignIn(trx, active.id);
    await insertAuditEvent(trx, { actorMemberId: active.id, action: 'signin.succeeded', targetType: 'member', targetId: active.id, ipAddress: attempt.ipAddress });
    // ADMIN_EMAILS promotes at sign-in too; taking an address out never demotes, and a role an
    // operator set by hand (`npm run admin -- grant/revoke`) stays as set.
    if (promote) {
      await updateMemberRole(trx, active.id, 'administrator');
      await insertAuditEvent(trx, { actorLabel: 'ADMIN_EMAILS', action: 'role.granted', targetType: 'member', targetId: active.id, details: { from: active.role, to: 'administrator' } });
    }
  });
  return { ok: true, member: promote ? { ...active, role: 'administrator' } : active };
}

export type ThrottledCheck = { ok: true } | { ok: false; reason: 'wrong' } | { ok: false; reason: 'rate-limited'; retryAfterSeconds: number };
export type CurrentPasswordCheck = ThrottledCheck;

/**
 * A check of something only the member should know (their password, a code from their
 * authenticator app), limited and counted like a sign-in: failures count toward the address's
 * hourly limit and its lock, so a stolen session cannot be used to guess (or, for a password,
 * to keep argon2 busy for everyone else).
 */
export async function checkLikeSignIn(deps: Deps, member: MemberCredentials, ipAddress: string, check: () => Promise<boolean>, { hashes }: { hashes: boolean }): Promise<ThrottledCheck> {
  const limited = [accountFailureCounter(member.canonicalEmail)];
  const retryAfterSeconds = (await refusedFor(deps, limited)) ?? (hashes ? await spendHashingBudget(deps, ipAddress) : undefined);
  if (retryAfterSeconds !== undefined) return { ok: false, reason: 'rate-limited', retryAfterSeconds };
  if (await check()) return { ok: true };
  await countFailure(deps, limited);
  await recordFailure(deps, member.canonicalEmail, member, ipAddress);
  return { ok: false, reason: 'wrong' };
}

/** The current password, asked for before a change or to confirm it is still the member. */
export async function checkCurrentPassword(deps: Deps, member: MemberCredentials, password: unknown, ipAddress: string): Promise<CurrentPasswordCheck> {
  return checkLikeSignIn(deps, member, ipAddress, async () => typeof password === 'string' && (await deps.hasher.verify(member.passwordHash, password)), { hashes: true });
}

/** A failed check, counted (unless `claimed` already counted it) and locking the key at the allowance. */
async function recordFailure(deps: Deps, key: string, member: MemberCredentials | undefined, ipAddress: string, claimed?: SignInClaim): Promise<void> {
  const now = deps.now();
  await inTransaction(deps.db, async (trx) => {
    const row = claimed ?? (await countSignInFailure(trx, key, now));
    await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'signin.failed', targetType: member ? 'member' : 'email', targetId: member?.id ?? key.slice(0, 200), ipAddress });
    if (row.consecutiveFailures < LOCK_AFTER_FAILURES) return;

    const lockCount = row.lockCount + 1;
    const until = new Date(now.getTime() + lockSeconds(lockCount) * 1000);
    await lockSignIn(trx, key, lockCount, until);
    await insertAuditEvent(trx, { actorLabel: 'system', action: 'signin.locked', targetType: member ? 'member' : 'email', targetId: member?.id ?? key.slice(0, 200), ipAddress, details: { until: until.toISOString(), lockCount } });
    if (!member || member.deactivatedAt) return;
    const token = await issueToken(trx, 'unlock', member.canonicalEmail, member.id);
    await deps.mail.queue(trx, 'auth-unlock', { to: member.email, subject: AUTH_MESSAGES.unlockSubject, links: { link: `/unlock/${token}`, resetLink: '/password/forgot' } });
  });
}
