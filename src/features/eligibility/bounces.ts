import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { deactivateWithin } from '../admin/members.js';
import { parseWorkEmail } from '../auth/email-address.js';
import { findMemberIdByCanonicalEmail } from './queries.js';
import { SYSTEM_ACTOR } from './service.js';

/**
 * The mail worker's hard bounce (the receiving server refused the recipient for good): the member
 * whose current address it is, if any, is deactivated with reason `bounced`, in the worker's
 * transaction that marks the email failed. Mail to an address no member has now (an old address,
 * a sign-up that never finished) deactivates nobody.
 */
export async function deactivateBouncedMember(trx: Transaction<DB>, address: string, smtpResponse: string): Promise<void> {
  const parsed = parseWorkEmail(address);
  if (!parsed.ok) return;
  const memberId = await findMemberIdByCanonicalEmail(trx, parsed.canonical);
  if (memberId === undefined) return;
  await deactivateWithin(trx, memberId, 'bounced', SYSTEM_ACTOR, { smtpResponse: smtpResponse.slice(0, 300) });
}
