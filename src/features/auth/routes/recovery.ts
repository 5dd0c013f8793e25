import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import type { Deps } from '../../../deps.js';
import { invalidLink } from '../invalid-link.js';
import { AUTH_MESSAGES } from '../messages.js';
import { PASSWORD_MESSAGES } from '../password-messages.js';
import { checkPassword, PASSWORD_LIMITS } from '../password-policy.js';
import { findMemberCredentials } from '../queries.js';
import { requestPasswordReset, resetPassword, unlockSignIn } from '../recovery.js';
import { ButtonForm, ForgotPasswordForm, NewPasswordForm } from '../schemas.js';
import { countFailedAttempt, findValidToken, type TokenPurpose } from '../tokens.js';
import { SECOND_FACTOR_MESSAGES } from '../second-factor/messages.js';
import { existingDeviceId, SECOND_STEP_PAGE, signInOrAskSecondFactor } from './browser-session.js';

const publicPage = { access: 'public' as const };
const passwordRule = PASSWORD_MESSAGES.rule(PASSWORD_LIMITS.min, PASSWORD_LIMITS.max);

type TokenParams = { Params: { token: string } };

const recoveryRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  /** The member a reset or unlock link is for, or the one "link expired or used" answer. */
  async function tokenHolder(purpose: TokenPurpose, token: string) {
    const valid = await findValidToken(deps.db, purpose, token);
    const member = valid?.memberId ? await findMemberCredentials(deps.db, { id: valid.memberId }) : undefined;
    if (!member || member.deactivatedAt) throw invalidLink(purpose);
    return member;
  }

  function showForgot(reply: FastifyReply, values: Record<string, string> = {}, errors?: FieldErrors) {
    return reply.view('auth/forgot', { title: 'Reset your password', csrfToken: reply.generateCsrf(), values, errors });
  }

  function showReset(reply: FastifyReply, token: string, email: string, errors?: FieldErrors) {
    return reply.view('auth/reset', { title: 'Choose a new password', csrfToken: reply.generateCsrf(), token, email, errors, passwordRule });
  }

  app.get('/password/forgot', { config: publicPage }, async (_request, reply) => showForgot(reply));

  app.post('/password/forgot', { config: publicPage }, async (request, reply) => {
    const form = parseForm(ForgotPasswordForm, request.body);
    if (!form.ok) return showForgot(reply.code(422), form.values, form.errors);
    await requestPasswordReset(deps, form.data.email, request.clientAddress, existingDeviceId(request, deps.config));
    return reply.view('auth/check-email', { title: AUTH_MESSAGES.checkEmail, email: form.data.email.address, purpose: 'reset' });
  });

  app.get<TokenParams>('/password/reset/:token', { config: publicPage }, async (request, reply) => {
    const member = await tokenHolder('reset', request.params.token);
    return showReset(reply, request.params.token, member.email);
  });

  app.post<TokenParams>('/password/reset/:token', { config: publicPage }, async (request, reply) => {
    const member = await tokenHolder('reset', request.params.token);
    const form = parseForm(NewPasswordForm, request.body);
    const password = checkPassword(form.ok ? form.data.password : undefined, { email: member.email, displayName: member.displayName, handle: member.handle });
    if (!password.ok) {
      // Every refusal counts against the link, which is spent after a few.
      await countFailedAttempt(deps.db, 'reset', request.params.token);
      return showReset(reply.code(422), request.params.token, member.email, { password: password.reason });
    }
    const reset = await resetPassword(deps, request.params.token, password.password, request.clientAddress);
    if (!reset.ok && reset.reason === 'rate-limited') throw new RateLimited(reset.retryAfterSeconds);
    if (!reset.ok) throw invalidLink('reset');
    const to = await signInOrAskSecondFactor(deps, request, reply, reset.member, 'reset', '/');
    setFlash(request, to === SECOND_STEP_PAGE ? SECOND_FACTOR_MESSAGES.resetNeedsFactor : AUTH_MESSAGES.passwordReset);
    return redirectTo(reply, to);
  });

  app.get<TokenParams>('/unlock/:token', { config: publicPage }, async (request, reply) => {
    await tokenHolder('unlock', request.params.token);
    return reply.view('auth/unlock', { title: 'Unlock sign-in', csrfToken: reply.generateCsrf(), token: request.params.token });
  });

  app.post<TokenParams>('/unlock/:token', { config: publicPage }, async (request, reply) => {
    if (!parseForm(ButtonForm, request.body).ok || !(await unlockSignIn(deps, request.params.token, request.clientAddress))) throw invalidLink('unlock');
    setFlash(request, AUTH_MESSAGES.unlocked);
    return redirectTo(reply, '/login');
  });
};

export default recoveryRoutes;
