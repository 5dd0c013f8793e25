import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { HttpError, NotFound, RateLimited } from '../../lib/errors.js';
import { setFlash } from '../../lib/flash.js';
import { parseForm, type FieldErrors } from '../../lib/forms.js';
import { redirectTo } from '../../lib/next-path.js';
import { formatDate } from '../../lib/time.js';
import { RECONFIRMATION_PAGE, RECONFIRMATION_LINK } from '../../plugins/access.js';
import { invalidLink } from '../auth/invalid-link.js';
import { findMemberAddress } from '../auth/queries.js';
import { retryBouncedAddress } from './bounces.js';
import { reconfirmationDueAt, reconfirmationHeldFrom } from './due.js';
import { ELIGIBILITY_MESSAGES as M, RETRY_ADDRESS_PATH } from './messages.js';
import { RECONFIRM_LINKS_PER_HOUR, ReconfirmRequestForm, RetryAddressForm } from './schemas.js';
import { isLiveReconfirmationLink, reconfirmAddress, requestReconfirmationLink } from './service.js';

const LINK_WINDOW_SECONDS = 3600;

/**
 * Re-confirming a work address: the page a member past their date is held to (plugins/access.ts),
 * open early to anyone signed in (the reminder links to it), and the emailed link, which works
 * signed in or not, in whichever browser opens it.
 */
const eligibilityRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function showPage(request: FastifyRequest, reply: FastifyReply, errors?: FieldErrors) {
    const member = await findMemberAddress(deps.db, request.member!.id);
    if (!member) throw new NotFound();
    const months = deps.settings.current.RECONFIRMATION_PERIOD_MONTHS;
    const dueAt = reconfirmationDueAt(member.verifiedAt, months);
    const due = request.member!.reconfirmationDue;
    // Not yet held, the date that matters is the one they will be held from: for a member reminded
    // late (a site upgraded, the period shortened) that is two weeks after the reminder, not the due date.
    const date = formatDate(due ? dueAt : (reconfirmationHeldFrom(member.verifiedAt, member.reconfirmationRemindedAt, months) ?? dueAt), deps.settings.current.TIME_ZONE);
    return reply.view('eligibility/reconfirm', {
      title: M.pageTitle,
      explanation: due ? M.overdue(date) : M.dueSoon(date),
      due,
      email: member.email,
      csrfToken: reply.generateCsrf(),
      formToken: randomUUID(),
      errors,
    });
  }

  app.get(RECONFIRMATION_PAGE, async (request, reply) => showPage(request, reply));

  app.post(RECONFIRMATION_PAGE, async (request, reply) => {
    const form = parseForm(ReconfirmRequestForm, request.body);
    // The form has no field to point at: whatever is wrong with it is said once, above the button.
    if (!form.ok) return showPage(request, reply.code(422), { _form: Object.values(form.errors)[0]! });
    const member = request.member!;
    const sent = await deps.counters.hit(`reconfirm:links:member:${member.id}`, LINK_WINDOW_SECONDS);
    if (sent.count > RECONFIRM_LINKS_PER_HOUR) throw new RateLimited(sent.resetInSeconds);
    const result = await requestReconfirmationLink(deps, member.id, form.data.form_token, request.clientAddress);
    if (!result.ok && result.error === 'gone') throw new NotFound();
    setFlash(request, result.ok ? M.linkSent(result.email) : M.linkAlreadySent);
    return redirectTo(reply, RECONFIRMATION_PAGE);
  });

  // The bounce banner's button (views/layouts/main.hbs); the home page then says what it did.
  app.post(RETRY_ADDRESS_PATH, async (request, reply) => {
    const form = parseForm(RetryAddressForm, request.body);
    if (!form.ok) throw new HttpError(422, Object.values(form.errors)[0]!);
    const retried = await retryBouncedAddress(deps, request.member!.id, request.clientAddress);
    setFlash(request, retried ? M.bounceRetried : M.bounceNoneToRetry);
    return redirectTo(reply, '/');
  });

  app.get<{ Params: { token: string } }>(RECONFIRMATION_LINK, { config: { access: 'public' } }, async (request, reply) => {
    if (!(await isLiveReconfirmationLink(deps, request.params.token))) throw invalidLink('reconfirm');
    return reply.view('eligibility/confirm-link', { title: M.confirmTitle, token: request.params.token, csrfToken: reply.generateCsrf() });
  });

  app.post<{ Params: { token: string } }>(RECONFIRMATION_LINK, { config: { access: 'public' } }, async (request, reply) => {
    const result = await reconfirmAddress(deps, request.params.token, request.clientAddress);
    if (!result.ok && result.error === 'invalid-link') throw invalidLink('reconfirm');
    if (!result.ok) throw new HttpError(403, M.deactivated.domain_not_admitted, {}, { title: M.domainNoLongerAdmittedTitle });
    const signedInAsThem = request.member?.id === result.memberId;
    setFlash(request, signedInAsThem ? M.reconfirmed : M.reconfirmedSignIn);
    return redirectTo(reply, signedInAsThem ? '/' : '/login');
  });
};

export default eligibilityRoutes;
