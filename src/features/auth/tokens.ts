import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/types.js';

/**
 * The secrets in emailed links: 256 random bits, stored only as a SHA-256, used once, by a
 * POST (a GET only shows the page with the button, so mail scanners that open every link
 * cannot spend them).
 */
export type TokenPurpose = 'verify' | 'reset' | 'unlock' | 'reconfirm' | 'email-change';

export const TOKEN_LIFETIME_SECONDS: Record<TokenPurpose, number> = {
  verify: 24 * 60 * 60,
  reset: 60 * 60,
  unlock: 60 * 60,
  'email-change': 24 * 60 * 60,
  reconfirm: 24 * 60 * 60,
};

/**
 * Refused tries a link's form survives (a taken handle, a weak password); the last one spends
 * it. Without a cap, one link could have its form replayed for ever.
 */
export const LINK_FAILED_ATTEMPTS = 5;

// base64url of 32 bytes: 43 characters from this alphabet.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function looksLikeToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_SHAPE.test(value);
}

/**
 * The links that let someone into an account or move it elsewhere: spent when the member changes
 * course (a new password, "sign out everywhere else"), so a stranger's request to move the
 * account dies with the password they used.
 */
export const RECOVERY_PURPOSES: TokenPurpose[] = ['reset', 'unlock', 'email-change'];

/** Stops every unused token for these purposes working, for an address or for a member. */
export async function revokeTokens(db: Db, purposes: TokenPurpose[], owner: { canonicalEmail: string } | { memberId: number }): Promise<void> {
  let query = db.updateTable('email_tokens').set({ used_at: sql`now()` }).where('purpose', 'in', purposes).where('used_at', 'is', null);
  query = 'memberId' in owner ? query.where('member_id', '=', owner.memberId) : query.where('canonical_email', '=', owner.canonicalEmail);
  await query.execute();
}

/** Removes links past their time, used or not: they can never work again. Returns how many. */
export async function deleteExpiredTokens(db: Db, now: Date): Promise<number> {
  const result = await db.deleteFrom('email_tokens').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Every purpose: what a member's change of address spends. */
export const EVERY_PURPOSE = Object.keys(TOKEN_LIFETIME_SECONDS) as TokenPurpose[];

/** Issues a token; earlier unused tokens for the same purpose and address stop working. */
export async function issueToken(db: Db, purpose: TokenPurpose, canonicalEmail: string, memberId: number | null): Promise<string> {
  await revokeTokens(db, [purpose], { canonicalEmail });
  return insertToken(db, purpose, canonicalEmail, memberId, null);
}

/**
 * Issues the link that moves a member to a new address (`address` as typed, where it is sent);
 * the member's earlier such links stop working, so only the address asked for last can be taken.
 */
export async function issueEmailChangeToken(db: Db, memberId: number, address: { address: string; canonical: string }): Promise<string> {
  await revokeTokens(db, ['email-change'], { memberId });
  return insertToken(db, 'email-change', address.canonical, memberId, address.address);
}

async function insertToken(db: Db, purpose: TokenPurpose, canonicalEmail: string, memberId: number | null, email: string | null): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('email_tokens')
    .values({
      purpose,
      token_hash: hashToken(token),
      canonical_email: canonicalEmail,
      member_id: memberId,
      email,
      expires_at: sql<Date>`now() + make_interval(secs => ${TOKEN_LIFETIME_SECONDS[purpose]})`,
    })
    .execute();
  return token;
}

export interface ValidToken {
  id: number;
  canonicalEmail: string;
  memberId: number | null;
  /** The address as typed, for an email-change link; null for the others. */
  email: string | null;
}

/** The token's row if it is unused and unexpired, without using it (for the GET page). */
export async function findValidToken(db: Db, purpose: TokenPurpose, token: unknown): Promise<ValidToken | undefined> {
  if (!looksLikeToken(token)) return undefined;
  const row = await db
    .selectFrom('email_tokens')
    .select(['id', 'canonical_email', 'member_id', 'email'])
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where(sql<boolean>`expires_at > now()`)
    .executeTakeFirst();
  return row && { id: row.id, canonicalEmail: row.canonical_email, memberId: row.member_id, email: row.email };
}

/** Uses the token: exactly one caller wins, even when two submit it at once. */
export async function consumeToken(db: Db, purpose: TokenPurpose, token: unknown): Promise<ValidToken | undefined> {
  if (!looksLikeToken(token)) return undefined;
  const row = await db
    .updateTable('email_tokens')
    .set({ used_at: sql`now()` })
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where(sql<boolean>`expires_at > now()`)
    .returning(['id', 'canonical_email', 'member_id', 'email'])
    .executeTakeFirst();
  return row && { id: row.id, canonicalEmail: row.canonical_email, memberId: row.member_id, email: row.email };
}

/** Counts a refused try at the link's form; the LINK_FAILED_ATTEMPTS-th spends the link. */
export async function countFailedAttempt(db: Db, purpose: TokenPurpose, token: unknown): Promise<void> {
  if (!looksLikeToken(token)) return;
  await db
    .updateTable('email_tokens')
    .set({
      failed_attempts: sql`failed_attempts + 1`,
      used_at: sql`case when failed_attempts + 1 >= ${LINK_FAILED_ATTEMPTS} then now() end`,
    })
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}
