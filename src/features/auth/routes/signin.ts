import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { RateLimited } from '../../../lib/errors.js';
import { formValues, parseForm } from '../../../lib/forms.js';
import { redirectTo, safeNextPath } from '../../../lib/next-path.js';
import type { Deps } from '../../../deps.js';
import { formatDate } from '../../../lib/time.js';
import { MODERATION_MESSAGES } from '../../moderation/messages.js';
import { AUTH_MESSAGES } from '../messages.js';
import { deactivationMessage } from '../../eligibility/messages.js';
import { SigninForm } from '../schemas.js';
import { signIn } from '../signin.js';
import { existingDeviceId, signInOrAskSecondFactor, signOutBrowser } from './browser-session.js';

const publicPage = { access: 'public' as const };

function showSignin(reply: FastifyReply, values: Record<string, string>, problem?: string) {
  // Only the address is re-filled: never the password.
  return reply.view('auth/signin', { title: 'Sign in', csrfToken: reply.generateCsrf(), email: values.email ?? '', next: safeNextPath(values.next, ''), problem });
}

const signinRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get<{ Querystring: { next?: unknown } }>('/login', { config: publicPage }, async (request, reply) => {
    if (request.member) return redirectTo(reply, safeNextPath(request.query.next));
    return showSignin(reply, { next: typeof request.query.next === 'string' ? request.query.next : '' });
  });

  app.post('/login', { config: publicPage }, async (request, reply) => {
    const values = formValues(request.body);
    const form = parseForm(SigninForm, request.body);
    if (!form.ok) return showSignin(reply.code(422), values, AUTH_MESSAGES.signInFailed);
    const result = await signIn(deps, { email: form.data.email, password: form.data.password, ipAddress: request.clientAddress, deviceId: existingDeviceId(request, deps.config) });
    if (!result.ok) {
      if (result.reason === 'rate-limited') throw new RateLimited(result.retryAfterSeconds);
      if (result.reason === 'deactivated') return showSignin(reply.code(403), values, deactivationMessage(result.why));
      if (result.reason === 'suspended') return showSignin(reply.code(403), values, MODERATION_MESSAGES.suspendedUntil(formatDate(result.until, deps.settings.current.TIME_ZONE), result.why));
      return showSignin(reply.code(422), values, result.reason === 'locked' ? AUTH_MESSAGES.signInLocked : AUTH_MESSAGES.signInFailed);
    }
    return redirectTo(reply, await signInOrAskSecondFactor(deps, request, reply, result.member, 'password', safeNextPath(form.data.next)));
  });

  app.post('/logout', { config: publicPage }, async (request, reply) => {
    await signOutBrowser(deps, request);
    return redirectTo(reply, '/');
  });
};

export default signinRoutes;
