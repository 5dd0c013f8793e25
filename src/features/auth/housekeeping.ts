import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { deleteStaleSignInLocks, deleteStaleSignupRequests } from './queries.js';
import { MAX_LOCK_SECONDS } from './signin.js';
import { deleteExpiredTokens, TOKEN_LIFETIME_SECONDS } from './tokens.js';

/**
 * Membership rows nothing will read again, removed by the hourly maintenance, so that failed
 * sign-ins for made-up addresses and sign-ups never finished do not pile up for ever:
 * - a sign-in lock row for an address that is no member's, once no lock is in force and its last
 *   failure is older than the longest lock (24 h). A member's row stays, so its locks keep
 *   doubling however slowly someone guesses; the member's unlock link or a reset removes it.
 * - a sign-up request once every verify link it was sent has expired or been used (asked for
 *   again, it comes back with a new link);
 * - emailed links past their time.
 */
export async function removeStaleMembershipRows(db: Kysely<DB>, now: Date): Promise<{ signinLocks: number; signupRequests: number; emailTokens: number }> {
  const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
  const signinLocks = await deleteStaleSignInLocks(db, now, ago(MAX_LOCK_SECONDS));
  // Before the links go: a request is judged by its own verify links.
  const signupRequests = await deleteStaleSignupRequests(db, now, ago(TOKEN_LIFETIME_SECONDS.verify));
  const emailTokens = await deleteExpiredTokens(db, now);
  return { signinLocks, signupRequests, emailTokens };
}
