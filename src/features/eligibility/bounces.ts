import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { deactivateWithin } from '../admin/members.js';
import { parseWorkEmail } from '../auth/email-address.js';
import { clearEmailBounce, findMemberIdByCanonicalEmail, hasLiveEmailChangeLink, recordEmailBounce } from './queries.js';
import { SYSTEM_ACTOR } from './service.js';

/** How much of the receiving server's reply is kept and shown. */
const SMTP_RESPONSE_CHARS = 300;

/**
 * The mail worker's hard bounce (the receiving server refused the recipient for good): the member
 * whose current address it is, if any, is deactivated with reason `bounced`, in the worker's
 * transaction that marks the email failed. Mail to an address no member has now (an old address,
 * a sign-up that never finished) deactivates nobody, and neither does the bounce of a member
 * with a live link to change their address: one who moved agency is told of the change at their
 * old address, which may be gone already, and is on their way to a new one. The email still
 * fails, and so does other mail waiting for the dead address.
 *
 * Whatever the rule decides, the bounce is recorded on the member (when, and the server's reply):
 * while it stands no notification email or digest is composed for them, and every page they see
 * says so, until their address changes or they ask to try it again (retryBouncedAddress). That is
 * what a member the rule kept (a change of address under way, the last administrator) or one an
 * administrator reactivates later is told.
 */
export async function deactivateBouncedMember(trx: Transaction<DB>, address: string, smtpResponse: string): Promise<void> {
  const parsed = parseWorkEmail(address);
  if (!parsed.ok) return;
  const memberId = await findMemberIdByCanonicalEmail(trx, parsed.canonical);
  if (memberId === undefined) return;
  const response = smtpResponse.slice(0, SMTP_RESPONSE_CHARS);
  if (await hasLiveEmailChangeLink(trx, memberId)) {
    await insertAuditEvent(trx, { ...SYSTEM_ACTOR, action: 'member.email_bounced', targetType: 'member', targetId: memberId, subjectMemberId: memberId, details: { smtpResponse: response, why: 'address change under way' } });
  } else {
    // Audited there: deactivated, or not as the last active administrator.
    await deactivateWithin(trx, memberId, 'bounced', SYSTEM_ACTOR, { smtpResponse: response });
  }
  // After the rule: deactivateWithin locks the administrators before the member, and so must this.
  await recordEmailBounce(trx, memberId, response);
}

/**
 * The member asks for their address to be tried again (it works now, the mailbox was full…):
 * the recorded bounce goes, and notification emails and digests are composed again. Returns
 * false when there was none to clear (a second click).
 */
export async function retryBouncedAddress(deps: Pick<Deps, 'db'>, memberId: number, ipAddress: string): Promise<boolean> {
  return inTransaction(deps.db, async (trx) => {
    const cleared = await clearEmailBounce(trx, memberId);
    if (!cleared) return false;
    await insertAuditEvent(trx, {
      actorMemberId: memberId,
      action: 'member.email_bounce_cleared',
      targetType: 'member',
      targetId: memberId,
      subjectMemberId: memberId,
      ipAddress,
      details: { bouncedAt: cleared.at.toISOString(), smtpResponse: cleared.response },
    });
    return true;
  });
}
