import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { SECOND_FACTOR_MESSAGES } from '../features/auth/second-factor/messages.js';
import { Forbidden } from '../lib/errors.js';
import { setFlash } from '../lib/flash.js';
import { redirectTo, safeNextPath } from '../lib/next-path.js';
import { routeAccess } from './access.js';

/**
 * The second factor's guards: staff scopes (and, with SECOND_FACTOR_REQUIRED_FOR=everyone,
 * every member's page) need a member with a factor whose session has passed it; changes to
 * what protects an account (and every /admin change) need a password or factor check in the
 * last ten minutes (step-up).
 */
export const SECOND_FACTOR_SETUP_PAGE = '/settings/security';
export const CONFIRM_IDENTITY_PAGE = '/confirm-identity';
const RECENT_AUTHENTICATION_MS = 10 * 60 * 1000;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A page a member without a second factor may still reach: setting one up, confirming it is them. */
    secondFactorSetUp?: boolean;
  }
}

function withNext(page: string, next: string): string {
  return `${page}?next=${encodeURIComponent(next)}`;
}

/** Sends a member who lacks a second factor (or has one their session has not passed) to set it up or confirm it. */
async function secondFactorGate(request: FastifyRequest, reply: FastifyReply, required: string): Promise<FastifyReply | undefined> {
  const member = request.member;
  if (!member || (member.hasSecondFactor && request.session.get('secondFactorAt') !== undefined)) return undefined;
  if (request.method !== 'GET' && request.method !== 'HEAD') throw new Forbidden(member.hasSecondFactor ? SECOND_FACTOR_MESSAGES.confirmFactor : required);
  if (!member.hasSecondFactor) {
    setFlash(request, required);
    return redirectTo(reply, withNext(SECOND_FACTOR_SETUP_PAGE, request.url));
  }
  return redirectTo(reply, withNext(CONFIRM_IDENTITY_PAGE, request.url));
}

/**
 * Every route in the calling scope needs a second factor passed in this session. restrictToRole
 * calls it, so every staff scope (/mod, /admin) has it without a line of its own.
 */
export function requireSecondFactor(scope: FastifyInstance, required: string = SECOND_FACTOR_MESSAGES.factorRequired): void {
  scope.addHook('onRequest', async (request, reply) => secondFactorGate(request, reply, required));
}

/**
 * SECOND_FACTOR_REQUIRED_FOR=everyone: every member's page but setting up a factor (and signing
 * out, which is public). A member held to one page (awaiting approval, or past re-confirmation) is
 * exempt while held: the hold sends them to its page and this would send them on to set up a
 * factor, which the hold refuses, round and round. The hold already keeps them to pages that show
 * and change nothing of anyone else's; the requirement applies again once it ends.
 */
export const secondFactorPolicy = fp<{ config: Config }>(
  async (app, { config }) => {
    if (config.secondFactorRequiredFor !== 'everyone') return;
    app.addHook('onRequest', async (request, reply) => {
      if (request.is404 || request.member?.awaitingApproval || request.member?.reconfirmationDue || request.routeOptions.config.secondFactorSetUp) return;
      if (routeAccess(request) === 'public' || routeAccess(request) === 'dev-mailbox') return;
      return secondFactorGate(request, reply, SECOND_FACTOR_MESSAGES.factorRequiredEveryone);
    });
  },
  { name: 'second-factor-policy', dependencies: ['current-member'] },
);

/** Whether the member proved who they are (password or factor) within the last ten minutes. */
export function isRecentlyAuthenticated(request: FastifyRequest, now: Date): boolean {
  const at = request.session.get('authenticatedAt');
  return at !== undefined && now.getTime() - at < RECENT_AUTHENTICATION_MS;
}

/** The page a refused form was sent from (the Referer, when it is a path of ours), to come back to after confirming. */
function sentFrom(request: FastifyRequest, fallback: string): string {
  const referer = request.headers.referer;
  if (!referer) return fallback;
  try {
    const url = new URL(referer);
    return safeNextPath(`${url.pathname}${url.search}`, fallback);
  } catch {
    return fallback;
  }
}

/**
 * A preHandler (after the form token is checked) for a change that needs a recent password or
 * factor check: without one, nothing is done and the member is sent to confirm it is them, then
 * back to the page the form was on (`fallback` when that is unknown).
 */
export function recentAuthentication(now: () => Date, fallback: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (request.method === 'GET' || request.method === 'HEAD' || !request.member || isRecentlyAuthenticated(request, now())) return undefined;
    setFlash(request, SECOND_FACTOR_MESSAGES.confirmRequired);
    return redirectTo(reply, withNext(CONFIRM_IDENTITY_PAGE, sentFrom(request, fallback)));
  };
}

/**
 * Every change (any method but GET and HEAD) in the calling scope needs a recent password or
 * factor check: `requireRecentAuthentication(app, deps.now, '/admin')` in a scope's plugin.
 */
export function requireRecentAuthentication(scope: FastifyInstance, now: () => Date, fallback = '/'): void {
  scope.addHook('preHandler', recentAuthentication(now, fallback));
}
