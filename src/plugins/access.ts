import fp from 'fastify-plugin';
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden } from '../lib/errors.js';
import { PAGE_MESSAGES } from '../lib/messages.js';
import { redirectTo } from '../lib/next-path.js';
import { EMAIL_CHANGE_LINK, EMAIL_CHANGE_PAGE } from '../features/auth/email-change.js';
import { RETRY_ADDRESS_PATH } from '../features/eligibility/messages.js';
import { SECOND_FACTOR_MESSAGES } from '../features/auth/second-factor/messages.js';
import { CONFIRM_IDENTITY_PAGE, requireSecondFactor } from './second-factor.js';
import type { EmailBounce } from '../features/auth/queries.js';

/**
 * Who may reach a route. Every route is for signed-in, active members unless it says
 * otherwise in `config.access`; the public ones are an explicit, short list, and a staff area's
 * routes are marked by its scope (restrictToRole). A test walks every registered route and
 * checks this.
 */
export type RouteAccess = 'public' | 'member' | 'moderator' | 'administrator' | 'coordinator' | 'dev-mailbox';

/** The roles a staff scope can be kept for; a moderators' scope admits administrators too. */
export type StaffAccess = 'moderator' | 'administrator';

const ADMITTED: Record<StaffAccess, readonly CurrentMember['role'][]> = { moderator: ['moderator', 'administrator'], administrator: ['administrator'] };
const REFUSAL: Record<StaffAccess, string> = { moderator: PAGE_MESSAGES.moderatorsOnly, administrator: PAGE_MESSAGES.administratorsOnly };

export interface CurrentMember {
  id: number;
  displayName: string;
  handle: string;
  role: 'member' | 'moderator' | 'administrator';
  /** Their own IANA time zone; null for the site's. */
  timeZone: string | null;
  /** When they joined: a member's first days have tighter posting limits. */
  joinedAt: Date;
  /** For the header's notifications link. */
  unreadNotifications: number;
  /** For the staff header's review-queue link; 0 for members. */
  openQueueItems: number;
  /** Signed in, but only to the page that says a moderator has yet to approve them. */
  awaitingApproval: boolean;
  /** Has an authenticator app or a passkey (plugins/second-factor.ts). */
  hasSecondFactor: boolean;
  /** Past the date to re-confirm their work address: held to the re-confirmation page (features/eligibility). */
  reconfirmationDue: boolean;
  /** Coordinates the agency they are in: the header links to /coordinator. */
  coordinates: boolean;
  /** Their address refused email for good: every page says so until they change it or ask to try again (features/eligibility/bounces.ts). */
  emailBounce: EmailBounce | null;
}

export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess;
  /** The route's config as the app ended up with it (its CSRF exemptions, its own rate limit). */
  config: FastifyContextConfig;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    member: CurrentMember | null;
  }
  interface FastifyInstance {
    /** Every route registered after this plugin, for the route inventory test and docs. */
    routeInventory: RegisteredRoute[];
  }
}

export function routeAccess(request: FastifyRequest): RouteAccess {
  return request.routeOptions.config.access ?? 'member';
}

/** Registered at the root first, so it sees every route. */
export const routeInventory = fp(
  async (app) => {
    const routes: RegisteredRoute[] = [];
    app.decorate('routeInventory', routes);
    app.decorateRequest('member', null);
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        routes.push({
          method,
          url: route.url,
          // Read when asked: a scope's own onRoute hook (see markPublic) runs after this one.
          get access() {
            return (route.config as { access?: RouteAccess } | undefined)?.access ?? 'member';
          },
          get config() {
            return (route.config ?? {}) as FastifyContextConfig;
          },
        });
      }
    });
  },
  { name: 'route-inventory' },
);

/** Makes every route registered in the calling scope public (for plugins that take no route config). */
export function markPublic(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: 'public' };
  });
}

/**
 * Keeps every route registered in the calling scope for staff: moderators (and administrators)
 * or administrators only. A single check for the whole subtree, so a route added to it later,
 * whatever its own config says, is guarded too. The mark is for the route inventory (and so for
 * requireAccess, which sends a signed-out visitor to sign in first); the hook is the check.
 */
export function restrictToRole(scope: FastifyInstance, access: StaffAccess): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, access };
  });
  scope.addHook('onRequest', async (request) => {
    if (!request.member || !ADMITTED[access].includes(request.member.role)) throw new Forbidden(REFUSAL[access]);
  });
  // Staff pages rest on more than a password (issue 11): the factor check runs after the role's.
  requireSecondFactor(scope);
}

