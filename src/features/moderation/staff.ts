import type { Role } from '../../db/types.js';
import { Forbidden, NotFound } from '../../lib/errors.js';
import { MODERATION_MESSAGES as M } from './messages.js';
import type { ModeratedMember } from './queries/members.js';

/** The moderator or administrator taking an action, as the /mod scope's guard admitted them. */
export interface Moderator {
  id: number;
  role: Role;
  ipAddress: string;
}

/**
 * Whom a moderator may warn or suspend: never themselves, and a moderator or an administrator
 * only when an administrator acts (a moderator cannot sideline a colleague or their superiors).
 */
export function checkMayActOn(moderator: Moderator, member: ModeratedMember | undefined): ModeratedMember {
  if (!member) throw new NotFound(M.badMemberId);
  if (member.id === moderator.id) throw new Forbidden(M.notYourself);
  if (member.role !== 'member' && moderator.role !== 'administrator') throw new Forbidden(M.staffOnlyByAdministrators);
  return member;
}

/**
 * Whose posts, threads and resources a moderator may act on: a member's and their own; a
 * colleague's or an administrator's only when an administrator acts (the rule warnings and
 * suspensions follow).
 */
export function mayModerateContentOf(moderator: Pick<Moderator, 'id' | 'role'>, author: Pick<ModeratedMember, 'id' | 'role'>): boolean {
  return moderator.role === 'administrator' || author.id === moderator.id || author.role === 'member';
}

export function checkMayModerateContentOf(moderator: Pick<Moderator, 'id' | 'role'>, author: Pick<ModeratedMember, 'id' | 'role'> | undefined): void {
  if (author && !mayModerateContentOf(moderator, author)) throw new Forbidden(M.staffContentOnlyByAdministrators);
}
