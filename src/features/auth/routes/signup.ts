import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formValues, parseForm, rawField, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { GUIDELINES } from '../../pages/guidelines.js';
import type { Deps } from '../../../deps.js';
import { invalidLink } from '../invalid-link.js';
import { AUTH_MESSAGES } from '../messages.js';
import { PASSWORD_MESSAGES } from '../password-messages.js';
import { checkPassword, PASSWORD_LIMITS } from '../password-policy.js';
import { CompleteSignupForm, PROFILE_LIMITS, SignupForm } from '../schemas.js';
import { completeSignup, findPendingSignup, requestSignup } from '../signup.js';
import { countFailedAttempt } from '../tokens.js';
import { signInOrAskSecondFactor } from './browser-session.js';

const publicPage = { access: 'public' as const };
const passwordRule = PASSWORD_MESSAGES.rule(PASSWORD_LIMITS.min, PASSWORD_LIMITS.max);

/** `refused`: the address's domain may not join, so the page explains who can. */
function showSignup(reply: FastifyReply, values: Record<string, string> = {}, errors?: FieldErrors, refused = false) {
  return reply.view('auth/signup', { title: 'Join Commons', csrfToken: reply.generateCsrf(), values, errors, refused, guidelinesVersion: GUIDELINES.version });
}

function showStepTwo(reply: FastifyReply, token: string, email: string, values: Record<string, string> = {}, errors?: FieldErrors) {
  return reply.view('auth/complete-signup', { title: 'Finish joining', csrfToken: reply.generateCsrf(), token, email, values, errors, limits: PROFILE_LIMITS, passwordRule });
}

const signupRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/signup', { config: publicPage }, async (request, reply) => (request.member ? redirectTo(reply, '/') : showSignup(reply)));

  app.post('/signup', { config: { ...publicPage, rateLimit: { max: () => deps.settings.current.RATE_LIMIT_SIGNUPS_PER_HOUR, timeWindow: 3_600_000 } } }, async (request, reply) => {
    const form = parseForm(SignupForm, request.body);
    if (!form.ok) return showSignup(reply.code(422), form.values, form.errors);
    const { refused } = await requestSignup(deps, form.data.email, request.clientAddress);
    if (refused) return showSignup(reply.code(422), { email: form.data.email.address, accept_guidelines: 'yes' }, { email: refused }, true);
    return reply.view('auth/check-email', { title: AUTH_MESSAGES.checkEmail, email: form.data.email.address, purpose: 'signup' });
  });

  app.get<{ Params: { token: string } }>('/verify/:token', { config: publicPage }, async (request, reply) => {
    const pending = await findPendingSignup(deps, request.params.token);
    if (!pending) throw invalidLink('verify');
    return showStepTwo(reply, request.params.token, pending.email);
  });

  app.post<{ Params: { token: string } }>('/verify/:token', { config: publicPage }, async (request, reply) => {
    const { token } = request.params;
    const pending = await findPendingSignup(deps, token);
    if (!pending) throw invalidLink('verify');
    const values = formValues(request.body);
    /** Every refusal counts against the link, which is spent after a few. */
    const refuse = async (errors: FieldErrors) => {
      await countFailedAttempt(deps.db, 'verify', token);
      return showStepTwo(reply.code(422), token, pending.email, values, errors);
    };
    const form = parseForm(CompleteSignupForm, request.body);
    const errors: FieldErrors = form.ok ? {} : { ...form.errors };
    const password = checkPassword(rawField(request.body, 'password'), { email: pending.email, displayName: values.display_name, handle: values.handle });
    if (!password.ok) errors.password = password.reason;
    if (!form.ok || !password.ok) return refuse(errors);

    const result = await completeSignup(deps, {
      token,
      displayName: form.data.display_name,
      handle: form.data.handle,
      jobTitle: form.data.job_title,
      password: password.password,
      ipAddress: request.clientAddress,
    });
    if (!result.ok && result.error === 'handle-taken') return refuse({ handle: AUTH_MESSAGES.handleTaken });
    if (!result.ok && result.error === 'rate-limited') throw new RateLimited(result.retryAfterSeconds);
    if (!result.ok) throw invalidLink('verify');
    // A new member has no second factor yet; through here all the same, so no way in skips one.
    const to = await signInOrAskSecondFactor(deps, request, reply, { id: result.memberId, email: pending.email, role: result.role }, 'signup', '/');
    setFlash(request, AUTH_MESSAGES.welcome);
    return redirectTo(reply, to);
  });
};

export default signupRoutes;
