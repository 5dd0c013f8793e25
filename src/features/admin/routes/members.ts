import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest, NotFound, Refused } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseFilterQuery, parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { ButtonForm } from '../../auth/schemas.js';
import { administratorOf } from '../actor.js';
import { deactivateMember, exportMembers, reactivateMember, setRole, type DeactivationReason } from '../members.js';
import { ROLE_NAMES } from '../../../lib/messages.js';
import { ADMIN_MESSAGES as M, DEACTIVATION_REASON_NAMES } from '../messages.js';
import { findMemberListing, findMemberStatus, listAgencyNames, listMemberListings, type MemberListing } from '../queries.js';
import { AdminItemParams, MEMBER_SEARCH_LIMIT, MEMBER_STATUS_NAMES, MEMBER_STATUSES, MemberListQuery, MEMBERS_PER_PAGE, DEACTIVATION_REASONS, ROLES, RoleForm } from '../schemas.js';

/**
 * The members list with its search, filters and CSV export; a member's page with their role;
 * deactivating and reactivating through the same services as `npm run admin`: a confirm page,
 * then the POST. A deactivated member's posts stay, shown as a former member's.
 */
const CHANGES = {
  deactivate: { verb: 'Deactivate', run: deactivateMember, done: M.deactivatedInBrowser },
  reactivate: { verb: 'Reactivate', run: reactivateMember, done: M.reactivatedInBrowser },
} as const;

const FILTER_FIELDS = ['q', 'agency', 'role', 'status', 'reason'] as const;

/** The filters parsed, or the 400 page's message beside the filter it is about. */
function parseFilters(query: unknown): { ok: true; data: MemberListQuery } | { ok: false; problem: FieldErrors; typed: Record<string, string> } {
  const parsed = parseFilterQuery(MemberListQuery, query, FILTER_FIELDS);
  return parsed.ok ? parsed : { ok: false, problem: { [parsed.field]: M.memberFilterProblem(parsed.message) }, typed: parsed.typed };
}

const sentenceCase = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const labelled = <T extends string>(names: Record<T, string>, values: readonly T[]) => values.map((value) => ({ value, label: names[value] }));

function asShown(member: MemberListing) {
  const reason = member.status === 'deactivated' ? DEACTIVATION_REASON_NAMES[(member.deactivationReason ?? 'administrator') as DeactivationReason] : undefined;
  return { ...member, roleName: ROLE_NAMES[member.role], statusName: MEMBER_STATUS_NAMES[member.status], deactivationReasonName: reason };
}

async function showMembers(deps: Deps, reply: FastifyReply, page: { filters: Record<string, string>; problem?: FieldErrors; members?: MemberListing[]; olderHref?: string; paged?: boolean }) {
  const kept = new URLSearchParams(Object.entries(page.filters).filter(([, value]) => value !== ''));
  return reply.view('admin/members', {
    title: 'Members',
    filters: page.filters,
    problem: page.problem,
    agencies: (await listAgencyNames(deps.db)).map((agency) => ({ value: String(agency.id), label: agency.name })),
    roles: labelled(ROLE_NAMES, ROLES),
    statuses: labelled(MEMBER_STATUS_NAMES, MEMBER_STATUSES),
    reasons: DEACTIVATION_REASONS.map((value) => ({ value, label: sentenceCase(DEACTIVATION_REASON_NAMES[value]) })),
    searchLimit: MEMBER_SEARCH_LIMIT,
    members: (page.members ?? []).map(asShown),
    csvHref: `/admin/members.csv${kept.size > 0 ? `?${kept.toString()}` : ''}`,
    olderHref: page.olderHref,
    paged: page.paged ?? false,
  });
}

const memberRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function memberFor(request: FastifyRequest) {
    const { id } = parseParams(AdminItemParams, request.params);
    const member = await findMemberStatus(deps.db, id);
    if (!member) throw new NotFound();
    return member;
  }

  async function showMember(request: FastifyRequest, reply: FastifyReply, errors?: FieldErrors) {
    const { id } = parseParams(AdminItemParams, request.params);
    const member = await findMemberListing(deps.db, id);
    if (!member) throw new NotFound(M.memberGone);
    return reply.view('admin/member', {
      title: member.displayName,
      member: asShown(member),
      deactivated: member.status === 'deactivated',
      roles: labelled(ROLE_NAMES, ROLES),
      csrfToken: reply.generateCsrf(),
      errors,
    });
  }

  app.get('/admin/members', async (request, reply) => {
    const parsed = parseFilters(request.query);
    if (!parsed.ok) return showMembers(deps, reply.code(400), { filters: parsed.typed, problem: parsed.problem });
    const { before, ...filters } = parsed.data;
    const rows = await listMemberListings(deps.db, parsed.data, MEMBERS_PER_PAGE + 1);
    const members = rows.slice(0, MEMBERS_PER_PAGE);
    const shown = { q: filters.q ?? '', agency: filters.agency?.toString() ?? '', role: filters.role ?? '', status: filters.status ?? '', reason: filters.reason ?? '' };
    const older = new URLSearchParams(Object.entries(shown).filter(([, value]) => value !== ''));
    older.set('before', String(members.at(-1)?.id));
    return showMembers(deps, reply, { filters: shown, members, olderHref: rows.length > MEMBERS_PER_PAGE ? `/admin/members?${older.toString()}` : undefined, paged: before !== undefined });
  });

  app.get('/admin/members.csv', async (request, reply) => {
    const parsed = parseFilters(request.query);
    if (!parsed.ok) return showMembers(deps, reply.code(400), { filters: parsed.typed, problem: parsed.problem });
    // Every page of the list, whatever page the link was on.
    const { q, agency, role, status, reason } = parsed.data;
    const { csv } = await exportMembers(deps, { q, agency, role, status, reason }, administratorOf(request));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="members.csv"').send(csv);
  });

  app.get('/admin/members/:id', async (request, reply) => showMember(request, reply));

  app.post('/admin/members/:id/role', async (request, reply) => {
    const form = parseForm(RoleForm, request.body);
    if (!form.ok) return showMember(request, reply.code(422), form.errors);
    const member = await memberFor(request);
    try {
      await setRole(deps, member.id, form.data.role, administratorOf(request));
    } catch (error) {
      // Already that role (a second press) is 409, the last administrator 422: said on the page, nothing written.
      if (error instanceof Refused && error.statusCode !== 404) return showMember(request, reply.code(error.statusCode), { [error.field === '_form' ? 'role' : error.field]: error.message });
      throw error;
    }
    setFlash(request, M.roleChanged(member.display_name, form.data.role));
    return redirectTo(reply, `/admin/members/${member.id}`);
  });

  for (const [change, { verb, run, done }] of Object.entries(CHANGES)) {
    app.get(`/admin/members/:id/${change}`, async (request, reply: FastifyReply) => {
      const member = await memberFor(request);
      return reply.view('admin/member-status', { title: `${verb} ${member.display_name}?`, member, change, verb, deactivating: change === 'deactivate', alreadyDone: (change === 'deactivate') === (member.deactivated_at !== null) });
    });

    app.post(`/admin/members/:id/${change}`, async (request, reply) => {
      const form = parseForm(ButtonForm, request.body);
      if (!form.ok) throw new BadRequest(form.errors._form);
      const member = await memberFor(request);
      // Already as asked (a second press): refused with 409, said on the page, nothing written.
      await run(deps, member.id, administratorOf(request));
      setFlash(request, done(member.display_name));
      return redirectTo(reply, `/admin/members/${member.id}/${change === 'deactivate' ? 'reactivate' : 'deactivate'}`);
    });
  }
};

export default memberRoutes;
