import type { Database } from '../../src/db/database.js';
import { refusedLeaving } from './moderation.js';
import { escapeLikeHandlebars } from './resources.js';

type Db = Database['db'];

/** Everything appointing, attesting, approving and deactivating can write: equal before and after means nothing was. */
export async function coordinationState(db: Db) {
  return {
    coordinators: await db.selectFrom('agency_coordinators').select(['member_id', 'agency_id', 'appointed_by']).orderBy('member_id').execute(),
    attestations: await db.selectFrom('agency_attestations').select(['id', 'agency_id', 'member_id', 'member_count', 'note']).orderBy('id').execute(),
    members: await db.selectFrom('members').select(['id', 'agency_id', 'role', 'deactivated_at', 'awaiting_approval_since']).orderBy('id').execute(),
    emails: Number((await db.selectFrom('outbound_emails').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
    auditEvents: Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n),
  };
}

/** Sends a request that must be refused with `status` and `message` (as the page escapes it), writing nothing. */
export function refusedWritingNothing<R extends { statusCode: number; body: string }>(db: Db, send: () => Promise<R>, status: number, message?: string): Promise<R> {
  return refusedLeaving(() => coordinationState(db), send, status, message && escapeLikeHandlebars(message));
}

/** Appoints straight in the database (the appointment's own tests go through the agency page). */
export async function appointInDatabase(db: Db, memberId: number, agencyId: number, appointedAt = new Date()): Promise<void> {
  await db.insertInto('agency_coordinators').values({ member_id: memberId, agency_id: agencyId, appointed_at: appointedAt }).execute();
}
