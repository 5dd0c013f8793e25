import { insertAuditEvent } from '../../lib/audit.js';
import { composeEmail, enqueueEmail } from '../../mail/outbox.js';
import { siteLink, type AuthContext } from './context.js';
import type { parseWorkEmail } from './email-address.js';
import { AUTH_MESSAGES } from './messages.js';
import { clearSignInLock, findMemberCredentials, updateMemberPassword, type MemberCredentials } from './queries.js';
import { endOtherSessions } from './sessions.js';
import { consumeToken, issueToken } from './tokens.js';

type WorkEmail = Extract<ReturnType<typeof parseWorkEmail>, { ok: true }>;

/**
 * Getting back in: a password reset (which also lifts a sign-in lock) and the unlock link a
 * lock sends. The person asking always sees the same page, member or not.
 */
export async function requestPasswordReset(ctx: AuthContext, email: WorkEmail, ipAddress: string): Promise<void> {
  const member = await findMemberCredentials(ctx.db, { canonicalEmail: email.canonical });
  if (!member || member.deactivatedAt) return;
  // Past 3 an hour for one member, quietly send nothing.
  const { count } = await ctx.counters.hit(`reset:${member.id}`, 3600);
  if (count > ctx.config.rateLimit.resetsPerHour) return;
  await ctx.db.transaction().execute(async (trx) => {
    const token = await issueToken(trx, 'reset', member.canonicalEmail, member.id);
    await enqueueEmail(
      trx,
      composeEmail(ctx.templates, 'auth-reset', { siteName: ctx.config.siteName, link: siteLink(ctx.config, `/password/reset/${token}`) }, {
        to: member.email,
        subject: AUTH_MESSAGES.resetSubject(ctx.config.siteName),
        kind: 'auth.reset',
      }),
    );
    await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'password.reset_requested', targetType: 'member', targetId: member.id, ipAddress });
  });
  ctx.nudgeMail();
}

/** Sets the new password, lifts any lock and ends every session of the member, in one go. */
export async function resetPassword(ctx: AuthContext, token: string, passwordHash: string, ipAddress: string): Promise<MemberCredentials | undefined> {
  return ctx.db.transaction().execute(async (trx) => {
    const used = await consumeToken(trx, 'reset', token);
    const member = used?.memberId ? await findMemberCredentials(trx, { id: used.memberId }) : undefined;
    if (!member || member.deactivatedAt) return undefined;
    await updateMemberPassword(trx, member.id, passwordHash);
    await clearSignInLock(trx, member.canonicalEmail);
    const sessionsEnded = await endOtherSessions(trx, member.id, undefined);
    await insertAuditEvent(trx, { actorMemberId: member.id, action: 'password.reset', targetType: 'member', targetId: member.id, ipAddress, details: { sessionsEnded } });
    return member;
  });
}

export async function unlockSignIn(ctx: AuthContext, token: string, ipAddress: string): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    const used = await consumeToken(trx, 'unlock', token);
    if (!used) return false;
    await clearSignInLock(trx, used.canonicalEmail);
    await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'signin.unlocked', targetType: 'member', targetId: used.memberId ?? used.canonicalEmail, ipAddress });
    return true;
  });
}
