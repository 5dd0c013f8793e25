import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { deactivateWithin } from '../admin/members.js';
import { parseWorkEmail } from '../auth/email-address.js';
import { findMemberIdByCanonicalEmail, hasLiveEmailChangeLink } from './queries.js';
import { SYSTEM_ACTOR } from './service.js';

/**
 * The mail worker's hard bounce (the receiving server refused the recipient for good): the member
 * whose current address it is, if any, is deactivated with reason `bounced`, in the worker's
 * transaction that marks the email failed. Mail to an address no member has now (an old address,
 * a sign-up that never finished) deactivates nobody, and neither does the bounce of a member
 * with a live link to change their address: one who moved agency is told of the change at their
 * old address, which may be gone already, and is on their way to a new one. The email still
 * fails, and so does other mail waiting for the dead address.
 */
export async function deactivateBouncedMember(trx: Transaction<DB>, address: string, smtpResponse: string): Promise<void> {
  const parsed = parseWorkEmail(address);
  if (!parsed.ok) return;
  const memberId = await findMemberIdByCanonicalEmail(trx, parsed.canonical);
  if (memberId === undefined || (await hasLiveEmailChangeLink(trx, memberId))) return;
  await deactivateWithin(trx, memberId, 'bounced', SYSTEM_ACTOR, { smtpResponse: smtpResponse.slice(0, 300) });
}
