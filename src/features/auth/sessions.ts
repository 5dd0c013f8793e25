import { sql } from 'kysely';
import type { Db, Role } from '../../db/types.js';

/**
 * A member's sessions: limits from their current role, checked on every request (SECURITY.md,
 * the bar item 5), at most ten at once, listable and endable from the settings page.
 */
const HOUR = 60 * 60 * 1000;
export const SESSION_LIMITS: Record<'member' | 'staff', { idleMs: number; absoluteMs: number }> = {
  member: { idleMs: 8 * HOUR, absoluteMs: 7 * 24 * HOUR },
  staff: { idleMs: 1 * HOUR, absoluteMs: 24 * HOUR },
};
export const MAX_SESSIONS_PER_MEMBER = 10;
// last_seen_at is written at most this often, not on every request.
export const LAST_SEEN_GRANULARITY_MS = 5 * 60 * 1000;

export function limitsFor(role: Role) {
  return role === 'member' ? SESSION_LIMITS.member : SESSION_LIMITS.staff;
}

/** When the session ends if nothing else happens: idle or absolute, whichever is first. */
export function sessionExpiresAt(role: Role, startedAt: number, lastSeenAt: number): number {
  const limits = limitsFor(role);
  return Math.min(lastSeenAt + limits.idleMs, startedAt + limits.absoluteMs);
}

/** Keeps the newest `keep` sessions of a member and ends the rest; returns how many ended. */
export async function capMemberSessions(db: Db, memberId: number, keep = MAX_SESSIONS_PER_MEMBER - 1): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where('member_id', '=', memberId)
    .where('id_hash', 'not in', (qb) => qb.selectFrom('sessions').select('id_hash').where('member_id', '=', memberId).orderBy('created_at', 'desc').limit(keep))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface MemberSession {
  publicId: string;
  userAgent: string;
  startedAt: Date;
  lastSeenAt: Date | null;
  ipAddress: string | null;
}

export async function listMemberSessions(db: Db, memberId: number, now: Date): Promise<MemberSession[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['public_id', 'user_agent', 'created_at', 'last_seen_at', 'ip_address'])
    .where('member_id', '=', memberId)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((row) => ({ publicId: row.public_id ?? '', userAgent: row.user_agent ?? '', startedAt: row.created_at, lastSeenAt: row.last_seen_at, ipAddress: row.ip_address }));
}

/** Ends one of the member's own sessions; returns whether there was one to end. */
export async function endMemberSession(db: Db, memberId: number, publicId: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('member_id', '=', memberId).where('public_id', '=', publicId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Ends every session of the member, but the one named by `keepPublicId` if given; returns how many. */
export async function endOtherSessions(db: Db, memberId: number, keepPublicId: string | undefined): Promise<number> {
  let query = db.deleteFrom('sessions').where('member_id', '=', memberId);
  if (keepPublicId) query = query.where(sql<boolean>`public_id is distinct from ${keepPublicId}`);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** "Firefox on Windows" from a User-Agent, for a person to recognise their own browsers. */
export function describeBrowser(userAgent: string): string {
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrom(e|ium)\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : 'A browser';
  const system = /Windows/.test(userAgent) ? 'Windows' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Mac OS X/.test(userAgent) ? 'macOS' : /Android/.test(userAgent) ? 'Android' : /Linux/.test(userAgent) ? 'Linux' : undefined;
  return system ? `${browser} on ${system}` : browser;
}
