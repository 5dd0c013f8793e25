import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, rawField, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo, safeNextPath } from '../../../lib/next-path.js';
import { CONFIRM_IDENTITY_PAGE } from '../../../plugins/second-factor.js';
import { AUTH_MESSAGES } from '../messages.js';
import { findMemberCredentials, type MemberCredentials } from '../queries.js';
import { SECOND_FACTOR_MESSAGES } from '../second-factor/messages.js';
import { passkeyAssertionOptions, verifyPasskeyAssertion } from '../second-factor/passkeys.js';
import { findMemberFactors } from '../second-factor/queries.js';
import { ConfirmPasswordForm, PasskeyAssertionForm, SecondFactorCodeForm } from '../second-factor/schemas.js';
import { checkSecondFactorCode, type SecondFactorCheck } from '../second-factor/service.js';
import { checkCurrentPassword } from '../signin.js';
import { completeSecondStep, confirmAuthenticated, pendingSignIn, SECOND_STEP_PAGE, type FactorUsed } from './browser-session.js';

const publicPage = { access: 'public' as const };
const setUpPage = { secondFactorSetUp: true };

/** The refusal a failed factor check shows, or throws (429). */
function refusal(result: Exclude<SecondFactorCheck, { ok: true }>): string {
  if (result.reason === 'rate-limited') throw new RateLimited(result.retryAfterSeconds);
  return result.reason === 'locked' ? AUTH_MESSAGES.signInLocked : SECOND_FACTOR_MESSAGES.codeWrong;
}

/**
 * The second step of signing in (/login/second-factor, for a browser past the password but not
 * signed in), and confirming it is still the member (/confirm-identity) before a change that
 * needs a recent check, or a staff page in a session that has not passed its factor.
 */
const secondStepRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  /** What the page offers this member: a code box if they have an app or codes, a passkey button if they have passkeys. */
  async function factorChoices(request: FastifyRequest, memberId: number) {
    const factors = await findMemberFactors(deps.db, memberId);
    const passkeyOptions = factors.passkeys.length > 0 ? await passkeyAssertionOptions(deps, request, memberId) : undefined;
    return { codes: factors.totpSince !== undefined || factors.unusedRecoveryCodes > 0, passkeyOptions: passkeyOptions && JSON.stringify(passkeyOptions), passkeyScripts: passkeyOptions !== undefined };
  }

  async function showSecondStep(request: FastifyRequest, reply: FastifyReply, memberId: number, errors?: FieldErrors) {
    return reply.view('auth/second-step', { title: 'Confirm it is you', csrfToken: reply.generateCsrf(), errors, ...(await factorChoices(request, memberId)) });
  }

  /** The member a pending sign-in is for; none (expired, or never begun) sends the browser back to sign in. */
  async function pendingMember(request: FastifyRequest) {
    const pending = pendingSignIn(request, deps.now());
    const member = pending && (await findMemberCredentials(deps.db, { id: pending.memberId }));
    return pending && member && !member.deactivatedAt ? { pending, member } : undefined;
  }

  /** Back to sign in; told why only when a sign-in had begun (a visitor who never signed in gets no session for it). */
  function startAgain(request: FastifyRequest, reply: FastifyReply) {
    if (request.session.get('pendingSignIn')) {
      request.session.set('pendingSignIn', undefined);
      setFlash(request, SECOND_FACTOR_MESSAGES.secondStepExpired);
    }
    return redirectTo(reply, '/login');
  }

  app.get(SECOND_STEP_PAGE, { config: publicPage }, async (request, reply) => {
    const found = await pendingMember(request);
    if (!found) return startAgain(request, reply);
    return showSecondStep(request, reply, found.member.id);
  });

  async function finishSignIn(request: FastifyRequest, reply: FastifyReply, found: NonNullable<Awaited<ReturnType<typeof pendingMember>>>, via: FactorUsed, codesLeft?: number) {
    await completeSecondStep(deps, request, reply, found.member, found.pending, via);
    if (codesLeft !== undefined) setFlash(request, SECOND_FACTOR_MESSAGES.recoveryCodeUsed(codesLeft));
    return redirectTo(reply, found.pending.next);
  }

  app.post(SECOND_STEP_PAGE, { config: publicPage }, async (request, reply) => {
    const found = await pendingMember(request);
    if (!found) return startAgain(request, reply);
    const form = parseForm(SecondFactorCodeForm, request.body);
    if (!form.ok) return showSecondStep(request, reply.code(422), found.member.id, { code: form.errors.code ?? form.errors._form ?? SECOND_FACTOR_MESSAGES.codeShape });
    const result = await checkSecondFactorCode(deps, found.member, form.data.code, request.clientAddress);
    if (!result.ok) return showSecondStep(request, reply.code(422), found.member.id, { code: refusal(result) });
    return finishSignIn(request, reply, found, result.via, result.via === 'recovery-code' ? result.codesLeft : undefined);
  });

  app.post(`${SECOND_STEP_PAGE}/passkey`, { config: publicPage }, async (request, reply) => {
    const found = await pendingMember(request);
    if (!found) return startAgain(request, reply);
    const form = parseForm(PasskeyAssertionForm, request.body);
    const verified = form.ok && (await verifyPasskeyAssertion(deps, request, found.member.id, form.data.response));
    if (!verified) return showSecondStep(request, reply.code(422), found.member.id, { passkey: form.ok ? SECOND_FACTOR_MESSAGES.passkeyFailed : (form.errors.response ?? SECOND_FACTOR_MESSAGES.passkeyFailed) });
    return finishSignIn(request, reply, found, 'passkey');
  });

  async function showConfirm(request: FastifyRequest, reply: FastifyReply, errors?: FieldErrors) {
    const member = request.member!;
    // A session that has not passed the member's factor can only pass it now: a password will not do.
    const factorOnly = member.hasSecondFactor && request.session.get('secondFactorAt') === undefined;
    const next = safeNextPath(rawField(request.body, 'next') ?? (request.query as { next?: unknown }).next, '/');
    const email = (await findMemberCredentials(deps.db, { id: member.id }))!.email;
    return reply.view('auth/confirm-identity', { title: 'Confirm it is you', csrfToken: reply.generateCsrf(), next, email, factorOnly, errors, ...(await factorChoices(request, member.id)) });
  }

  async function confirmed(request: FastifyRequest, reply: FastifyReply, via: FactorUsed | 'password', next: unknown, notice: string = SECOND_FACTOR_MESSAGES.confirmed) {
    await confirmAuthenticated(deps, request, via);
    setFlash(request, notice);
    return redirectTo(reply, safeNextPath(next));
  }

  async function memberCredentials(request: FastifyRequest): Promise<MemberCredentials> {
    return (await findMemberCredentials(deps.db, { id: request.member!.id }))!;
  }

  app.get(CONFIRM_IDENTITY_PAGE, { config: setUpPage }, async (request, reply) => showConfirm(request, reply));

  app.post(`${CONFIRM_IDENTITY_PAGE}/password`, { config: setUpPage }, async (request, reply) => {
    const form = parseForm(ConfirmPasswordForm, request.body);
    const checked = form.ok ? await checkCurrentPassword(deps, await memberCredentials(request), form.data.password, request.clientAddress) : ({ ok: false, reason: 'wrong' } as const);
    if (!checked.ok && checked.reason === 'rate-limited') throw new RateLimited(checked.retryAfterSeconds);
    if (!checked.ok) return showConfirm(request, reply.code(422), { password: AUTH_MESSAGES.currentPasswordWrong });
    return confirmed(request, reply, 'password', form.ok ? form.data.next : undefined);
  });

  app.post(`${CONFIRM_IDENTITY_PAGE}/code`, { config: setUpPage }, async (request, reply) => {
    const form = parseForm(SecondFactorCodeForm, request.body);
    if (!form.ok) return showConfirm(request, reply.code(422), { code: form.errors.code ?? form.errors._form ?? SECOND_FACTOR_MESSAGES.codeShape });
    const result = await checkSecondFactorCode(deps, await memberCredentials(request), form.data.code, request.clientAddress);
    if (!result.ok) return showConfirm(request, reply.code(422), { code: refusal(result) });
    return confirmed(request, reply, result.via, form.data.next, result.via === 'recovery-code' ? SECOND_FACTOR_MESSAGES.recoveryCodeUsed(result.codesLeft) : undefined);
  });

  app.post(`${CONFIRM_IDENTITY_PAGE}/passkey`, { config: setUpPage }, async (request, reply) => {
    const form = parseForm(PasskeyAssertionForm, request.body);
    const verified = form.ok && (await verifyPasskeyAssertion(deps, request, request.member!.id, form.data.response));
    if (!verified) return showConfirm(request, reply.code(422), { passkey: form.ok ? SECOND_FACTOR_MESSAGES.passkeyFailed : (form.errors.response ?? SECOND_FACTOR_MESSAGES.passkeyFailed) });
    return confirmed(request, reply, 'passkey', form.data.next);
  });
};

export default secondStepRoutes;
