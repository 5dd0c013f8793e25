import type { FastifyRequest } from 'fastify';

/**
 * Who an administrative change is recorded against in audit_events: an administrator on the
 * /admin pages (with the address they came from) or a label for the shell. Always said by the
 * caller: a change is never recorded against someone by default. Spread into insertAuditEvent's
 * entry.
 */
export type Actor = { actorMemberId: number; ipAddress: string } | { actorLabel: string };

/** The administrator making a change on an /admin page (the scope's guard has checked the role). */
export function administratorOf(request: FastifyRequest): Actor {
  return { actorMemberId: request.member!.id, ipAddress: request.clientAddress };
}
