import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Role } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { parseWorkEmail } from '../auth/email-address.js';
import { updateMemberRole } from '../auth/queries.js';
import { endOtherSessions } from '../auth/sessions.js';
import { bumpLibraryVersion } from '../resources/queries/library.js';
import type { Actor } from './actor.js';
import { ADMIN_MESSAGES as M, Refused } from './messages.js';

/**
 * Roles and deactivation, as the operator changes them. A member is named by any form of their
 * address (`Jane.Citizen+x@Finance.gov.au` finds `jane.citizen@finance.gov.au`). Each change and
 * its audit row are one transaction.
 */

interface MemberRow {
  id: number;
  canonicalEmail: string;
  role: Role;
  deactivatedAt: Date | null;
}

export interface RoleChange {
  memberId: number;
  canonicalEmail: string;
  from: Role;
  to: Role;
}

/**
 * Grants a role, or revokes one by setting 'member'. Sessions are left alone: every request
 * applies the limits of the member's current role (auth/current-member.ts).
 */
export async function setRole(deps: Pick<Deps, 'db'>, email: string, role: Role, actor: Actor): Promise<RoleChange> {
  const canonical = canonicalEmailOf(email);
  return inTransaction(deps.db, async (trx) => {
    const member = await findMemberForUpdate(trx, canonical);
    if (member.role === role) throw new Refused(M.alreadyHasRole(canonical, role));
    await updateMemberRole(trx, member.id, role);
    await insertAuditEvent(trx, {
      ...actor,
      action: role === 'member' ? 'role.revoked' : 'role.granted',
      targetType: 'member',
      targetId: member.id,
      details: { from: member.role, to: role },
    });
    return { memberId: member.id, canonicalEmail: canonical, from: member.role, to: role };
  });
}

export interface Deactivation {
  memberId: number;
  canonicalEmail: string;
  sessionsEnded: number;
}

/** Stops a member signing in and ends every session they have. */
export async function deactivateMember(deps: Pick<Deps, 'db'>, email: string, actor: Actor): Promise<Deactivation> {
  const canonical = canonicalEmailOf(email);
  return inTransaction(deps.db, async (trx) => {
    const member = await findMemberForUpdate(trx, canonical);
    if (member.deactivatedAt) throw new Refused(M.alreadyDeactivated(canonical));
    const sessionsEnded = await markDeactivated(trx, member.id);
    // The library's kept cards name sharers: theirs now read "Former member".
    await bumpLibraryVersion(trx);
    await insertAuditEvent(trx, { ...actor, action: 'member.deactivated', targetType: 'member', targetId: member.id, subjectMemberId: member.id, details: { sessionsEnded } });
    return { memberId: member.id, canonicalEmail: canonical, sessionsEnded };
  });
}

/** The deactivation itself, inside a caller's transaction (a rejected applicant too): returns the sessions it ended. */
export async function markDeactivated(trx: Transaction<DB>, memberId: number): Promise<number> {
  await trx.updateTable('members').set({ deactivated_at: sql`now()`, updated_at: sql`now()` }).where('id', '=', memberId).execute();
  return endOtherSessions(trx, memberId, undefined);
}

/** Lets a deactivated member sign in again (with their old password, or after a reset). */
export async function reactivateMember(deps: Pick<Deps, 'db'>, email: string, actor: Actor): Promise<{ memberId: number; canonicalEmail: string }> {
  const canonical = canonicalEmailOf(email);
  return inTransaction(deps.db, async (trx) => {
    const member = await findMemberForUpdate(trx, canonical);
    if (!member.deactivatedAt) throw new Refused(M.notDeactivated(canonical));
    await trx.updateTable('members').set({ deactivated_at: null, updated_at: sql`now()` }).where('id', '=', member.id).execute();
    await bumpLibraryVersion(trx);
    await insertAuditEvent(trx, { ...actor, action: 'member.reactivated', targetType: 'member', targetId: member.id, subjectMemberId: member.id, details: { deactivatedAt: member.deactivatedAt.toISOString() } });
    return { memberId: member.id, canonicalEmail: canonical };
  });
}

function canonicalEmailOf(input: string): string {
  const parsed = parseWorkEmail(input);
  if (!parsed.ok) throw new Refused(M.invalidEmail(input, parsed.reason));
  return parsed.canonical;
}

async function findMemberForUpdate(trx: Transaction<DB>, canonicalEmail: string): Promise<MemberRow> {
  const row = await trx.selectFrom('members').select(['id', 'canonical_email', 'role', 'deactivated_at']).where('canonical_email', '=', canonicalEmail).forUpdate().executeTakeFirst();
  if (!row) throw new Refused(M.unknownMember(canonicalEmail));
  return { id: row.id, canonicalEmail: row.canonical_email, role: row.role as Role, deactivatedAt: row.deactivated_at };
}
