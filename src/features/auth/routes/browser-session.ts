import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import type { Role } from '../../../db/types.js';
import type { Deps } from '../../../deps.js';
import { siteCookie } from '../../../plugins/session.js';
import type { SignInDevice } from '../devices.js';
import { limitsFor, sessionExpiresAt } from '../sessions.js';
import { recordMemberSignIn, recordSignOut, type SignInRoute } from '../signed-in.js';

/**
 * The cookie and session work of signing in and out, for the routes: the services are told the
 * member, the device and the client address as plain values.
 */
const DEVICE_COOKIE_MAX_AGE_S = 400 * 24 * 60 * 60;
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;

/** This browser's device id, if it has one (it gets one when it signs in). */
export function existingDeviceId(request: FastifyRequest, config: Config): string | undefined {
  const existing = request.cookies[siteCookie(config, 'commons_device').name];
  return existing && DEVICE_ID.test(existing) ? existing : undefined;
}

/** This browser's device id, made and set as a cookie if it has none. */
function browserDeviceId(request: FastifyRequest, reply: FastifyReply, config: Config): string {
  const existing = existingDeviceId(request, config);
  if (existing) return existing;
  const cookie = siteCookie(config, 'commons_device');
  const id = randomBytes(32).toString('base64url');
  reply.setCookie(cookie.name, id, { ...cookie.options, maxAge: DEVICE_COOKIE_MAX_AGE_S });
  return id;
}

function browserDevice(request: FastifyRequest, reply: FastifyReply, config: Config): SignInDevice {
  return { deviceId: browserDeviceId(request, reply, config), userAgent: request.headers['user-agent'] ?? '', clientAddress: request.clientAddress };
}

/** A fresh session id for the signed-in member, and with it a fresh form-token secret. */
async function startMemberSession(request: FastifyRequest, member: { id: number; role: Role }, now: Date): Promise<void> {
  await request.session.regenerate();
  // The cookie outlives a browser restart up to the absolute limit; the server decides sooner.
  request.session.options({ maxAge: limitsFor(member.role).absoluteMs });
  const at = now.getTime();
  request.session.set('memberId', member.id);
  request.session.set('publicId', randomUUID());
  request.session.set('startedAt', at);
  request.session.set('lastSeenAt', at);
  request.session.set('expiresAt', sessionExpiresAt(member.role, at, at));
  request.session.set('absoluteExpiresAt', at + limitsFor(member.role).absoluteMs);
  request.session.set('userAgent', (request.headers['user-agent'] ?? '').slice(0, 300));
  request.session.set('ipAddress', request.clientAddress);
}

/** Signs this browser in as the member: a new session, then the sign-in recorded. */
export async function signInBrowser(deps: Deps, request: FastifyRequest, reply: FastifyReply, member: { id: number; email: string; role: Role }, route: SignInRoute): Promise<void> {
  await startMemberSession(request, member, deps.now());
  await recordMemberSignIn(deps, member, route, browserDevice(request, reply, deps.config));
}

/** Signs this browser out: the stored session goes, with an audit row when a member was signed in. */
export async function signOutBrowser(deps: Deps, request: FastifyRequest): Promise<void> {
  const memberId = request.session.get('memberId');
  if (memberId === undefined) return;
  await request.session.destroy();
  await recordSignOut(deps, memberId, request.clientAddress);
}
