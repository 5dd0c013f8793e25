import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Role } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { isUniqueViolation } from '../../lib/db-errors.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { GUIDELINES } from '../pages/guidelines.js';
import { isAdminEmail } from './admin-emails.js';
import { decideDomain, type DomainRule } from './email-domain.js';
import { domainOf, type ParsedEmail } from './email-address.js';
import { spendHashingBudget } from './hashing-budget.js';
import {
  agencyForAdmittedDomain,
  deleteSignupRequest,
  findMemberCredentials,
  findSignupRequest,
  insertAccountRequest,
  insertMember,
  isHandleTaken,
  listDomainRules,
  upsertSignupRequest,
  type AccountRequest,
  type SignupRequest,
} from './queries.js';
import { consumeToken, findValidToken, issueToken, revokeTokens } from './tokens.js';
import { AUTH_MESSAGES } from './messages.js';

/**
 * Step 1 of joining: the address only. Whatever the address is (new, pending, already a
 * member), the person sees the same page; what differs is the email that address receives.
 * No password exists until step 2, so nobody can plant one on someone else's address.
 * An address the domain rules admit is recorded, the same one statement for every address, and
 * answered by the mail worker (answerSignupRequest), so the request's timing tells no one who
 * is a member.
 */
export async function requestSignup(deps: Pick<Deps, 'db'>, email: ParsedEmail, ipAddress: string): Promise<{ refused?: string }> {
  const rules = await listDomainRules(deps.db);
  const decision = decideDomain(email.domain, rules);
  if (!decision.allowed) return { refused: decision.reason };
  await insertAccountRequest(deps.db, { purpose: 'signup', email: email.address, canonicalEmail: email.canonical, guidelinesVersion: GUIDELINES.version, deviceHash: null, ipAddress });
  return {};
}

/**
 * Counts one more link-bearing email to this address, from sign-up or a member's change of
 * address alike, so neither mails any address past the hourly limit. Past it the caller quietly
 * sends nothing: its page looks the same, telling nobody that the address was asked for.
 */
export async function mayEmailAddress(deps: Pick<Deps, 'counters' | 'settings'>, canonicalEmail: string): Promise<boolean> {
  const perAddress = await deps.counters.hit(`signup:email:${canonicalEmail}`, 3600);
  return perAddress.count <= deps.settings.current.RATE_LIMIT_SIGNUPS_PER_EMAIL_PER_HOUR;
}

/** The mail worker's answer to a sign-up request: a verify link, or to a member the "already a member" email. */
export async function answerSignupRequest(deps: Deps, trx: Transaction<DB>, request: AccountRequest): Promise<void> {
  if (!(await mayEmailAddress(deps, request.canonicalEmail))) return;

  const member = await findMemberCredentials(trx, { canonicalEmail: request.canonicalEmail });
  if (member) {
    // To the member's own address, and with no live token: a sign-up for someone else's
    // address must neither cancel their reset link nor mail one to a look-alike mailbox.
    await deps.mail.queue(trx, 'auth-already-member', { to: member.email, subject: AUTH_MESSAGES.alreadyMemberSubject, links: { signInLink: '/login', resetLink: '/password/forgot' } });
    await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'signup.existing_member', targetType: 'member', targetId: member.id, ipAddress: request.ipAddress });
    return;
  }
  await upsertSignupRequest(trx, { email: request.email, canonicalEmail: request.canonicalEmail, guidelinesVersion: request.guidelinesVersion ?? GUIDELINES.version });
  const token = await issueToken(trx, 'verify', request.canonicalEmail, null);
  await deps.mail.queue(trx, 'auth-verify', { to: request.email, subject: AUTH_MESSAGES.verifySubject, links: { link: `/verify/${token}` } });
  await insertAuditEvent(trx, { actorLabel: 'visitor', action: 'signup.requested', targetType: 'email', targetId: request.canonicalEmail, ipAddress: request.ipAddress });
}

