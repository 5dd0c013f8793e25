import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { NotFound, Refused } from '../../lib/errors.js';
import { setFlash } from '../../lib/flash.js';
import { parseForm, parseParams, parseQuery, type FieldErrors } from '../../lib/forms.js';
import { redirectTo } from '../../lib/next-path.js';
import { paginate } from '../../lib/pagination.js';
import { formatDate } from '../../lib/time.js';
import { restrictToCoordinators } from '../../plugins/access.js';
import { deactivateMember } from '../admin/members.js';
import { approveMember, rejectMember } from '../moderation/approvals.js';
import { countMembersAwaitingApproval, listMembersAwaitingApproval } from '../moderation/queries/approvals.js';
import { ApproveForm, MODERATION_LIMITS, RejectForm } from '../moderation/schemas.js';
import { COORDINATOR_MESSAGES as M } from './messages.js';
import { countAgencyMembers, findAgencyMember, findCoordination, findMemberAgencyId, findLatestAttestation, listAgencyMembers, type Coordination } from './queries.js';
import { AttestationForm, COORDINATOR_LIMITS, LeaverForm, MemberParams, MEMBERS_PER_PAGE, MembersQuery, NoQuery } from './schemas.js';
import { attestAgencyList, quarterStart } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The agency the member coordinates, set by the /coordinator scope's guard. */
    coordination: Coordination | null;
  }
}

const HOME = '/coordinator';
// Sign-ups a coordinator sees at once: an agency's arrivals in a day, not a backlog.
const SIGN_UPS_LISTED = 50;

/**
 * /coordinator: an agency coordinator's pages, for their own agency only. Every route is in this
 * one scope, whose guard finds the appointment; a member of another agency named in a path is not
 * found (404), so ids cannot be probed. Changes go through the services /admin and /mod use.
 */
const coordinatorRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.decorateRequest('coordination', null);
  restrictToCoordinators(app, async (request) => {
    request.coordination = (await findCoordination(deps.db, request.member!.id)) ?? null;
    return request.coordination !== null;
  });

  const agencyOf = (request: FastifyRequest) => request.coordination!;
  const actorOf = (request: FastifyRequest) => ({ memberId: request.member!.id, ipAddress: request.clientAddress });

  async function showMembers(request: FastifyRequest, reply: FastifyReply, page: number, attestation: { values?: Record<string, string>; errors?: FieldErrors } = {}) {
    const { agencyId, agencyName } = agencyOf(request);
    const total = await countAgencyMembers(deps.db, agencyId);
    const pageCount = Math.max(1, Math.ceil(total / MEMBERS_PER_PAGE));
    if (page > pageCount) throw new NotFound();
    const timeZone = deps.settings.current.TIME_ZONE;
    const now = deps.now();
    const latest = await findLatestAttestation(deps.db, agencyId);
    return reply.view('coordinators/members', {
      title: page > 1 ? `${agencyName}: members (page ${page})` : `${agencyName}: members`,
      agencyName,
      memberCount: M.memberCount(total),
      total,
      members: await listAgencyMembers(deps.db, agencyId, { limit: MEMBERS_PER_PAGE, offset: (page - 1) * MEMBERS_PER_PAGE }),
      pagination: paginate(HOME, page, pageCount),
      latest,
      overdue: !latest || latest.attestedAt < quarterStart(now, timeZone),
      today: formatDate(now, timeZone),
      signUps: await countMembersAwaitingApproval(deps.db, agencyId),
      approvalRequired: deps.settings.current.MEMBER_APPROVAL_REQUIRED,
      csrfToken: reply.generateCsrf(),
      values: attestation.values ?? {},
      errors: attestation.errors,
      limits: COORDINATOR_LIMITS,
    });
  }

  app.get(HOME, async (request, reply) => showMembers(request, reply, parseQuery(MembersQuery, request.query).page ?? 1));

  app.post(`${HOME}/attestations`, async (request, reply) => {
    const form = parseForm(AttestationForm, request.body);
    if (!form.ok) return showMembers(request, reply.code(422), 1, form);
    try {
      const attested = await attestAgencyList(deps, actorOf(request), agencyOf(request).agencyId, { shownCount: form.data.member_count, note: form.data.note });
      setFlash(request, M.attested(attested.memberCount));
      return redirectTo(reply, HOME);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      return showMembers(request, reply.code(error.statusCode), 1, { values: { note: form.data.note ?? '' }, errors: { [error.field]: error.message } });
    }
  });

  async function showSignUps(request: FastifyRequest, reply: FastifyReply, { refusal, notice }: { refusal?: { id: number; action: 'approve' | 'reject'; error: string; reason: string }; notice?: string } = {}) {
    const { agencyId, agencyName } = agencyOf(request);
    return reply.view('coordinators/sign-ups', {
      title: `${agencyName}: sign-ups waiting`,
      agencyName,
      members: (await listMembersAwaitingApproval(deps.db, SIGN_UPS_LISTED, agencyId)).map((member) => ({ ...member, refusal: refusal?.id === member.id ? refusal : undefined })),
      approvalRequired: deps.settings.current.MEMBER_APPROVAL_REQUIRED,
      // The layout's notice, where a flash would be: the page answers the refused form itself.
      ...(notice ? { notice } : {}),
      csrfToken: reply.generateCsrf(),
      limits: MODERATION_LIMITS,
    });
  }

  app.get(`${HOME}/sign-ups`, async (request, reply) => {
    parseQuery(NoQuery, request.query);
    return showSignUps(request, reply);
  });

  for (const action of ['approve', 'reject'] as const) {
    app.post(`${HOME}/sign-ups/:id/${action}`, async (request, reply) => {
      const { id } = parseParams(MemberParams, request.params);
      const { agencyId } = agencyOf(request);
      // Another agency's sign-up is not found, rather than "already decided".
      if ((await findMemberAgencyId(deps.db, id)) !== agencyId) throw new NotFound(M.notYourAgency);
      const form = parseForm(action === 'approve' ? ApproveForm : RejectForm, request.body);
      if (!form.ok) return showSignUps(request, reply.code(422), { refusal: { id, action, error: Object.values(form.errors)[0]!, reason: form.values.reason ?? '' } });
      const decide = action === 'approve' ? approveMember : rejectMember;
      const decided = await decide(deps, request.member!.id, id, form.data.reason, agencyId);
      if (!decided.ok) return showSignUps(request, reply.code(409), { notice: M.memberAlreadyDecided });
      setFlash(request, action === 'approve' ? M.memberApproved(decided.displayName) : M.memberRejected(decided.displayName));
      return redirectTo(reply, `${HOME}/sign-ups`);
    });
  }

  async function memberFor(request: FastifyRequest) {
    const { id } = parseParams(MemberParams, request.params);
    const member = await findAgencyMember(deps.db, agencyOf(request).agencyId, id);
    if (!member) throw new NotFound(M.notYourAgency);
    return member;
  }

  async function showLeaver(request: FastifyRequest, reply: FastifyReply, form: { values?: Record<string, string>; errors?: FieldErrors } = {}) {
    const member = await memberFor(request);
    return reply.view('coordinators/deactivate', {
      title: `Deactivate ${member.displayName}?`,
      member,
      mayDeactivate: member.role === 'member' && !member.coordinator && member.id !== request.member!.id,
      csrfToken: reply.generateCsrf(),
      values: form.values ?? {},
      errors: form.errors,
      limits: COORDINATOR_LIMITS,
    });
  }

  app.get(`${HOME}/members/:id/deactivate`, async (request, reply) => {
    parseQuery(NoQuery, request.query);
    return showLeaver(request, reply);
  });

  app.post(`${HOME}/members/:id/deactivate`, async (request, reply) => {
    const { id } = parseParams(MemberParams, request.params);
    const form = parseForm(LeaverForm, request.body);
    if (!form.ok) return showLeaver(request, reply.code(422), form);
    try {
      const done = await deactivateMember(deps, id, { actorMemberId: request.member!.id, ipAddress: request.clientAddress }, { note: form.data.reason, withinAgency: agencyOf(request).agencyId });
      setFlash(request, M.leaverDeactivated(done.displayName));
      return redirectTo(reply, HOME);
    } catch (error) {
      // Another agency's member is not found, whether the id was guessed or they moved meanwhile.
      if (!(error instanceof Refused) || error.statusCode === 404) throw error instanceof Refused ? new NotFound(error.message) : error;
      // A deactivated member is off the list, so the page to re-show is the list itself.
      if (error.statusCode === 409 && !(await findAgencyMember(deps.db, agencyOf(request).agencyId, id))) return showMembers(request, reply.code(409), 1, { errors: { _form: error.message } });
      return showLeaver(request, reply.code(error.statusCode), { values: { reason: form.data.reason }, errors: { _form: error.message } });
    }
  });
};

export default coordinatorRoutes;
