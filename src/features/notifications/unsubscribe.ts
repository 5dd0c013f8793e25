import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { findDigestVersion } from './digest-queries.js';
import { findNotificationPreferences, PREFERENCE_KINDS, upsertDeliveries, type Delivery, type PreferenceKind } from './preferences.js';

/**
 * Signed one-click unsubscribe links (RFC 8058). A token names a member, one kind and that
 * kind's preference version, with an HMAC-SHA256 under a key derived from each session secret
 * (the newest signs; any verifies, so rotating SESSION_SECRET keeps recent emails' links). Using
 * it moves the version, so it works once; so does the member changing that kind themself.
 * `digest` names the daily digest as a whole (its List-Unsubscribe header): its version is the
 * member's own, and using it sets every kind then in the digest to "never" (decision 0021).
 */

/** What a link can turn off: one kind, or the whole digest. */
export const UNSUBSCRIBE_KINDS = [...PREFERENCE_KINDS, 'digest'] as const;
export type UnsubscribeKind = (typeof UNSUBSCRIBE_KINDS)[number];

export interface UnsubscribeClaim {
  memberId: number;
  kind: UnsubscribeKind;
  version: number;
}

export interface UnsubscribeTokens {
  sign(claim: UnsubscribeClaim): string;
  /** The claim, if the token is one we signed; says nothing about whether it was used. */
  verify(token: string): UnsubscribeClaim | undefined;
}

const TOKEN = /^(\d{1,15})\.([a-z_]{1,20})\.(\d{1,9})\.([A-Za-z0-9_-]{43})$/;

export function unsubscribeTokens(sessionSecrets: string[]): UnsubscribeTokens {
  // A key of its own, so an unsubscribe signature can never stand in for a session or form one.
  const keys = sessionSecrets.map((secret) => createHmac('sha256', secret).update('commons notification unsubscribe v1').digest());
  const mac = (key: Buffer, claim: UnsubscribeClaim) => createHmac('sha256', key).update(`${claim.memberId}:${claim.kind}:${claim.version}`).digest();
  return {
    sign(claim) {
      return `${claim.memberId}.${claim.kind}.${claim.version}.${mac(keys[0]!, claim).toString('base64url')}`;
    },
    verify(token) {
      const match = TOKEN.exec(token);
      if (!match) return undefined;
      const kind = match[2] as UnsubscribeKind;
      if (!UNSUBSCRIBE_KINDS.includes(kind)) return undefined;
      const claim = { memberId: Number(match[1]), kind, version: Number(match[3]) };
      // Compared as text, not decoded: the last base64url character has two unused bits, and
      // decoding would let four spellings of one signature through. Both are 43 ASCII characters.
      const given = Buffer.from(match[4]!, 'ascii');
      return keys.some((key) => timingSafeEqual(Buffer.from(mac(key, claim).toString('base64url'), 'ascii'), given)) ? claim : undefined;
    },
  };
}

/** Whether a verified claim is still current: the kind's version has not moved since it was signed. */
export async function isUnsubscribeCurrent(deps: Pick<Deps, 'db'>, claim: UnsubscribeClaim): Promise<boolean> {
  const member = await deps.db.selectFrom('members').select('id').where('id', '=', claim.memberId).executeTakeFirst();
  if (!member) return false;
  if (claim.kind === 'digest') return (await findDigestVersion(deps.db, claim.memberId)) === claim.version;
  const row = await deps.db.selectFrom('notification_preferences').select('version').where('member_id', '=', claim.memberId).where('kind', '=', claim.kind).executeTakeFirst();
  return (row?.version ?? 0) === claim.version;
}

/**
 * Sets that one kind to "never" if the claim is current, moving its version in the same
 * statement; false when it was used already (or the member changed the kind since).
 */
export async function unsubscribe(deps: Pick<Deps, 'db'>, claim: UnsubscribeClaim): Promise<boolean> {
  if (claim.kind === 'digest') return inTransaction(deps.db, (trx) => unsubscribeFromDigest(trx, claim));
  // One statement each way: two clicks at once change the row once, and the second finds the
  // version moved. Version 0 may have no row yet, or one the member saved with the default.
  const result =
    claim.version === 0
      ? await sql`
          insert into notification_preferences (member_id, kind, delivery, version)
          select id, ${claim.kind}, 'never', 1 from members where id = ${claim.memberId}
          on conflict (member_id, kind) do update set delivery = 'never', version = 1, updated_at = now()
          where notification_preferences.version = 0
        `.execute(deps.db)
      : await sql`
          update notification_preferences set delivery = 'never', version = version + 1, updated_at = now()
          where member_id = ${claim.memberId} and kind = ${claim.kind} and version = ${claim.version}
        `.execute(deps.db);
  return Number(result.numAffectedRows ?? 0) === 1;
}

/**
 * Moves the member's digest version if it is the one signed (the row lock makes a second click
 * find it moved), then sets every kind the member takes in the digest to "never", which moves
 * those kinds' versions too: their links in the same email are spent with it.
 */
async function unsubscribeFromDigest(trx: Db, claim: UnsubscribeClaim): Promise<boolean> {
  const moved = await trx
    .updateTable('members')
    .set((eb) => ({ notification_digest_version: eb('notification_digest_version', '+', 1) }))
    .where('id', '=', claim.memberId)
    .where('notification_digest_version', '=', claim.version)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) return false;
  const { deliveries } = await findNotificationPreferences(trx, claim.memberId);
  const never: Partial<Record<PreferenceKind, Delivery>> = Object.fromEntries(PREFERENCE_KINDS.filter((kind) => deliveries[kind] === 'digest').map((kind) => [kind, 'never']));
  await upsertDeliveries(trx, claim.memberId, never);
  return true;
}
