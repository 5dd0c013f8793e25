import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { findDigestVersion, rescheduleDigest } from './digest-queries.js';
import { findNotificationPreferences, PREFERENCE_KINDS, upsertDeliveries, type Delivery, type PreferenceKind } from './preferences.js';

/**
 * Signed one-click unsubscribe links (RFC 8058). A token names a member, the kinds it turns off
 * and each kind's preference version, with an HMAC-SHA256 under a key derived from each session
 * secret (the newest signs; any verifies, so rotating SESSION_SECRET keeps recent emails' links).
 * Using it moves those versions, so it works once; so does the member changing one of those
 * kinds themself. A footer link names one kind; an immediate email's List-Unsubscribe header
 * names every kind in that email (a mention and a reply in one thread), so the mail client's
 * button stops all it carried. `digest` names the daily digest as a whole (its List-Unsubscribe
 * header), always alone: its version is the member's own, and using it sets every kind then in
 * the digest to "never" (decision 0021).
 */

/** What a link can turn off: kinds, or the whole digest. */
export const UNSUBSCRIBE_KINDS = [...PREFERENCE_KINDS, 'digest'] as const;
export type UnsubscribeKind = (typeof UNSUBSCRIBE_KINDS)[number];

export interface UnsubscribeChoice {
  kind: UnsubscribeKind;
  version: number;
}

export interface UnsubscribeClaim {
  memberId: number;
  /** One or more kinds, each once; `digest` only alone. */
  choices: UnsubscribeChoice[];
}

export interface UnsubscribeTokens {
  sign(claim: UnsubscribeClaim): string;
  /** The claim, if the token is one we signed; says nothing about whether it was used. */
  verify(token: string): UnsubscribeClaim | undefined;
}

// member . kind-kind . version-version . signature: one kind reads as links sent before several could.
const TOKEN = /^(\d{1,15})\.([a-z_]{1,20}(?:-[a-z_]{1,20}){0,5})\.(\d{1,9}(?:-\d{1,9}){0,5})\.([A-Za-z0-9_-]{43})$/;

function isWellFormed(kinds: string[], versions: string[]): kinds is UnsubscribeKind[] {
  if (kinds.length !== versions.length || new Set(kinds).size !== kinds.length) return false;
  if (!kinds.every((kind) => (UNSUBSCRIBE_KINDS as readonly string[]).includes(kind))) return false;
  return kinds.length === 1 || !kinds.includes('digest');
}

export function unsubscribeTokens(sessionSecrets: string[]): UnsubscribeTokens {
  // A key of its own, so an unsubscribe signature can never stand in for a session or form one.
  const keys = sessionSecrets.map((secret) => createHmac('sha256', secret).update('commons notification unsubscribe v1').digest());
  const fields = (claim: UnsubscribeClaim) => [String(claim.memberId), claim.choices.map((choice) => choice.kind).join('-'), claim.choices.map((choice) => String(choice.version)).join('-')];
  const mac = (key: Buffer, claim: UnsubscribeClaim) => createHmac('sha256', key).update(fields(claim).join(':')).digest();
  return {
    sign(claim) {
      return [...fields(claim), mac(keys[0]!, claim).toString('base64url')].join('.');
    },
    verify(token) {
      const match = TOKEN.exec(token);
      if (!match) return undefined;
      const kinds = match[2]!.split('-');
      const versions = match[3]!.split('-');
      if (!isWellFormed(kinds, versions)) return undefined;
      const claim = { memberId: Number(match[1]), choices: kinds.map((kind, index) => ({ kind, version: Number(versions[index]) })) };
      // Compared as text, not decoded: the last base64url character has two unused bits, and
      // decoding would let four spellings of one signature through. Both are 43 ASCII characters.
      const given = Buffer.from(match[4]!, 'ascii');
      return keys.some((key) => timingSafeEqual(Buffer.from(mac(key, claim).toString('base64url'), 'ascii'), given)) ? claim : undefined;
    },
  };
}

/** Whether a verified claim is still current: none of its kinds' versions has moved since it was signed. */
export async function isUnsubscribeCurrent(deps: Pick<Deps, 'db'>, claim: UnsubscribeClaim): Promise<boolean> {
  const member = await deps.db.selectFrom('members').select('id').where('id', '=', claim.memberId).executeTakeFirst();
  if (!member) return false;
  const [first] = claim.choices;
  if (first!.kind === 'digest') return (await findDigestVersion(deps.db, claim.memberId)) === first!.version;
  const { versions } = await findNotificationPreferences(deps.db, claim.memberId);
  return claim.choices.every((choice) => versions[choice.kind as PreferenceKind] === choice.version);
}

/** Raised inside the transaction when one of the kinds was used already: rolls the others back. */
class AlreadyUsed extends Error {}

/**
 * Sets the claim's kinds to "never" if every one is current, moving their versions, in one
 * transaction; false when one was used already (or the member changed it since), and then nothing
 * changes. The member's next digest is worked out again: they may take nothing in it now.
 */
export async function unsubscribe(deps: Pick<Deps, 'db'>, claim: UnsubscribeClaim): Promise<boolean> {
  try {
    return await inTransaction(deps.db, async (trx) => {
      const [first] = claim.choices;
      if (first!.kind === 'digest') {
        if (!(await unsubscribeFromDigest(trx, claim.memberId, first!.version))) return false;
      } else {
        for (const choice of claim.choices) if (!(await unsubscribeFromKind(trx, claim.memberId, choice))) throw new AlreadyUsed();
      }
      await rescheduleDigest(trx, claim.memberId);
      return true;
    });
  } catch (error) {
    if (error instanceof AlreadyUsed) return false;
    throw error;
  }
}

/**
 * One statement each: two clicks at once change the row once, and the second finds the version
 * moved. Version 0 may have no row yet, or one the member saved with the default.
 */
async function unsubscribeFromKind(trx: Db, memberId: number, choice: UnsubscribeChoice): Promise<boolean> {
  const result =
    choice.version === 0
      ? await sql`
          insert into notification_preferences (member_id, kind, delivery, version)
          select id, ${choice.kind}, 'never', 1 from members where id = ${memberId}
          on conflict (member_id, kind) do update set delivery = 'never', version = 1, updated_at = now()
          where notification_preferences.version = 0
        `.execute(trx)
      : await sql`
          update notification_preferences set delivery = 'never', version = version + 1, updated_at = now()
          where member_id = ${memberId} and kind = ${choice.kind} and version = ${choice.version}
        `.execute(trx);
  return Number(result.numAffectedRows ?? 0) === 1;
}

/**
 * Moves the member's digest version if it is the one signed (the row lock makes a second click
 * find it moved), then sets every kind the member takes in the digest to "never", which moves
 * those kinds' versions too: their links in the same email are spent with it.
 */
async function unsubscribeFromDigest(trx: Db, memberId: number, version: number): Promise<boolean> {
  const moved = await trx
    .updateTable('members')
    .set((eb) => ({ notification_digest_version: eb('notification_digest_version', '+', 1) }))
    .where('id', '=', memberId)
    .where('notification_digest_version', '=', version)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) return false;
  const { deliveries } = await findNotificationPreferences(trx, memberId);
  const never: Partial<Record<PreferenceKind, Delivery>> = Object.fromEntries(PREFERENCE_KINDS.filter((kind) => deliveries[kind] === 'digest').map((kind) => [kind, 'never']));
  await upsertDeliveries(trx, memberId, never);
  return true;
}
