import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { composeEmail, enqueueEmail } from '../../mail/outbox.js';
import { siteLink, type AuthContext } from './context.js';
import { AUTH_MESSAGES } from './messages.js';
import { recordMemberDevice, type MemberCredentials } from './queries.js';
import { describeBrowser } from './sessions.js';

/**
 * Browsers a member signs in from, known by a long-lived random cookie (stored hashed). Staff
 * are emailed when one is new: until staff have a second factor, this is how they hear that
 * someone else has their password.
 */
const DEVICE_COOKIE_MAX_AGE_S = 400 * 24 * 60 * 60;
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;

function deviceCookieName(config: Config): string {
  return config.publicUrl.protocol === 'https:' ? '__Host-commons_device' : 'commons_device';
}

/** This browser's device id, made and set as a cookie if it has none. */
function deviceId(request: FastifyRequest, reply: FastifyReply, config: Config): string {
  const existing = request.cookies[deviceCookieName(config)];
  if (existing && DEVICE_ID.test(existing)) return existing;
  const id = randomBytes(32).toString('base64url');
  reply.setCookie(deviceCookieName(config), id, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.publicUrl.protocol === 'https:', maxAge: DEVICE_COOKIE_MAX_AGE_S });
  return id;
}

/** Records the device; emails staff about a new one. Returns whether the device was new. */
export async function noteSignInDevice(ctx: AuthContext, request: FastifyRequest, reply: FastifyReply, member: Pick<MemberCredentials, 'id' | 'email' | 'role'>, notify: boolean): Promise<boolean> {
  const hash = createHash('sha256').update(deviceId(request, reply, ctx.config)).digest('base64url');
  const now = ctx.now();
  const isNew = await ctx.db.transaction().execute(async (trx) => {
    if (!(await recordMemberDevice(trx, member.id, hash, now))) return false;
    if (!notify || member.role === 'member') return true;
    const browser = describeBrowser(request.headers['user-agent'] ?? '');
    await enqueueEmail(
      trx,
      composeEmail(ctx.templates, 'auth-new-device', { siteName: ctx.config.siteName, browser, when: now.toUTCString(), address: request.clientAddress, resetLink: siteLink(ctx.config, '/password/forgot'), settingsLink: siteLink(ctx.config, '/settings') }, {
        to: member.email,
        subject: AUTH_MESSAGES.newDeviceSubject(ctx.config.siteName),
        kind: 'auth.new-device',
      }),
    );
    await insertAuditEvent(trx, { actorMemberId: member.id, action: 'signin.new_device', targetType: 'member', targetId: member.id, ipAddress: request.clientAddress, details: { browser } });
    return true;
  });
  if (isNew && notify && member.role !== 'member') ctx.nudgeMail();
  return isNew;
}
