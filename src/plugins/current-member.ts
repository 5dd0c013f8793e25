import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { findSessionMember } from '../features/auth/queries.js';
import { LAST_SEEN_GRANULARITY_MS, sessionExpiresAt } from '../features/auth/sessions.js';
import { insertAuditEvent } from '../lib/audit.js';
import { reconfirmationHeldFrom } from '../features/eligibility/due.js';
import type { SiteSettings } from '../site-settings.js';

/**
 * Who is signed in, checked on every request: the member must still exist and be active, and
 * the session must be within the idle and absolute limits of the member's current role (a
 * demoted moderator's session gets the member limits at once, a promoted member's the staff ones).
 */
export default fp<{ db: Kysely<DB>; now: () => Date; settings: SiteSettings }>(
  async (app, { db, now, settings }) => {
    app.addHook('onRequest', async (request) => {
      const memberId = request.session.get('memberId');
      if (memberId === undefined) return;
      const loaded = request.session.get('memberAtLoad');
      const member = loaded?.id === memberId ? loaded : await findSessionMember(db, memberId);
      const at = now().getTime();
      const startedAt = request.session.get('startedAt') ?? 0;
      const lastSeenAt = request.session.get('lastSeenAt') ?? 0;
      if (!member || member.deactivatedAt || (member.suspendedUntil && member.suspendedUntil.getTime() > at) || at >= sessionExpiresAt(member.role, startedAt, lastSeenAt)) {
        // A new, empty session; the old one is removed from the store.
        await request.session.regenerate();
        // (A session past its time is usually never loaded: the store stops returning it. This
        // catches a member deactivated or suspended, or moved to the staff limits, since the session
        // began; and a suspended member signed in by a password reset.)
        if (member) await insertAuditEvent(db, { actorLabel: 'system', action: 'session.ended_by_policy', targetType: 'member', targetId: member.id, ipAddress: request.clientAddress });
        return;
      }
      request.member = { id: member.id, displayName: member.displayName, handle: member.handle, role: member.role, timeZone: member.timeZone, joinedAt: member.joinedAt, unreadNotifications: member.unreadNotifications, openQueueItems: member.openQueueItems, awaitingApproval: member.awaitingApproval, hasSecondFactor: member.hasSecondFactor, coordinates: member.coordinates, emailBounce: member.emailBounce, reconfirmationDue: (reconfirmationHeldFrom(member.verifiedAt, member.reconfirmationRemindedAt, settings.current.RECONFIRMATION_PERIOD_MONTHS)?.getTime() ?? Infinity) <= at };
      if (at - lastSeenAt >= LAST_SEEN_GRANULARITY_MS) {
        request.session.set('lastSeenAt', at);
        request.session.set('expiresAt', sessionExpiresAt(member.role, startedAt, at));
      }
    });
  },
  { name: 'current-member', dependencies: ['session'] },
);
