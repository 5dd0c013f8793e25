import type { Role } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { noteSignInDevice, type SignInDevice } from './devices.js';
import { capMemberSessions } from './sessions.js';

export type SignInRoute = 'password' | 'signup' | 'reset';

/**
 * What every way of signing in records once the member has a new session: the ten-session cap
 * (with an audit row for any it ends), the device noted (staff are told of a new one, except
 * straight after joining), and for sign-ups and resets the sign-in itself.
 */
export async function recordMemberSignIn(deps: Deps, member: { id: number; email: string; role: Role }, route: SignInRoute, device: SignInDevice): Promise<void> {
  const evicted = await capMemberSessions(deps.db, member.id);
  if (evicted > 0) await insertAuditEvent(deps.db, { actorLabel: 'system', action: 'session.evicted', targetType: 'member', targetId: member.id, details: { evicted } });
  // A password sign-in records itself in its own transaction (signin.ts).
  if (route !== 'password') await insertAuditEvent(deps.db, { actorMemberId: member.id, action: 'signin.succeeded', targetType: 'member', targetId: member.id, ipAddress: device.clientAddress, details: { via: route } });
  await noteSignInDevice(deps, member, device, route !== 'signup');
}

/** Signing out, as the audit log records it; the route ends the session itself. */
export async function recordSignOut(deps: Deps, memberId: number, clientAddress: string): Promise<void> {
  await insertAuditEvent(deps.db, { actorMemberId: memberId, action: 'session.signed_out', targetType: 'member', targetId: memberId, ipAddress: clientAddress });
}
