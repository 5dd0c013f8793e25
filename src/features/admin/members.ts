import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Role } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { csvLines } from '../../lib/csv.js';
import { Refused } from '../../lib/errors.js';
import { updateMemberRole } from '../auth/queries.js';
import { DIGEST_TO_SCHEDULE } from '../notifications/digest-queries.js';
import { endOtherSessions } from '../auth/sessions.js';
import { bumpLibraryVersion } from '../resources/queries/library.js';
import type { Actor } from './actor.js';
import { listMembersNoLongerAdmitted } from './domain-rules.js';
import { ROLE_NAMES } from '../../lib/messages.js';
import { ADMIN_MESSAGES as M } from './messages.js';
import { COORDINATOR_MESSAGES } from '../coordinators/messages.js';
import { isCoordinator } from '../coordinators/queries.js';
import { listMemberListings, lockActiveAdministrators, lockMember, type MemberFilters, type MemberStatusRow } from './queries.js';
import { MEMBER_STATUS_NAMES, type DeactivationReason } from './schemas.js';

/**
 * Roles and deactivation, as administrators change them on /admin and with `npm run admin` (which
 * finds the member's id from their address). Each change and its audit row are one transaction.
 */

export interface RoleChange {
  memberId: number;
  canonicalEmail: string;
  from: Role;
  to: Role;
}

async function lockedMember(trx: Transaction<DB>, memberId: number): Promise<MemberStatusRow> {
  const member = await lockMember(trx, memberId);
  if (!member) throw new Refused(M.memberGone, '_form', 404);
  return member;
}

/**
 * Grants a role, or revokes one by setting 'member'. Sessions are left alone: every request
 * applies the limits of the member's current role (auth/current-member.ts).
 */
export async function setRole(deps: Pick<Deps, 'db'>, memberId: number, role: Role, actor: Actor): Promise<RoleChange> {
  return inTransaction(deps.db, async (trx) => {
    // Administrators are locked before the member (in id order), so two demotions at once queue rather than deadlock.
    const administrators = role === 'administrator' ? [] : await lockActiveAdministrators(trx);
    const member = await lockedMember(trx, memberId);
    if (member.role === role) throw new Refused(M.alreadyHasRole(member.canonicalEmail, role), '_form', 409);
    // Someone must be left who can give the role back (an administrator demoting themselves, too).
    if (member.role === 'administrator' && member.deactivatedAt === null && administrators.every((id) => id === member.id)) {
      throw new Refused(M.lastAdministrator, 'role');
    }
    await updateMemberRole(trx, member.id, role);
    await insertAuditEvent(trx, {
      ...actor,
      action: role === 'member' ? 'role.revoked' : 'role.granted',
      targetType: 'member',
      targetId: member.id,
      subjectMemberId: member.id,
      details: { before: { role: member.role }, after: { role } },
    });
    return { memberId: member.id, canonicalEmail: member.canonicalEmail, from: member.role, to: role };
  });
}

export interface Deactivation {
  memberId: number;
  canonicalEmail: string;
  displayName: string;
  sessionsEnded: number;
}

export type { DeactivationReason };

export interface DeactivationOptions {
  /** The coordinator's words, kept in the audit row's details. */
  note?: string;
  /**
   * An agency coordinator's leaver (reason left_agency): only a plain member of that agency who coordinates nothing,
   * checked on the locked row (the member may have moved agency since the page was shown).
   */
  withinAgency?: number;
}

/** Stops a member signing in and ends every session they have. */
export async function deactivateMember(deps: Pick<Deps, 'db'>, memberId: number, actor: Actor, options: DeactivationOptions = {}): Promise<Deactivation> {
  return inTransaction(deps.db, async (trx) => {
    const member = await lockedMember(trx, memberId);
    // An administrator who deactivates themselves may be the last one: nobody could undo it from the site.
    if ('actorMemberId' in actor && actor.actorMemberId === member.id) throw new Refused(M.notYourself, '_form', 409);
    if (options.withinAgency !== undefined) {
      if (member.agencyId !== options.withinAgency) throw new Refused(COORDINATOR_MESSAGES.notYourAgency, '_form', 404);
      if (member.role !== 'member' || (await isCoordinator(trx, member.id))) throw new Refused(COORDINATOR_MESSAGES.onlyPlainMembers, '_form', 403);
      // Rejecting is the way to turn a sign-up away: it tells them why, where this would not.
      if (member.awaitingApproval && !member.deactivatedAt) throw new Refused(COORDINATOR_MESSAGES.awaitingApproval, '_form', 409);
    }
    if (member.deactivatedAt) throw new Refused(M.alreadyDeactivated(member.canonicalEmail), '_form', 409);
    const sessionsEnded = await deactivateLocked(trx, member, actor, options.withinAgency === undefined ? 'administrator' : 'left_agency', options.note === undefined ? {} : { note: options.note });
    // The library's kept cards name sharers: theirs now read "Former member".
    await bumpLibraryVersion(trx);
    return { memberId: member.id, canonicalEmail: member.canonicalEmail, displayName: member.displayName, sessionsEnded };
  });
}

async function deactivateLocked(trx: Transaction<DB>, member: MemberStatusRow, actor: Actor, reason: DeactivationReason, details: Record<string, unknown> = {}): Promise<number> {
  const sessionsEnded = await markDeactivated(trx, member.id, reason);
  await insertAuditEvent(trx, {
    ...actor,
    action: 'member.deactivated',
    targetType: 'member',
    targetId: member.id,
    subjectMemberId: member.id,
    details: { reason, ...details, before: { deactivated: false }, after: { deactivated: true }, sessionsEnded },
  });
  return sessionsEnded;
}

