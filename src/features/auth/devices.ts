import { createHash } from 'node:crypto';
import type { Role } from '../../db/types.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { formatTime } from '../../lib/time.js';
import { AUTH_MESSAGES } from './messages.js';
import { findMemberCredentials, recordMemberDevice } from './queries.js';
import { describeBrowser } from './sessions.js';

/**
 * Browsers a member signs in from, known by a long-lived random cookie (stored hashed; the
 * cookie itself is the route's business, routes/browser-session.ts). Staff are emailed when one
 * is new: until staff have a second factor, this is how they hear that someone else has their
 * password.
 */
export interface SignInDevice {
  /** The browser's device cookie. */
  deviceId: string;
  userAgent: string;
  clientAddress: string;
}

/** What the database keeps of a device cookie. */
export function hashDeviceId(deviceId: string): string {
  return createHash('sha256').update(deviceId).digest('base64url');
}

/** Records the device; emails staff about a new one. Returns whether the device was new. */
export async function noteSignInDevice(deps: Deps, member: { id: number; email: string; role: Role }, device: SignInDevice, notify: boolean): Promise<boolean> {
  const hash = hashDeviceId(device.deviceId);
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    if (!(await recordMemberDevice(trx, member.id, hash, now))) return false;
    if (!notify || member.role === 'member') return true;
    const browser = describeBrowser(device.userAgent);
    const timeZone = (await findMemberCredentials(trx, { id: member.id }))?.timeZone ?? deps.settings.current.TIME_ZONE;
    await deps.mail.queue(trx, 'auth-new-device', {
      to: member.email,
      subject: AUTH_MESSAGES.newDeviceSubject,
      data: { browser, when: formatTime(now, timeZone), address: device.clientAddress },
      links: { resetLink: '/password/forgot', settingsLink: '/settings' },
    });
    await insertAuditEvent(trx, { actorMemberId: member.id, action: 'signin.new_device', targetType: 'member', targetId: member.id, ipAddress: device.clientAddress, details: { browser } });
    return true;
  });
}
