import { sql } from 'kysely';
import { insertAuditEvent } from '../../lib/audit.js';
import type { AuthContext } from './context.js';
import { endMemberSession, endOtherSessions } from './sessions.js';
import { updateMemberPassword } from './queries.js';

/** A member's own details and password, changed from the settings page. */
export interface Profile {
  displayName: string;
  jobTitle: string | null;
  bio: string | null;
}

export async function findProfile(ctx: AuthContext, memberId: number) {
  return ctx.db.selectFrom('members').select(['email', 'display_name', 'handle', 'job_title', 'bio']).where('id', '=', memberId).executeTakeFirstOrThrow();
}

export async function updateProfile(ctx: AuthContext, memberId: number, profile: Profile): Promise<void> {
  await ctx.db
    .updateTable('members')
    .set({ display_name: profile.displayName, job_title: profile.jobTitle, bio: profile.bio, updated_at: sql`now()` })
    .where('id', '=', memberId)
    .execute();
}

/** The new password, and every other session of the member ended, together. */
export async function changePassword(ctx: AuthContext, memberId: number, passwordHash: string, currentPublicId: string | undefined, ipAddress: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await updateMemberPassword(trx, memberId, passwordHash);
    const ended = await endOtherSessions(trx, memberId, currentPublicId);
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'password.changed', targetType: 'member', targetId: memberId, ipAddress, details: { sessionsEnded: ended } });
  });
}

/** Ends one of the member's sessions, with its audit row; false when there was none to end. */
export async function endSession(ctx: AuthContext, memberId: number, publicId: string, ipAddress: string): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    if (!(await endMemberSession(trx, memberId, publicId))) return false;
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'session.ended', targetType: 'member', targetId: memberId, ipAddress });
    return true;
  });
}

export async function endSessionsElsewhere(ctx: AuthContext, memberId: number, currentPublicId: string | undefined, ipAddress: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const ended = await endOtherSessions(trx, memberId, currentPublicId);
    await insertAuditEvent(trx, { actorMemberId: memberId, action: 'session.ended_others', targetType: 'member', targetId: memberId, ipAddress, details: { ended } });
  });
}
