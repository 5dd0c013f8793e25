import type { Deps } from '../../deps.js';

/**
 * Every way of having a password hashed or checked (sign-in, step 2 of sign-up, a reset, a
 * password change) spends from one budget per client address, so no address can keep argon2
 * busy for everyone else (issue 15: replaying step 2 with a taken handle stalled every sign-in).
 * Trusted ranges are exempt, as they are from every per-address limit. Spent just before the
 * hash, after every cheap check: a request refused for a cheap reason costs nothing.
 * Returns the seconds to wait when the budget is used up.
 */
export async function spendHashingBudget(deps: Pick<Deps, 'config' | 'counters' | 'isTrustedAddress'>, ipAddress: string): Promise<number | undefined> {
  if (deps.isTrustedAddress(ipAddress)) return undefined;
  const { count, resetInSeconds } = await deps.counters.hit(`hashing:ip:${ipAddress}`, 60);
  return count > deps.config.rateLimit.hashesPerMinute ? resetInSeconds : undefined;
}
