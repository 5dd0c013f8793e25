import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { isUniqueViolation } from '../../lib/db-errors.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { composeEmail, enqueueEmail } from '../../mail/outbox.js';
import { GUIDELINES } from '../pages/guidelines.js';
import { siteLink, type AuthContext } from './context.js';
import { decideDomain, type DomainRule } from './email-domain.js';
import type { parseWorkEmail } from './email-address.js';
import { findMemberCredentials, findOrCreateProvisionalAgency, findSignupRequest, deleteSignupRequest, insertMember, listDomainRules, upsertSignupRequest, type Role } from './queries.js';
import { consumeToken, findValidToken, issueToken, revokeTokens } from './tokens.js';
import { AUTH_MESSAGES } from './messages.js';

type WorkEmail = Extract<ReturnType<typeof parseWorkEmail>, { ok: true }>;

/**
 * Step 1 of joining: the address only. Whatever the address is (new, pending, already a
 * member), the person sees the same page; what differs is the email that address receives.
 * No password exists until step 2, so nobody can plant one on someone else's address.
 */
export async function requestSignup(ctx: AuthContext, email: WorkEmail, ipAddress: string): Promise<{ refused?: string }> {
  const rules = await listDomainRules(ctx.db);
  const decision = decideDomain(email.domain, rules);
  if (!decision.allowed) return { refused: decision.reason };

  // Past 3 an hour for one address, quietly send nothing: the page must look the same.
  const perAddress = await ctx.counters.hit(`signup:email:${email.canonical}`, 3600);
  if (perAddress.count > ctx.config.rateLimit.signupsPerEmailPerHour) return {};

  await ctx.db.transaction().execute(async (trx) => {
    const member = await findMemberCredentials(trx, { canonicalEmail: email.canonical });
    if (member) {
      // To the member's own address, and with no live token: a sign-up for someone else's
      // address must neither cancel their reset link nor mail one to a look-alike mailbox.
      await enqueueEmail(
        trx,
        composeEmail(ctx.templates, 'auth-already-member', { siteName: ctx.config.siteName, signInLink: siteLink(ctx.config, '/login'), resetLink: siteLink(ctx.config, '/password/forgot') }, {
          to: member.email,
          subject: AUTH_MESSAGES.alreadyMemberSubject(ctx.config.siteName),
          kind: 'auth.already-member',
        }),
      );
      await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'signup.existing_member', targetType: 'member', targetId: member.id, ipAddress });
      return;
    }
    await upsertSignupRequest(trx, { email: email.address, canonicalEmail: email.canonical, guidelinesVersion: GUIDELINES.version });
    const token = await issueToken(trx, 'verify', email.canonical, null);
    await enqueueEmail(
      trx,
      composeEmail(ctx.templates, 'auth-verify', { siteName: ctx.config.siteName, link: siteLink(ctx.config, `/verify/${token}`) }, {
        to: email.address,
        subject: AUTH_MESSAGES.verifySubject(ctx.config.siteName),
        kind: 'auth.verify',
      }),
    );
    await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'signup.requested', targetType: 'email', targetId: email.canonical, ipAddress });
  });
  ctx.nudgeMail();
  return {};
}

export interface CompleteSignup {
  token: string;
  displayName: string;
  handle: string;
  jobTitle: string | null;
  passwordHash: string;
  ipAddress: string;
}

export type CompleteSignupResult = { ok: true; memberId: number; role: Role } | { ok: false; error: 'invalid-link' } | { ok: false; error: 'handle-taken' };

/** Step 2: uses the link, creates the member. The token and the member are one transaction. */
export async function completeSignup(ctx: AuthContext, input: CompleteSignup): Promise<CompleteSignupResult> {
  const rules = await listDomainRules(ctx.db);
  try {
    return await ctx.db.transaction().execute((trx) => createMember(ctx, trx, input, rules));
  } catch (error) {
    // The whole transaction rolled back, the link's use with it: the person can pick another.
    if (isUniqueViolation(error, 'members_handle')) return { ok: false, error: 'handle-taken' };
    // The same address finished joining through another link at the same moment.
    if (isUniqueViolation(error, 'members_canonical_email_key')) return { ok: false, error: 'invalid-link' };
    throw error;
  }
}

async function createMember(ctx: AuthContext, trx: Transaction<DB>, input: CompleteSignup, rules: DomainRule[]): Promise<CompleteSignupResult> {
  const token = await consumeToken(trx, 'verify', input.token);
  const request = token && (await findSignupRequest(trx, token.canonicalEmail));
  if (!token || !request) return { ok: false, error: 'invalid-link' };
  const domain = request.canonical_email.slice(request.canonical_email.lastIndexOf('@') + 1);
  const decision = decideDomain(domain, rules);
  if (!decision.allowed) return { ok: false, error: 'invalid-link' };
  const agencyId = decision.rule.agencyId ?? (await findOrCreateProvisionalAgency(trx, domain));
  const role: Role = ctx.adminEmails.has(request.canonical_email) ? 'administrator' : 'member';
  const memberId = await insertMember(trx, {
    email: request.email,
    canonicalEmail: request.canonical_email,
    displayName: input.displayName,
    handle: input.handle,
    jobTitle: input.jobTitle,
    passwordHash: input.passwordHash,
    role,
    agencyId,
    guidelinesVersion: request.guidelines_version,
    guidelinesAcceptedAt: request.created_at,
  });
  await deleteSignupRequest(trx, request.canonical_email);
  await revokeTokens(trx, 'verify', request.canonical_email);
  await insertAuditEvent(trx, { actorMemberId: memberId, action: 'member.joined', targetType: 'member', targetId: memberId, ipAddress: input.ipAddress, details: { role, agencyId } });
  if (role === 'administrator') await insertAuditEvent(trx, { actorLabel: 'ADMIN_EMAILS', action: 'role.granted', targetType: 'member', targetId: memberId, details: { from: 'member', to: role } });
  return { ok: true, memberId, role };
}

/** The sign-up a verify link belongs to, if the link still works; looking does not use it. */
export async function findPendingSignup(ctx: AuthContext, token: string) {
  const valid = await findValidToken(ctx.db, 'verify', token);
  return valid && (await findSignupRequest(ctx.db, valid.canonicalEmail));
}