export interface CompleteSignup {
  token: string;
  displayName: string;
  handle: string;
  jobTitle: string | null;
  /** Already checked against the policy (password-policy.ts); hashed here. */
  password: string;
  ipAddress: string;
}

export type CompleteSignupResult =
  | { ok: true; memberId: number; role: Role }
  | { ok: false; error: 'invalid-link' }
  | { ok: false; error: 'handle-taken' }
  | { ok: false; error: 'rate-limited'; retryAfterSeconds: number };

/** Step 2: uses the link, creates the member. The token and the member are one transaction. */
export async function completeSignup(deps: Deps, input: CompleteSignup): Promise<CompleteSignupResult> {
  // Everything cheap first: a replayed form with a taken handle must cost no argon2 run.
  if (await isHandleTaken(deps.db, input.handle)) return { ok: false, error: 'handle-taken' };
  const retryAfterSeconds = await spendHashingBudget(deps, input.ipAddress);
  if (retryAfterSeconds !== undefined) return { ok: false, error: 'rate-limited', retryAfterSeconds };
  const rules = await listDomainRules(deps.db);
  // Hashed before the transaction: no transaction waits on argon2.
  const passwordHash = await deps.hasher.hash(input.password);
  try {
    return await inTransaction(deps.db, (trx) => createMember(deps, trx, input, passwordHash, rules));
  } catch (error) {
    // Taken a moment ago by someone else: the whole transaction rolled back, the link's use with
    // it, and the person can pick another.
    if (isUniqueViolation(error, 'members_handle')) return { ok: false, error: 'handle-taken' };
    // The same address finished joining through another link at the same moment.
    if (isUniqueViolation(error, 'members_canonical_email_key')) return { ok: false, error: 'invalid-link' };
    throw error;
  }
}

async function createMember(deps: Deps, trx: Transaction<DB>, input: CompleteSignup, passwordHash: string, rules: DomainRule[]): Promise<CompleteSignupResult> {
  const token = await consumeToken(trx, 'verify', input.token);
  const request = token && (await findSignupRequest(trx, token.canonicalEmail));
  if (!token || !request) return { ok: false, error: 'invalid-link' };
  const domain = domainOf(request.canonicalEmail);
  const decision = decideDomain(domain, rules);
  if (!decision.allowed) return { ok: false, error: 'invalid-link' };
  const agencyId = await agencyForAdmittedDomain(trx, domain, decision.rule);
  const role: Role = isAdminEmail(deps.config, request.canonicalEmail) ? 'administrator' : 'member';
  const memberId = await insertMember(trx, {
    email: request.email,
    canonicalEmail: request.canonicalEmail,
    displayName: input.displayName,
    handle: input.handle,
    jobTitle: input.jobTitle,
    passwordHash,
    role,
    agencyId,
    guidelinesVersion: request.guidelinesVersion,
    guidelinesAcceptedAt: request.createdAt,
    // An address ADMIN_EMAILS names is the operator's own choice, not a stranger to vet.
    awaitingApproval: deps.settings.current.MEMBER_APPROVAL_REQUIRED && role === 'member',
  });
  await deleteSignupRequest(trx, request.canonicalEmail);
  await revokeTokens(trx, ['verify'], { canonicalEmail: request.canonicalEmail });
  await insertAuditEvent(trx, { actorMemberId: memberId, action: 'member.joined', targetType: 'member', targetId: memberId, ipAddress: input.ipAddress, details: { role, agencyId } });
  if (role === 'administrator') await insertAuditEvent(trx, { actorLabel: 'ADMIN_EMAILS', action: 'role.granted', targetType: 'member', targetId: memberId, details: { from: 'member', to: role } });
  return { ok: true, memberId, role };
}

/** The sign-up a verify link belongs to, if the link still works; looking does not use it. */
export async function findPendingSignup(deps: Deps, token: string): Promise<SignupRequest | undefined> {
  const valid = await findValidToken(deps.db, 'verify', token);
  return valid && (await findSignupRequest(deps.db, valid.canonicalEmail));
}
