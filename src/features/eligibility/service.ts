import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { deactivateWithin, lockDomainRulesForReading } from '../admin/members.js';
import { decideDomain } from '../auth/email-domain.js';
import { domainOf } from '../auth/email-address.js';
import { findMemberAddress, listDomainRules, type MemberAddress } from '../auth/queries.js';
import { consumeToken, findValidToken, issueToken, type ValidToken } from '../auth/tokens.js';
import { ELIGIBILITY_MESSAGES as M } from './messages.js';
import { hasRequestedWithFormToken, updateAddressConfirmed } from './queries.js';

/** Changes the site makes itself (a domain no longer admitted, a bounced address) are recorded against this label. */
export const SYSTEM_ACTOR = { actorLabel: 'system' } as const;

/**
 * Deactivates the member, within the caller's transaction, when no domain rule admits their
 * address any more (a rule removed or turned into a block since they joined); returns whether
 * it did. The rules are held still until the transaction ends, as the review page's action does.
 */
async function deactivateUnlessAdmitted(trx: Transaction<DB>, member: { id: number; canonicalEmail: string }): Promise<boolean> {
  await lockDomainRulesForReading(trx);
  if (decideDomain(domainOf(member.canonicalEmail), await listDomainRules(trx)).allowed) return false;
  return deactivateWithin(trx, member.id, 'domain_not_admitted', SYSTEM_ACTOR, { domain: domainOf(member.canonicalEmail) });
}

/** At sign-in, after the right password: true when the member was deactivated because their domain is no longer admitted. */
export async function deactivateIfNoLongerAdmitted(deps: Pick<Deps, 'db'>, member: { id: number; canonicalEmail: string }): Promise<boolean> {
  // Read without a lock first: nearly every sign-in is admitted, and needs no transaction for it.
  if (decideDomain(domainOf(member.canonicalEmail), await listDomainRules(deps.db)).allowed) return false;
  return inTransaction(deps.db, (trx) => deactivateUnlessAdmitted(trx, member));
}

export type LinkRequest = { ok: true; email: string } | { ok: false; error: 'repeated' | 'gone' };

/**
 * Emails a fresh re-confirmation link to the member's current address (an earlier one stops
 * working). The form's token makes a double submit send nothing more: the member row is locked
 * first, so two at once queue and the second finds the first's audit row.
 */
export async function requestReconfirmationLink(deps: Pick<Deps, 'db' | 'mail'>, memberId: number, formToken: string, ipAddress: string): Promise<LinkRequest> {
  return inTransaction(deps.db, async (trx) => {
    const member = await findMemberAddress(trx, memberId, true);
    if (!member || member.deactivatedAt) return { ok: false, error: 'gone' };
    if (await hasRequestedWithFormToken(trx, member.id, formToken)) return { ok: false, error: 'repeated' };
    const token = await issueToken(trx, 'reconfirm', member.canonicalEmail, member.id);
    await deps.mail.queue(trx, 'eligibility-reconfirm', { to: member.email, subject: M.reconfirmSubject, links: { link: `/reconfirm/${token}` } });
    await insertAuditEvent(trx, { actorMemberId: member.id, action: 'member.reconfirmation_requested', targetType: 'member', targetId: member.id, ipAddress, details: { formToken } });
    return { ok: true, email: member.email };
  });
}

/** A link is bound to its member and the address it went to: an address changed since, or a member deactivated, leaves it dead. */
function fitsMember(link: ValidToken | undefined, member: MemberAddress | undefined): member is MemberAddress {
  return link !== undefined && member !== undefined && member.deactivatedAt === null && member.canonicalEmail === link.canonicalEmail;
}

/** Whether the link would re-confirm (for the page with the button; the POST checks again as it spends it). */
export async function isLiveReconfirmationLink(deps: Pick<Deps, 'db'>, token: string): Promise<boolean> {
  const link = await findValidToken(deps.db, 'reconfirm', token);
  return fitsMember(link, link?.memberId ? await findMemberAddress(deps.db, link.memberId) : undefined);
}

export type Reconfirmation = { ok: true; memberId: number } | { ok: false; error: 'invalid-link' | 'domain-not-admitted' };

/**
 * Follows a re-confirmation link: it works once, before it expires, for the member and address it
 * was sent to (an address changed since leaves it dead). An address whose domain the rules no
 * longer admit deactivates the member instead. `now` is the new confirmation date.
 */
export async function reconfirmAddress(deps: Pick<Deps, 'db' | 'now'>, token: string, ipAddress: string): Promise<Reconfirmation> {
  return inTransaction(deps.db, async (trx) => {
    const link = await consumeToken(trx, 'reconfirm', token);
    const member = link?.memberId ? await findMemberAddress(trx, link.memberId, true) : undefined;
    if (!fitsMember(link, member)) return { ok: false, error: 'invalid-link' };
    if (await deactivateUnlessAdmitted(trx, member)) return { ok: false, error: 'domain-not-admitted' };
    const confirmedAt = deps.now();
    await updateAddressConfirmed(trx, member.id, confirmedAt);
    await insertAuditEvent(trx, {
      actorMemberId: member.id,
      action: 'member.reconfirmed',
      targetType: 'member',
      targetId: member.id,
      ipAddress,
      details: { before: { confirmedAt: member.verifiedAt.toISOString() }, after: { confirmedAt: confirmedAt.toISOString() } },
    });
    return { ok: true, memberId: member.id };
  });
}
