import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { Refused } from '../../lib/errors.js';
import { dayIn, startOfDayIn } from '../../lib/time.js';
import { lockAgency } from '../admin/queries.js';
import { COORDINATOR_MESSAGES as M } from './messages.js';
import { countAgencyMembers, findLatestAttestation } from './queries.js';

/**
 * The quarterly attestation: a coordinator confirms their agency's list of members is right.
 *
 * Due once per calendar quarter (January, April, July, October) in the site's time zone, not
 * every 92 days: a quarter is how agencies already report, everyone's deadline is the same day,
 * and "confirmed this quarter" reads plainly on /admin. An agency is overdue when it has someone
 * coordinating it now and its last attestation (or, never attested, its earliest coordinator's
 * appointment) is before the current quarter began: a coordinator appointed mid-quarter has until
 * the next one.
 */
export function quarterStart(now: Date, timeZone: string): Date {
  const [year, month] = dayIn(now, timeZone).split('-').map(Number) as [number, number];
  const firstMonth = month - ((month - 1) % 3);
  return startOfDayIn(`${year}-${String(firstMonth).padStart(2, '0')}-01`, timeZone);
}

export interface Attested {
  memberCount: number;
}

/**
 * Records the attestation and its audit row in one transaction. `shownCount` is the count the
 * page showed: a list that changed since is refused (409) rather than confirmed unseen, and the
 * same list confirmed again the same day (a double submit) writes nothing.
 */
export async function attestAgencyList(deps: Pick<Deps, 'db' | 'now' | 'settings'>, coordinator: { memberId: number; ipAddress: string }, agencyId: number, form: { shownCount: number; note: string | null }): Promise<Attested> {
  return inTransaction(deps.db, async (trx) => {
    // Two coordinators of one agency confirming at once queue here.
    if (!(await lockAgency(trx, agencyId))) throw new Refused(M.agencyGone, '_form', 404);
    const memberCount = await countAgencyMembers(trx, agencyId);
    if (memberCount !== form.shownCount) throw new Refused(M.listChanged(memberCount), '_form', 409);
    const now = deps.now();
    const timeZone = deps.settings.current.TIME_ZONE;
    const latest = await findLatestAttestation(trx, agencyId);
    if (latest && latest.memberCount === memberCount && dayIn(latest.attestedAt, timeZone) === dayIn(now, timeZone)) throw new Refused(M.alreadyAttested, '_form', 409);
    const row = await trx
      .insertInto('agency_attestations')
      .values({ agency_id: agencyId, member_id: coordinator.memberId, attested_at: now, member_count: memberCount, note: form.note })
      .returning('id')
      .executeTakeFirstOrThrow();
    await insertAuditEvent(trx, {
      actorMemberId: coordinator.memberId,
      ipAddress: coordinator.ipAddress,
      action: 'agency.attested',
      targetType: 'agency',
      targetId: agencyId,
      details: {
        attestationId: row.id,
        ...(form.note ? { reason: form.note } : {}),
        before: latest ? { attestedAt: latest.attestedAt.toISOString(), memberCount: latest.memberCount } : null,
        after: { attestedAt: now.toISOString(), memberCount },
      },
    });
    return { memberCount };
  });
}
