import type { Role } from '../../db/types.js';

/** Who is looking: what they may see depends on their role, what is new on who they are. */
export interface Viewer {
  id: number;
  role: Role;
}

/** A category's audience, for seeing it and for starting threads in it. */
export type Audience = 'members' | 'moderators';

/** The roles that see everything a moderator sees (SQL filters on the role column use these). */
export const STAFF_ROLES = ['moderator', 'administrator'] as const satisfies readonly Role[];

export function isStaff(role: Role): boolean {
  return (STAFF_ROLES as readonly Role[]).includes(role);
}

/** The audiences whose categories this viewer may see (queries filter on it in SQL). */
export function audiencesFor(viewer: Viewer): Audience[] {
  return isStaff(viewer.role) ? ['members', 'moderators'] : ['members'];
}

export function mayStartThreads(viewer: Viewer, category: { threadsStartedBy: Audience }): boolean {
  return category.threadsStartedBy === 'members' || isStaff(viewer.role);
}