/**
 * Keeps every route registered in the calling scope for agency coordinators: members (of any
 * role) with an appointment `appointed` finds now. The appointment is per agency and not a role,
 * so the check asks the database rather than the member's role; like a staff scope's, it needs a
 * second factor (coordinators see their colleagues' addresses and can deactivate them).
 */
export function restrictToCoordinators(scope: FastifyInstance, appointed: (request: FastifyRequest) => Promise<boolean>): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: 'coordinator' };
  });
  scope.addHook('onRequest', async (request) => {
    if (!request.member || !(await appointed(request))) throw new Forbidden(PAGE_MESSAGES.coordinatorsOnly);
  });
  requireSecondFactor(scope, SECOND_FACTOR_MESSAGES.factorRequiredCoordinator);
}

/**
 * What every member held to one page (awaiting approval, or past re-confirmation) may still
 * reach besides it: signing out, and the site's notices, whose contact page the hold's messages
 * point to.
 */
const OPEN_WHILE_HELD = ['/logout', '/guidelines', '/privacy', '/accessibility', '/contact'];

/** Where a member still waiting for a moderator's approval may go: that page, and what is open to every held member. */
export const AWAITING_APPROVAL_PAGE = '/awaiting-approval';
const OPEN_WHILE_AWAITING_APPROVAL = new Set([AWAITING_APPROVAL_PAGE, ...OPEN_WHILE_HELD]);

/** The page a member past their re-confirmation date is held to, and the emailed link that ends it. */
export const RECONFIRMATION_PAGE = '/reconfirm';
export const RECONFIRMATION_LINK = '/reconfirm/:token';
const OPEN_WHILE_RECONFIRMATION_DUE = new Set([RECONFIRMATION_PAGE, RECONFIRMATION_LINK, ...OPEN_WHILE_HELD]);

/**
 * Changing one's address (a member who moved agency re-confirms by proving a new one): the
 * address-change page, the link sent to the new address, asking for a bouncing address to be tried
 * again (its banner shows on the held page too), and the password or factor check the
 * change may ask for (the page and its three forms: a sign-in older than ten minutes must pass
 * it), open to a member held for re-confirmation.
 */
function openWhileReconfirmationDue(url: string): boolean {
  // The imported names are read here, not when this module loads: second-factor.ts imports this one.
  const confirmIdentity = [CONFIRM_IDENTITY_PAGE, `${CONFIRM_IDENTITY_PAGE}/password`, `${CONFIRM_IDENTITY_PAGE}/code`, `${CONFIRM_IDENTITY_PAGE}/passkey`];
  const addressChange = [EMAIL_CHANGE_PAGE, `${EMAIL_CHANGE_LINK}:token`, RETRY_ADDRESS_PATH, ...confirmIdentity];
  return OPEN_WHILE_RECONFIRMATION_DUE.has(url) || addressChange.includes(url);
}

/** Sends a member held to one page there (GET), or refuses anything else they try. */
function holdTo(request: FastifyRequest, reply: FastifyReply, page: string, refusal: string) {
  if (request.method === 'GET' || request.method === 'HEAD') return redirectTo(reply, page);
  throw new Forbidden(refusal);
}

/**
 * The guard for the site's routes: signed-in members only unless the route is public; a member
 * awaiting approval is held to a few pages (not even the public home page, which shows them the
 * forum), and one past their re-confirmation date to the re-confirmation page (staff too: /admin
 * is no exception).
 */
export const requireAccess = fp(
  async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      const url = request.routeOptions.url ?? '';
      if (request.member?.awaitingApproval && !request.is404 && !OPEN_WHILE_AWAITING_APPROVAL.has(url)) {
        return holdTo(request, reply, AWAITING_APPROVAL_PAGE, PAGE_MESSAGES.awaitingApproval);
      }
      if (request.member?.reconfirmationDue && !request.is404 && !openWhileReconfirmationDue(url)) {
        return holdTo(request, reply, RECONFIRMATION_PAGE, PAGE_MESSAGES.reconfirmationDue);
      }
      const access = routeAccess(request);
      if (request.is404 || access === 'public' || access === 'dev-mailbox' || request.member) return;
      if (request.method === 'GET' || request.method === 'HEAD') {
        return redirectTo(reply, `/login?next=${encodeURIComponent(request.url)}`);
      }
      throw new Forbidden(PAGE_MESSAGES.signInFirst);
    });
  },
  { name: 'require-access' },
);
