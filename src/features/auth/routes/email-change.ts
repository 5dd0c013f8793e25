import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { CONFIRM_IDENTITY_PAGE, isRecentlyAuthenticated, recentAuthentication } from '../../../plugins/second-factor.js';
import { MAX_ADDRESS_LENGTH } from '../email-address.js';
import { confirmEmailChange, EMAIL_CHANGE_LINK, EMAIL_CHANGE_PAGE, findPendingEmailChange, requestEmailChange } from '../email-change.js';
import { invalidLink } from '../invalid-link.js';
import { AUTH_MESSAGES } from '../messages.js';
import { findProfile } from '../queries.js';
import { ButtonForm, EmailChangeForm } from '../schemas.js';

const publicPage = { access: 'public' as const };

type TokenParams = { Params: { token: string } };

/** Settings, Email address: moving the account to a new work address, proven by a link sent there. */
const emailChangeRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function showForm(request: FastifyRequest, reply: FastifyReply, values: Record<string, string> = {}, errors?: FieldErrors) {
    const { email } = await findProfile(deps.db, request.member!.id);
    return reply.view('auth/email-change', {
      title: 'Change your email address',
      csrfToken: reply.generateCsrf(),
      email,
      values,
      errors,
      // Without a recent password or factor check the form would only lead there, losing what was typed.
      confirmFirst: isRecentlyAuthenticated(request, deps.now()) ? undefined : `${CONFIRM_IDENTITY_PAGE}?next=${encodeURIComponent(EMAIL_CHANGE_PAGE)}`,
      maxLength: MAX_ADDRESS_LENGTH,
    });
  }

  app.get(EMAIL_CHANGE_PAGE, async (request, reply) => showForm(request, reply));

  // Each request mails two addresses, as a sign-up mails one: the sign-up budget applies.
  const budget = { rateLimit: { max: () => deps.settings.current.RATE_LIMIT_SIGNUPS_PER_HOUR, timeWindow: 3_600_000 } };
  app.post(EMAIL_CHANGE_PAGE, { config: budget, preHandler: recentAuthentication(deps.now, EMAIL_CHANGE_PAGE) }, async (request, reply) => {
    const form = parseForm(EmailChangeForm, request.body);
    if (!form.ok) return showForm(request, reply.code(422), form.values, form.errors);
    const result = await requestEmailChange(deps, request.member!.id, form.data.email, request.clientAddress);
    if (!result.ok) return showForm(request, reply.code(422), { email: form.data.email.address }, { email: result.reason });
    return reply.view('auth/check-email', { title: AUTH_MESSAGES.checkEmail, purpose: 'email-change', sent: AUTH_MESSAGES.emailChangeSent(form.data.email.address) });
  });

  app.get<TokenParams>(`${EMAIL_CHANGE_LINK}:token`, { config: publicPage }, async (request, reply) => {
    const pending = await findPendingEmailChange(deps, request.params.token);
    if (!pending) throw invalidLink('email-change');
    return reply.view('auth/email-change-confirm', { title: 'Confirm your new email address', csrfToken: reply.generateCsrf(), token: request.params.token, ...pending });
  });

  app.post<TokenParams>(`${EMAIL_CHANGE_LINK}:token`, { config: publicPage }, async (request, reply) => {
    if (!parseForm(ButtonForm, request.body).ok) throw invalidLink('email-change');
    const current = request.member ? { memberId: request.member.id, publicId: request.session.get('publicId') } : undefined;
    const result = await confirmEmailChange(deps, request.params.token, current, request.clientAddress);
    if (!result.ok) throw invalidLink('email-change');
    if (result.sessionKept) {
      setFlash(request, AUTH_MESSAGES.emailChanged(result.email));
      return redirectTo(reply, '/settings');
    }
    setFlash(request, AUTH_MESSAGES.emailChangedSignIn(result.email));
    return redirectTo(reply, '/login');
  });
};

export default emailChangeRoutes;
