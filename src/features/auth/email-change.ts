import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { isUniqueViolation } from '../../lib/db-errors.js';
import { domainOf, type ParsedEmail } from './email-address.js';
import { decideDomain } from './email-domain.js';
import { AUTH_MESSAGES } from './messages.js';
import { agencyForAdmittedDomain, deleteSignupRequest, findMemberAddress, findMemberCredentials, listDomainRules, updateMemberAddress, type MemberAddress } from './queries.js';
import { endOtherSessions } from './sessions.js';
import { mayEmailAddress } from './signup.js';
import { consumeToken, EVERY_PURPOSE, findValidToken, issueEmailChangeToken, revokeTokens } from './tokens.js';

/**
 * A member who moves agency moves their account to their new work address: same id, handle,
 * posts and history; the agency follows the rule that admits the new address. The new address
 * proves itself with an emailed link (as a sign-up does), and the old one is told.
 */

/** Settings, Email address: where a member asks to move; the link sent to the new address starts with EMAIL_CHANGE_LINK. */
export const EMAIL_CHANGE_PAGE = '/settings/email';
export const EMAIL_CHANGE_LINK = '/email-change/';

// A form sent twice (a double click, a reload) asks once: the repeat writes and mails nothing.
const REPEAT_WINDOW_SECONDS = 60;

export type EmailChangeRequest = { ok: true } | { ok: false; reason: string };

/**
 * Checks the new address and, if it may be used, sends it a link. An address another member has
 * gets a notice instead of a link, and the page the asker sees is the same: like sign-up, the
 * answer tells nobody whose address it is. The old address is told either way.
 */
export async function requestEmailChange(deps: Deps, memberId: number, email: ParsedEmail, ipAddress: string): Promise<EmailChangeRequest> {
  const member = (await findMemberAddress(deps.db, memberId))!;
  if (email.canonical === member.canonicalEmail) return { ok: false, reason: AUTH_MESSAGES.emailChangeSameAddress };
  const decision = decideDomain(email.domain, await listDomainRules(deps.db));
  if (!decision.allowed) return { ok: false, reason: decision.reason };
  const repeat = await deps.counters.hit(`email-change:${memberId}:${email.canonical}`, REPEAT_WINDOW_SECONDS);
  if (repeat.count > 1) return { ok: true };
  if (!(await mayEmailAddress(deps, email.canonical))) return { ok: true };
  await inTransaction(deps.db, async (trx) => {
    // Two requests at once would each revoke the other's not-yet-written link and leave two live.
    await findMemberAddress(trx, memberId, true);
    const holder = await findMemberCredentials(trx, { canonicalEmail: email.canonical });
    if (holder) {
      await deps.mail.queue(trx, 'auth-email-change-taken', { to: holder.email, subject: AUTH_MESSAGES.emailChangeTakenSubject, links: { signInLink: '/login', resetLink: '/password/forgot' } });
    } else {
      const token = await issueEmailChangeToken(trx, memberId, email);
      await deps.mail.queue(trx, 'auth-email-change', { to: email.address, subject: AUTH_MESSAGES.emailChangeVerifySubject, links: { link: `${EMAIL_CHANGE_LINK}${token}` } });
    }
    await deps.mail.queue(trx, 'auth-email-change-notice', { to: member.email, subject: AUTH_MESSAGES.emailChangeNoticeSubject, data: { newAddress: email.address }, links: { settingsLink: '/settings', resetLink: '/password/forgot' } });
    await insertAuditEvent(trx, {
      actorMemberId: memberId,
      action: 'member.email_change_requested',
      targetType: 'member',
      targetId: memberId,
      subjectMemberId: memberId,
      ipAddress,
      details: { before: { email: member.email }, after: { email: email.address }, ...(holder ? { addressTakenBy: holder.id } : {}) },
    });
  });
  return { ok: true };
}

/** The change an email-change link asks for, while the link works; looking does not use it. */
export async function findPendingEmailChange(deps: Pick<Deps, 'db'>, token: string): Promise<{ from: string; to: string } | undefined> {
  const valid = await findValidToken(deps.db, 'email-change', token);
  const member = valid?.memberId ? await findMemberAddress(deps.db, valid.memberId) : undefined;
  if (!valid?.email || !member || member.deactivatedAt) return undefined;
  return { from: member.email, to: valid.email };
}

export type EmailChangeResult = { ok: true; memberId: number; email: string; sessionKept: boolean } | { ok: false };

/**
 * Uses the link and moves the member, if the new address may still join and is still nobody's.
 * Every other session ends (one started under the old address on a shared machine should not
 * outlive the move), and so does every link sent to either address for the member; the
 * confirming browser keeps its session when it is the member's own.
 */
export async function confirmEmailChange(deps: Deps, token: string, current: { memberId: number; publicId: string | undefined } | undefined, ipAddress: string): Promise<EmailChangeResult> {
  try {
    return await inTransaction(deps.db, async (trx): Promise<EmailChangeResult> => {
      // Rules are read under this lock, so a rule removed at this moment is either seen or waits.
      await sql`lock table domain_rules in share mode`.execute(trx);
      const used = await consumeToken(trx, 'email-change', token);
      const member = used?.memberId ? await findMemberAddress(trx, used.memberId, true) : undefined;
      if (!used?.email || !member || member.deactivatedAt) return { ok: false };
      const domain = domainOf(used.canonicalEmail);
      const decision = decideDomain(domain, await listDomainRules(trx));
      if (!decision.allowed || (await findMemberCredentials(trx, { canonicalEmail: used.canonicalEmail }))) return { ok: false };
      const after = { email: used.email, canonicalEmail: used.canonicalEmail, agencyId: await agencyForAdmittedDomain(trx, domain, decision.rule) };
      await updateMemberAddress(trx, member.id, after);
      const keep = current?.memberId === member.id ? current.publicId : undefined;
      const sessionsEnded = await endOtherSessions(trx, member.id, keep);
      await spendLinks(trx, member, used.canonicalEmail);
      await deps.mail.queue(trx, 'auth-email-changed', { to: member.email, subject: AUTH_MESSAGES.emailChangedNoticeSubject, data: { newAddress: used.email }, links: { resetLink: '/password/forgot' } });
      await insertAuditEvent(trx, {
        actorMemberId: member.id,
        action: 'member.email_changed',
        targetType: 'member',
        targetId: member.id,
        subjectMemberId: member.id,
        ipAddress,
        details: { before: { email: member.email, agencyId: member.agencyId }, after: { email: after.email, agencyId: after.agencyId }, sessionsEnded },
      });
      return { ok: true, memberId: member.id, email: after.email, sessionKept: keep !== undefined };
    });
  } catch (error) {
    // Another member took the address at the same moment: nothing changed, the link's use included.
    if (isUniqueViolation(error, 'members_canonical_email_key')) return { ok: false };
    throw error;
  }
}

/** Every link the member still holds, those sent to the old address, and sign-ups of the new one (which is now taken). */
async function spendLinks(trx: Db, member: MemberAddress, newCanonicalEmail: string): Promise<void> {
  await revokeTokens(trx, EVERY_PURPOSE, { memberId: member.id });
  await revokeTokens(trx, EVERY_PURPOSE, { canonicalEmail: member.canonicalEmail });
  await revokeTokens(trx, ['verify'], { canonicalEmail: newCanonicalEmail });
  await deleteSignupRequest(trx, newCanonicalEmail);
}
