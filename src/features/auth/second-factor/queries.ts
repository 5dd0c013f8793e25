import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../../../db/schema.js';
import type { Db } from '../../../db/types.js';

/** Whether the member has a second factor: an authenticator app or a passkey (rides on the session's member query). */
export function hasSecondFactor(eb: ExpressionBuilder<DB, 'members'>) {
  return sql<boolean>`(exists (select 1 from totp_factors where totp_factors.member_id = ${eb.ref('members.id')}) or exists (select 1 from passkeys where passkeys.member_id = ${eb.ref('members.id')}))`;
}

export interface MemberFactors {
  totpSince: Date | undefined;
  unusedRecoveryCodes: number;
  passkeys: { id: number; name: string; createdAt: Date; lastUsedAt: Date | null }[];
}

export async function findMemberFactors(db: Db, memberId: number): Promise<MemberFactors> {
  const totp = await db.selectFrom('totp_factors').select('created_at').where('member_id', '=', memberId).executeTakeFirst();
  const codes = await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<string>().as('count')).where('member_id', '=', memberId).where('used_at', 'is', null).executeTakeFirstOrThrow();
  const passkeys = await db.selectFrom('passkeys').select(['id', 'name', 'created_at', 'last_used_at']).where('member_id', '=', memberId).orderBy('id').execute();
  return {
    totpSince: totp?.created_at,
    unusedRecoveryCodes: Number(codes.count),
    passkeys: passkeys.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at, lastUsedAt: row.last_used_at })),
  };
}

export async function findTotpSecret(db: Db, memberId: number): Promise<string | undefined> {
  const row = await db.selectFrom('totp_factors').select('secret').where('member_id', '=', memberId).executeTakeFirst();
  return row?.secret;
}

/** False when the member already has one (a second submit of the set-up form). */
export async function insertTotpFactor(db: Db, memberId: number, secret: string, usedStep: number): Promise<boolean> {
  const result = await db.insertInto('totp_factors').values({ member_id: memberId, secret, last_used_step: usedStep }).onConflict((oc) => oc.column('member_id').doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows) > 0;
}

export async function deleteTotpFactor(db: Db, memberId: number): Promise<boolean> {
  const result = await db.deleteFrom('totp_factors').where('member_id', '=', memberId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Spends a time-step: only a step later than the last one used is taken, in one statement, so
 * a code replayed (or sent twice at once) within its window is refused.
 */
export async function claimTotpStep(db: Db, memberId: number, step: number): Promise<boolean> {
  const result = await db
    .updateTable('totp_factors')
    .set({ last_used_step: step })
    .where('member_id', '=', memberId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function replaceRecoveryCodes(db: Db, memberId: number, codeHashes: string[]): Promise<void> {
  await db.deleteFrom('recovery_codes').where('member_id', '=', memberId).execute();
  await db.insertInto('recovery_codes').values(codeHashes.map((code_hash) => ({ member_id: memberId, code_hash }))).execute();
}

export async function deleteRecoveryCodes(db: Db, memberId: number): Promise<void> {
  await db.deleteFrom('recovery_codes').where('member_id', '=', memberId).execute();
}

/** Spends an unused code of the member's; false when there is none by that hash. */
export async function useRecoveryCode(db: Db, memberId: number, codeHash: string, at: Date): Promise<boolean> {
  const result = await db.updateTable('recovery_codes').set({ used_at: at }).where('member_id', '=', memberId).where('code_hash', '=', codeHash).where('used_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function countMemberFactors(db: Db, memberId: number): Promise<number> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom('totp_factors').select((e) => e.fn.countAll<string>().as('n')).where('member_id', '=', memberId).as('totp'),
      eb.selectFrom('passkeys').select((e) => e.fn.countAll<string>().as('n')).where('member_id', '=', memberId).as('passkeys'),
    ])
    .executeTakeFirstOrThrow();
  return Number(row.totp) + Number(row.passkeys);
}

export interface StoredPasskey {
  id: number;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
}

export async function listPasskeyCredentials(db: Db, memberId: number): Promise<StoredPasskey[]> {
  const rows = await db.selectFrom('passkeys').select(['id', 'credential_id', 'public_key', 'counter', 'transports']).where('member_id', '=', memberId).execute();
  return rows.map((row) => ({ id: row.id, credentialId: row.credential_id, publicKey: new Uint8Array(row.public_key), counter: Number(row.counter), transports: row.transports }));
}

/** False when that credential is already registered (a second submit, or someone else's). */
export async function insertPasskey(db: Db, memberId: number, passkey: Omit<StoredPasskey, 'id'> & { name: string }): Promise<boolean> {
  const result = await db
    .insertInto('passkeys')
    .values({ member_id: memberId, credential_id: passkey.credentialId, public_key: Buffer.from(passkey.publicKey), counter: passkey.counter, transports: passkey.transports, name: passkey.name })
    .onConflict((oc) => oc.column('credential_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows) > 0;
}

export async function updatePasskeyUse(db: Db, id: number, counter: number, at: Date): Promise<void> {
  await db.updateTable('passkeys').set({ counter, last_used_at: at }).where('id', '=', id).execute();
}

/** The passkey's name when one of the member's was removed. */
export async function deletePasskey(db: Db, memberId: number, id: number): Promise<string | undefined> {
  const row = await db.deleteFrom('passkeys').where('member_id', '=', memberId).where('id', '=', id).returning('name').executeTakeFirst();
  return row?.name;
}
