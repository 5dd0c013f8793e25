import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest, HttpError } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formValues, parseForm, parseParams, parseQuery, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { ButtonForm } from '../../auth/schemas.js';
import { formatDate } from '../../../lib/time.js';
import { MODERATION_MESSAGES as M } from '../messages.js';
import { findModeratedMember } from '../queries/members.js';
import { MemberParams, MODERATION_LIMITS, SuspendForm, WarnAbout, WarnForm } from '../schemas.js';
import { checkMayActOn, type Moderator } from '../staff.js';
import { isSuspended, liftSuspension, suspendMember } from '../suspensions.js';
import { checkWarningSubject, warnMember } from '../warnings.js';

/** /mod/members/:id/…: warning a member, suspending them and lifting a suspension. */
function moderatorOf(request: FastifyRequest): Moderator {
  return { id: request.member!.id, role: request.member!.role, ipAddress: request.clientAddress };
}

const reasonHint = `The member reads this. At most ${MODERATION_LIMITS.reason.toLocaleString('en-AU')} characters.`;

const memberRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function memberFor(request: FastifyRequest) {
    const { id } = parseParams(MemberParams, request.params);
    return checkMayActOn(moderatorOf(request), await findModeratedMember(deps.db, id));
  }

  async function showWarn(request: FastifyRequest, reply: FastifyReply, about: WarnAbout, values: Record<string, string> = {}, errors?: FieldErrors) {
    const member = await memberFor(request);
    await checkWarningSubject(deps.db, member.id, about);
    return reply.view('moderation/warn', { title: `Warn ${member.displayName}`, member, about, values, errors, limits: MODERATION_LIMITS, reasonHint });
  }

  app.get('/mod/members/:id/warn', async (request, reply) => showWarn(request, reply, parseQuery(WarnAbout, request.query)));

  app.post('/mod/members/:id/warn', async (request, reply) => {
    const values = formValues(request.body);
    // The form carries what the warning is about as the page's address did (?post= or ?resource=).
    const about = parseQuery(WarnAbout, { ...(values.post ? { post: values.post } : {}), ...(values.resource ? { resource: values.resource } : {}) });
    const form = parseForm(WarnForm, request.body);
    if (!form.ok) return showWarn(request, reply.code(422), about, form.values, form.errors);
    const { id } = parseParams(MemberParams, request.params);
    const result = await warnMember(deps, moderatorOf(request), id, form.data.reason, about);
    setFlash(request, M.warned(result.displayName));
    return redirectTo(reply, `/mod/members/${id}/suspend`);
  });

  async function showSuspend(request: FastifyRequest, reply: FastifyReply, values: Record<string, string> = {}, errors?: FieldErrors) {
    const member = await memberFor(request);
    const suspended = isSuspended(member, deps.now());
    return reply.view('moderation/suspend', {
      title: `Warn or suspend ${member.displayName}`,
      member,
      suspended,
      suspendedUntil: suspended ? formatDate(member.suspendedUntil!, deps.settings.current.TIME_ZONE) : undefined,
      values,
      errors,
      limits: MODERATION_LIMITS,
      reasonHint,
      untilHint: `The member can sign in again from the start of this day (${deps.settings.current.TIME_ZONE} time), at most a year from today.`,
    });
  }

  app.get('/mod/members/:id/suspend', async (request, reply) => showSuspend(request, reply));

  app.post('/mod/members/:id/suspend', async (request, reply) => {
    const form = parseForm(SuspendForm, request.body);
    if (!form.ok) return showSuspend(request, reply.code(422), form.values, form.errors);
    const { id } = parseParams(MemberParams, request.params);
    const result = await suspendMember(deps, moderatorOf(request), id, form.data);
    if (result.kind === 'invalid') return showSuspend(request, reply.code(422), formValues(request.body), result.errors);
    if (result.kind === 'already-suspended') throw new HttpError(409, M.alreadySuspended);
    setFlash(request, M.suspended(result.displayName, formatDate(result.endsAt, deps.settings.current.TIME_ZONE)));
    return redirectTo(reply, `/mod/members/${id}/suspend`);
  });

  app.post('/mod/members/:id/unsuspend', async (request, reply) => {
    const form = parseForm(ButtonForm, request.body);
    if (!form.ok) throw new BadRequest(form.errors._form);
    const { id } = parseParams(MemberParams, request.params);
    const result = await liftSuspension(deps, moderatorOf(request), id);
    setFlash(request, result.kind === 'lifted' ? M.unsuspended(result.displayName) : M.notSuspended);
    return redirectTo(reply, `/mod/members/${id}/suspend`);
  });
};

export default memberRoutes;
