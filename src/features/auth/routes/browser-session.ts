import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import type { Role } from '../../../db/types.js';
import type { Deps } from '../../../deps.js';
import { insertAuditEvent } from '../../../lib/audit.js';
import { siteCookie } from '../../../plugins/session.js';
import type { SignInDevice } from '../devices.js';
import { countMemberFactors } from '../second-factor/queries.js';
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
async function signInBrowser(deps: Deps, request: FastifyRequest, reply: FastifyReply, member: { id: number; email: string; role: Role }, route: SignInRoute): Promise<void> {
  await startMemberSession(request, member, deps.now());
  await recordMemberSignIn(deps, member, route, browserDevice(request, reply, deps.config));
}

/** Where a sign-in waits between the password (or an emailed link) and the second factor. */
export const SECOND_STEP_PAGE = '/login/second-factor';
// Long enough to find a phone; the pending session is an anonymous one, gone after this.
const SECOND_STEP_MS = 10 * 60 * 1000;

export interface PendingSignIn {
  memberId: number;
  route: SignInRoute;
  next: string;
  startedAt: number;
}

declare module 'fastify' {
  interface Session {
    /** A member past the password (or a reset link) but not yet their second factor: not signed in. */
    pendingSignIn?: PendingSignIn;
  }
}

/**
 * Every way in (password, a reset link, a verification link) comes through here, so none skips
 * the second factor: a member with one gets a session that is not signed in and the second
 * step; one without is signed in. Returns where to send the browser.
 */
export async function signInOrAskSecondFactor(deps: Deps, request: FastifyRequest, reply: FastifyReply, member: { id: number; email: string; role: Role }, route: SignInRoute, next: string): Promise<string> {
  if ((await countMemberFactors(deps.db, member.id)) === 0) {
    await signInBrowser(deps, request, reply, member, route);
    // The member has just typed their password (or chosen one): a check, for step-up.
    request.session.set('authenticatedAt', deps.now().getTime());
    return next;
  }
  await request.session.regenerate();
  request.session.set('pendingSignIn', { memberId: member.id, route, next, startedAt: deps.now().getTime() });
  return SECOND_STEP_PAGE;
}

/** The sign-in waiting for this browser's second factor, unless it has waited too long. */
export function pendingSignIn(request: FastifyRequest, now: Date): PendingSignIn | undefined {
  const pending = request.session.get('pendingSignIn');
  return pending && now.getTime() - pending.startedAt < SECOND_STEP_MS ? pending : undefined;
}

/** The second factor passed: signed in at last, and counted as a recent check for step-up. */
export async function completeSecondStep(deps: Deps, request: FastifyRequest, reply: FastifyReply, member: { id: number; email: string; role: Role }, pending: PendingSignIn, via: FactorUsed): Promise<void> {
  await signInBrowser(deps, request, reply, member, pending.route);
  const at = deps.now().getTime();
  request.session.set('secondFactorAt', at);
  request.session.set('authenticatedAt', at);
  // The password step's row says the password was right; this one says the sign-in finished, and with what.
  await insertAuditEvent(deps.db, { actorMemberId: member.id, action: 'signin.second_factor_passed', targetType: 'member', targetId: member.id, ipAddress: request.clientAddress, details: { via } });
}

/** What a member proved themselves with, as the audit log records it. */
export type FactorUsed = 'totp' | 'recovery-code' | 'passkey';

// What a session keeps when its id is renewed at step-up: everything but the notice.
const KEPT_AT_STEP_UP = ['memberId', 'publicId', 'startedAt', 'lastSeenAt', 'expiresAt', 'absoluteExpiresAt', 'userAgent', 'ipAddress', 'secondFactorAt'] as const;

/** A password or factor checked again (step-up): a new session id, and the time of the check. */
export async function confirmAuthenticated(deps: Deps, request: FastifyRequest, via: FactorUsed | 'password'): Promise<void> {
  const memberId = request.session.get('memberId')!;
  const absoluteExpiresAt = request.session.get('absoluteExpiresAt');
  await request.session.regenerate([...KEPT_AT_STEP_UP]);
  const at = deps.now().getTime();
  if (absoluteExpiresAt !== undefined) request.session.options({ maxAge: Math.max(0, absoluteExpiresAt - at) });
  request.session.set('authenticatedAt', at);
  if (via !== 'password') request.session.set('secondFactorAt', at);
  await insertAuditEvent(deps.db, { actorMemberId: memberId, action: 'identity.confirmed', targetType: 'member', targetId: memberId, ipAddress: request.clientAddress, details: { via } });
}

/** Signs this browser out: the stored session goes, with an audit row when a member was signed in. */
export async function signOutBrowser(deps: Deps, request: FastifyRequest): Promise<void> {
  const memberId = request.session.get('memberId');
  if (memberId === undefined) return;
  await request.session.destroy();
  await recordSignOut(deps, memberId, request.clientAddress);
}
