import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { databaseIdField, parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo, safeNextPath } from '../../../lib/next-path.js';
import { recentAuthentication, SECOND_FACTOR_SETUP_PAGE } from '../../../plugins/second-factor.js';
import { findMemberCredentials } from '../queries.js';
import { ButtonForm } from '../schemas.js';
import { SECOND_FACTOR_MESSAGES } from '../second-factor/messages.js';
import { passkeyRegistrationOptions, registerPasskey, removePasskey } from '../second-factor/passkeys.js';
import { findMemberFactors } from '../second-factor/queries.js';
import { PASSKEY_NAME_MAX, PasskeyRegistrationForm, TotpSetupForm } from '../second-factor/schemas.js';
import { enrolTotp, removeTotp, renewRecoveryCodes } from '../second-factor/service.js';
import { groupedSecret, newTotpSecret, totpQrSvg } from '../second-factor/totp.js';

declare module 'fastify' {
  interface Session {
    /** The secret being set up, until the member confirms it with a code. */
    pendingTotpSecret?: string;
  }
}

const PasskeyParams = z.object({ id: databaseIdField('No such passkey') });

/**
 * Settings, Security: the member's second factors. Reachable without a factor (staff are sent
 * here to set one up); every change needs a recent password or factor check (step-up).
 */
const securityRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const setUp = { secondFactorSetUp: true };
  const change = { config: setUp, preHandler: recentAuthentication(deps.now, SECOND_FACTOR_SETUP_PAGE) };
  const nextOf = (request: FastifyRequest) => safeNextPath((request.query as { next?: unknown }).next, '');

  app.get(SECOND_FACTOR_SETUP_PAGE, { config: setUp }, async (request, reply) => {
    const factors = await findMemberFactors(deps.db, request.member!.id);
    const next = nextOf(request);
    return reply.view('auth/security', { title: 'Security', csrfToken: reply.generateCsrf(), factors, hasFactor: factors.totpSince !== undefined || factors.passkeys.length > 0, next });
  });

  async function showTotpSetup(request: FastifyRequest, reply: FastifyReply, errors?: FieldErrors) {
    const member = request.member!;
    // Kept while the member sets it up, so reloading the page does not undo a scan.
    const secret = request.session.get('pendingTotpSecret') ?? newTotpSecret();
    request.session.set('pendingTotpSecret', secret);
    const { email } = (await findMemberCredentials(deps.db, { id: member.id }))!;
    const qrSvg = await totpQrSvg(secret, email, deps.config.siteName);
    return reply.view('auth/totp-setup', {
      title: 'Set up an authenticator app',
      csrfToken: reply.generateCsrf(),
      qrCodeUrl: `data:image/svg+xml;base64,${Buffer.from(qrSvg).toString('base64')}`,
      secret: groupedSecret(secret),
      errors,
      next: nextOf(request),
    });
  }

  function showRecoveryCodes(reply: FastifyReply, codes: string[], next: string, notice: string) {
    return reply.view('auth/recovery-codes', { title: 'Your recovery codes', codes, next: next || SECOND_FACTOR_SETUP_PAGE, notice });
  }

  function alreadySetUp(request: FastifyRequest, reply: FastifyReply) {
    setFlash(request, SECOND_FACTOR_MESSAGES.totpAlready);
    return redirectTo(reply, SECOND_FACTOR_SETUP_PAGE);
  }

  app.get(`${SECOND_FACTOR_SETUP_PAGE}/totp`, { config: setUp }, async (request, reply) => {
    if ((await findMemberFactors(deps.db, request.member!.id)).totpSince) return alreadySetUp(request, reply);
    return showTotpSetup(request, reply);
  });

  app.post(`${SECOND_FACTOR_SETUP_PAGE}/totp`, change, async (request, reply) => {
    const form = parseForm(TotpSetupForm, request.body);
    if (!form.ok) return showTotpSetup(request, reply.code(422), { code: form.errors.code ?? form.errors._form ?? SECOND_FACTOR_MESSAGES.setupCodeShape });
    const secret = request.session.get('pendingTotpSecret');
    // No secret waiting: a second submit of a set-up that went through (it lands once), or one that expired.
    if (!secret && (await findMemberFactors(deps.db, request.member!.id)).totpSince) return alreadySetUp(request, reply);
    if (!secret) return showTotpSetup(request, reply.code(422), { code: SECOND_FACTOR_MESSAGES.setupExpired });
    const enrolled = await enrolTotp(deps, request.member!.id, secret, form.data.code, request.clientAddress);
    if (!enrolled.ok && enrolled.reason === 'wrong-code') return showTotpSetup(request, reply.code(422), { code: SECOND_FACTOR_MESSAGES.setupCodeWrong });
    request.session.set('pendingTotpSecret', undefined);
    if (!enrolled.ok) return alreadySetUp(request, reply);
    // Proving the app just now is this session passing it.
    request.session.set('secondFactorAt', deps.now().getTime());
    // Shown once, in this answer, never stored where they could be read back.
    return showRecoveryCodes(reply, enrolled.recoveryCodes, nextOf(request), SECOND_FACTOR_MESSAGES.totpAdded);
  });

  app.post(`${SECOND_FACTOR_SETUP_PAGE}/totp/remove`, change, async (request, reply) => {
    if (!parseForm(ButtonForm, request.body).ok || !(await removeTotp(deps, request.member!.id, request.clientAddress))) throw new NotFound();
    setFlash(request, SECOND_FACTOR_MESSAGES.totpRemoved);
    return redirectTo(reply, SECOND_FACTOR_SETUP_PAGE);
  });

  app.post(`${SECOND_FACTOR_SETUP_PAGE}/recovery-codes`, change, async (request, reply) => {
    const codes = parseForm(ButtonForm, request.body).ok ? await renewRecoveryCodes(deps, request.member!.id, request.clientAddress) : undefined;
    if (!codes) {
      setFlash(request, SECOND_FACTOR_MESSAGES.needsFactorFirst);
      return redirectTo(reply, SECOND_FACTOR_SETUP_PAGE);
    }
    return showRecoveryCodes(reply, codes, '', SECOND_FACTOR_MESSAGES.recoveryCodesRenewed);
  });

  async function showNewPasskey(request: FastifyRequest, reply: FastifyReply, values: Record<string, string> = {}, errors?: FieldErrors) {
    const member = request.member!;
    const options = await passkeyRegistrationOptions(deps, request, member);
    return reply.view('auth/passkey-new', { title: 'Add a passkey', csrfToken: reply.generateCsrf(), registrationOptions: JSON.stringify(options), values, errors, nameMax: PASSKEY_NAME_MAX, passkeyScripts: true, next: nextOf(request) });
  }

  app.get(`${SECOND_FACTOR_SETUP_PAGE}/passkeys/new`, { config: setUp }, async (request, reply) => showNewPasskey(request, reply));

  app.post(`${SECOND_FACTOR_SETUP_PAGE}/passkeys`, change, async (request, reply) => {
    const form = parseForm(PasskeyRegistrationForm, request.body);
    if (!form.ok) return showNewPasskey(request, reply.code(422), { name: form.values.name ?? '' }, form.errors.response && !form.errors.name ? { passkey: form.errors.response } : form.errors);
    if (!(await registerPasskey(deps, request, request.member!.id, form.data.name, form.data.response))) return showNewPasskey(request, reply.code(422), { name: form.data.name }, { passkey: SECOND_FACTOR_MESSAGES.passkeyFailed });
    request.session.set('secondFactorAt', deps.now().getTime());
    setFlash(request, SECOND_FACTOR_MESSAGES.passkeyAdded(form.data.name));
    const next = nextOf(request);
    return redirectTo(reply, next || SECOND_FACTOR_SETUP_PAGE);
  });

  app.post(`${SECOND_FACTOR_SETUP_PAGE}/passkeys/:id/remove`, change, async (request, reply) => {
    const { id } = parseParams(PasskeyParams, request.params);
    if (!parseForm(ButtonForm, request.body).ok || !(await removePasskey(deps, request.member!.id, id, request.clientAddress))) throw new NotFound();
    setFlash(request, SECOND_FACTOR_MESSAGES.passkeyRemoved);
    return redirectTo(reply, SECOND_FACTOR_SETUP_PAGE);
  });
};

export default securityRoutes;
