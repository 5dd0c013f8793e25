import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { markDeactivated } from '../admin/members.js';
import { APPROVAL_MESSAGES } from './messages.js';
import { clearAwaitingApproval, lockMemberAwaitingApproval } from './queries/approvals.js';

/**
 * A moderator's decision on a member who verified their email while MEMBER_APPROVAL_REQUIRED
 * was on, or their agency coordinator's (`withinAgency`: only a member of that agency). The decision, its audit row and the email telling the member are one transaction; a
 * member no longer waiting (decided by another moderator a moment ago, or a double submit)
 * changes nothing.
 */
export type MemberDecision = { ok: true; displayName: string } | { ok: false; error: 'not-awaiting' };

export async function approveMember(deps: Pick<Deps, 'db' | 'mail'>, moderatorId: number, memberId: number, note: string, withinAgency?: number): Promise<MemberDecision> {
  return inTransaction(deps.db, async (trx) => {
    const member = await lockMemberAwaitingApproval(trx, memberId, withinAgency);
    if (!member) return { ok: false, error: 'not-awaiting' };
    await clearAwaitingApproval(trx, member.id);
    await deps.mail.queue(trx, 'moderation-member-approved', { to: member.email, subject: APPROVAL_MESSAGES.approvedSubject, data: { displayName: member.displayName, note }, links: { signInLink: '/login' } });
    await insertAuditEvent(trx, { actorMemberId: moderatorId, action: 'member.approved', targetType: 'member', targetId: member.id, subjectMemberId: member.id, details: { ...(note ? { reason: note } : {}), before: { awaitingApproval: true }, after: { awaitingApproval: false } } });
    return { ok: true, displayName: member.displayName };
  });
}

/** Rejecting deactivates the account (kept, reversibly, as any deactivation is) and ends its sessions. */
export async function rejectMember(deps: Pick<Deps, 'db' | 'mail'>, moderatorId: number, memberId: number, reason: string, withinAgency?: number): Promise<MemberDecision> {
  return inTransaction(deps.db, async (trx) => {
    const member = await lockMemberAwaitingApproval(trx, memberId, withinAgency);
    if (!member) return { ok: false, error: 'not-awaiting' };
    await clearAwaitingApproval(trx, member.id);
    const sessionsEnded = await markDeactivated(trx, member.id, 'rejected');
    await deps.mail.queue(trx, 'moderation-member-rejected', { to: member.email, subject: APPROVAL_MESSAGES.rejectedSubject, data: { displayName: member.displayName, reason } });
    await insertAuditEvent(trx, { actorMemberId: moderatorId, action: 'member.rejected', targetType: 'member', targetId: member.id, subjectMemberId: member.id, details: { reason, before: { awaitingApproval: true, deactivated: false }, after: { awaitingApproval: false, deactivated: true }, sessionsEnded } });
    return { ok: true, displayName: member.displayName };
  });
}
