import type { FastifyReply, FastifyRequest } from 'fastify';
import { insertAuditEvent } from '../../lib/audit.js';
import type { AuthContext } from './context.js';
import { noteSignInDevice } from './devices.js';
import type { Role } from './queries.js';
import { capMemberSessions, startMemberSession } from './sessions.js';

export type SignInRoute = 'password' | 'signup' | 'reset';

/**
 * What every way of signing in does once the member is known: a new session id, the ten-session
 * cap (with an audit row for any it ends), the device noted (staff are told of a new one, except
 * straight after joining), and for sign-ups and resets the sign-in itself recorded.
 */
export async function beginMemberSession(ctx: AuthContext, request: FastifyRequest, reply: FastifyReply, member: { id: number; email: string; role: Role }, route: SignInRoute): Promise<void> {
  await startMemberSession(request, member, ctx.now());
  const evicted = await capMemberSessions(ctx.db, member.id);
  if (evicted > 0) await insertAuditEvent(ctx.db, { actorLabel: 'system', action: 'session.evicted', targetType: 'member', targetId: member.id, details: { evicted } });
  // A password sign-in records itself in its own transaction (signin.ts).
  if (route !== 'password') await insertAuditEvent(ctx.db, { actorMemberId: member.id, action: 'signin.succeeded', targetType: 'member', targetId: member.id, ipAddress: request.clientAddress, details: { via: route } });
  await noteSignInDevice(ctx, request, reply, member, route !== 'signup');
}