/**
 * Deactivates a member, if still active, inside the caller's transaction, for a reason the site
 * found itself (a bounced address, a domain no longer admitted); returns whether it did. The
 * last active administrator is left active (nobody could reactivate anyone from the site), with
 * an audit row saying so for whoever looks after the server.
 */
export async function deactivateWithin(trx: Transaction<DB>, memberId: number, reason: DeactivationReason, actor: Actor, details: Record<string, unknown> = {}): Promise<boolean> {
  // Administrators before the member, in the order setRole locks them, so the two queue rather than deadlock.
  const administrators = await lockActiveAdministrators(trx);
  const member = await lockMember(trx, memberId);
  if (!member || member.deactivatedAt) return false;
  if (member.role === 'administrator' && administrators.every((id) => id === member.id)) {
    await insertAuditEvent(trx, { ...actor, action: 'member.deactivation_skipped', targetType: 'member', targetId: member.id, subjectMemberId: member.id, details: { reason, ...details, why: 'last active administrator' } });
    return false;
  }
  await deactivateLocked(trx, member, actor, reason, details);
  await bumpLibraryVersion(trx);
  return true;
}

/**
 * Deactivates the members a review page listed whose addresses the rules still refuse, in one
 * transaction; anyone deactivated meanwhile, or admitted again by a rule added since, is left, and
 * so is the administrator doing it (who would otherwise lock themselves out mid-review).
 */
export async function deactivateMembersNoLongerAdmitted(deps: Pick<Deps, 'db'>, memberIds: readonly number[], actor: Actor): Promise<number> {
  const ids = [...new Set(memberIds)].filter((id) => !('actorMemberId' in actor) || id !== actor.actorMemberId);
  return inTransaction(deps.db, async (trx) => {
    // Rules are read after this lock, so a rule added meanwhile is either seen here or waits.
    await lockDomainRulesForReading(trx);
    const listed = await listMembersNoLongerAdmitted(trx, ids);
    let deactivated = 0;
    for (const { id } of listed) {
      const member = await lockedMember(trx, id);
      if (member.deactivatedAt) continue;
      await deactivateLocked(trx, member, actor, 'domain_not_admitted');
      deactivated += 1;
    }
    if (deactivated > 0) await bumpLibraryVersion(trx);
    return deactivated;
  });
}

/** Holds the domain rules still until the transaction ends, so a decision read under it stands. */
export async function lockDomainRulesForReading(trx: Transaction<DB>): Promise<void> {
  await sql`lock table domain_rules in share mode`.execute(trx);
}

/** The deactivation itself, inside a caller's transaction (a rejected applicant too): returns the sessions it ended. */
export async function markDeactivated(trx: Transaction<DB>, memberId: number, reason: DeactivationReason): Promise<number> {
  await trx.updateTable('members').set({ deactivated_at: sql`now()`, deactivation_reason: reason, notification_digest_due_at: null, updated_at: sql`now()` }).where('id', '=', memberId).execute();
  return endOtherSessions(trx, memberId, undefined);
}

/** Lets a deactivated member sign in again (with their old password, or after a reset). */
export async function reactivateMember(deps: Pick<Deps, 'db'>, memberId: number, actor: Actor): Promise<{ memberId: number; canonicalEmail: string; displayName: string }> {
  return inTransaction(deps.db, async (trx) => {
    const member = await lockedMember(trx, memberId);
    if (!member.deactivatedAt) throw new Refused(M.notDeactivated(member.canonicalEmail), '_form', 409);
    await trx.updateTable('members').set({ deactivated_at: null, deactivation_reason: null, notification_digest_due_at: DIGEST_TO_SCHEDULE, updated_at: sql`now()` }).where('id', '=', member.id).execute();
    await bumpLibraryVersion(trx);
    await insertAuditEvent(trx, {
      ...actor,
      action: 'member.reactivated',
      targetType: 'member',
      targetId: member.id,
      subjectMemberId: member.id,
      details: { before: { deactivatedAt: member.deactivatedAt.toISOString(), reason: member.deactivationReason }, after: { deactivatedAt: null, reason: null } },
    });
    return { memberId: member.id, canonicalEmail: member.canonicalEmail, displayName: member.displayName };
  });
}

const EXPORT_BATCH = 1000;
const EXPORT_HEADER = ['Name', 'Handle', 'Email', 'Agency', 'Role', 'Status', 'Joined', 'Last signed in'] as const;

/**
 * Every member the filters match, as CSV, and the audit row saying who took the list and with
 * which filters (a list of addresses leaving the site is worth knowing about), in one transaction.
 */
export async function exportMembers(deps: Pick<Deps, 'db'>, filters: Omit<MemberFilters, 'before'>, actor: Actor): Promise<{ csv: string; rows: number }> {
  return inTransaction(deps.db, async (trx) => {
    const rows: Array<Array<string | null>> = [];
    let before: number | undefined;
    for (;;) {
      const batch = await listMemberListings(trx, { ...filters, before }, EXPORT_BATCH);
      for (const member of batch) {
        rows.push([member.displayName, member.handle, member.canonicalEmail, member.agencyName, ROLE_NAMES[member.role], MEMBER_STATUS_NAMES[member.status], member.joinedAt.toISOString(), member.lastSignedInAt?.toISOString() ?? null]);
      }
      if (batch.length < EXPORT_BATCH) break;
      before = batch.at(-1)!.id;
    }
    await insertAuditEvent(trx, { ...actor, action: 'members.exported', details: { filters, rows: rows.length } });
    return { csv: csvLines(EXPORT_HEADER, rows), rows: rows.length };
  });
}
