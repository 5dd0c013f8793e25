import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { Refused } from '../../lib/errors.js';
import type { Actor } from '../admin/actor.js';
import { lockAgency } from '../admin/queries.js';
import { COORDINATOR_MESSAGES as M } from './messages.js';
import { findAppointment, lockCandidate } from './queries.js';

/**
 * Appointing and removing an agency's coordinators, on the agency's /admin page and with
 * `npm run admin` (which finds the member's id from their address). The appointee must be an
 * active member of that agency, and coordinates one agency at most.
 */

export interface Appointment {
  memberId: number;
  displayName: string;
  agencyId: number;
  agencyName: string;
}

async function lockedAgency(trx: Parameters<typeof lockAgency>[0], agencyId: number) {
  const agency = await lockAgency(trx, agencyId);
  if (!agency) throw new Refused(M.agencyGone, '_form', 404);
  return agency;
}

export async function appointCoordinator(deps: Pick<Deps, 'db'>, agencyId: number, memberId: number, actor: Actor): Promise<Appointment> {
  return inTransaction(deps.db, async (trx) => {
    const agency = await lockedAgency(trx, agencyId);
    const member = await lockCandidate(trx, memberId);
    if (!member) throw new Refused(M.badId, 'email', 404);
    if (member.agency_id !== agencyId) throw new Refused(M.notInAgency(member.display_name, agency.name), 'email');
    if (member.deactivated_at || member.awaiting_approval_since || member.suspended) throw new Refused(M.notActive(member.display_name), 'email');
    const existing = await findAppointment(trx, memberId);
    if (existing) throw new Refused(existing.agency_id === agencyId ? M.alreadyCoordinates(member.display_name, agency.name) : M.coordinatesAnother(member.display_name, existing.agency_name), 'email', 409);
    await trx
      .insertInto('agency_coordinators')
      .values({ member_id: memberId, agency_id: agencyId, appointed_by: 'actorMemberId' in actor ? actor.actorMemberId : null })
      .execute();
    await insertAuditEvent(trx, {
      ...actor,
      action: 'agency.coordinator_appointed',
      targetType: 'agency',
      targetId: agencyId,
      subjectMemberId: memberId,
      details: { agency: agency.name, before: { coordinator: false }, after: { coordinator: true } },
    });
    return { memberId, displayName: member.display_name, agencyId, agencyName: agency.name };
  });
}

export async function removeCoordinator(deps: Pick<Deps, 'db'>, agencyId: number, memberId: number, actor: Actor): Promise<Appointment> {
  return inTransaction(deps.db, async (trx) => {
    const agency = await lockedAgency(trx, agencyId);
    const removed = await trx.deleteFrom('agency_coordinators').where('member_id', '=', memberId).where('agency_id', '=', agencyId).returning('member_id').executeTakeFirst();
    // A second press, or a colleague removed them a moment ago.
    if (!removed) throw new Refused(M.notCoordinator(agency.name), '_form', 409);
    const member = await trx.selectFrom('members').select('display_name').where('id', '=', memberId).executeTakeFirstOrThrow();
    await insertAuditEvent(trx, {
      ...actor,
      action: 'agency.coordinator_removed',
      targetType: 'agency',
      targetId: agencyId,
      subjectMemberId: memberId,
      details: { agency: agency.name, before: { coordinator: true }, after: { coordinator: false } },
    });
    return { memberId, displayName: member.display_name, agencyId, agencyName: agency.name };
  });
}
