import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams, parseQuery, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { paginate } from '../../../lib/pagination.js';
import { PageQuery } from '../../discussions/schemas.js';
import { administratorOf } from '../actor.js';
import { classifyAgency, countAgencies, findAgency, listAgencies, type AgencyListing } from '../agencies.js';
import { ADMIN_MESSAGES as M } from '../messages.js';
import { AdminItemParams, AGENCIES_PER_PAGE, AGENCY_TYPE_NAMES, AGENCY_TYPES, AgencyClassificationForm, JURISDICTION_NAMES, JURISDICTIONS } from '../schemas.js';

const JURISDICTION_CHOICES = JURISDICTIONS.map((value) => ({ value, label: JURISDICTION_NAMES[value] }));
const AGENCY_TYPE_CHOICES = AGENCY_TYPES.map((value) => ({ value, label: AGENCY_TYPE_NAMES[value] }));

/** An agency as the pages show it: its jurisdiction and type in words. */
function described(agency: AgencyListing) {
  return {
    ...agency,
    jurisdictionName: agency.jurisdiction && JURISDICTION_NAMES[agency.jurisdiction],
    agencyTypeName: agency.agencyType && AGENCY_TYPE_NAMES[agency.agencyType],
  };
}

function showAgency(reply: FastifyReply, agency: AgencyListing, values: Record<string, string>, errors?: FieldErrors): FastifyReply {
  return reply.view('admin/agency', {
    title: `Agency: ${agency.name}`,
    agency: described(agency),
    memberCount: M.memberCount(agency.members),
    csrfToken: reply.generateCsrf(),
    values,
    errors,
    jurisdictions: JURISDICTION_CHOICES,
    agencyTypes: AGENCY_TYPE_CHOICES,
  });
}

const agencyRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/admin/agencies', async (request, reply) => {
    const { page = 1 } = parseQuery(PageQuery, request.query);
    const total = await countAgencies(deps.db);
    const pageCount = Math.max(1, Math.ceil(total / AGENCIES_PER_PAGE));
    if (page > pageCount) throw new NotFound();
    const agencies = await listAgencies(deps.db, { limit: AGENCIES_PER_PAGE, offset: (page - 1) * AGENCIES_PER_PAGE });
    return reply.view('admin/agencies', {
      title: page > 1 ? `Agencies (page ${page})` : 'Agencies',
      agencies: agencies.map(described),
      total,
      pagination: paginate('/admin/agencies', page, pageCount),
    });
  });

  app.get('/admin/agencies/:id', async (request, reply) => {
    const { id } = parseParams(AdminItemParams, request.params);
    const agency = await findAgency(deps.db, id);
    if (!agency) throw new NotFound();
    return showAgency(reply, agency, { jurisdiction: agency.jurisdiction ?? '', agency_type: agency.agencyType ?? '' });
  });

  app.post('/admin/agencies/:id', async (request, reply) => {
    const { id } = parseParams(AdminItemParams, request.params);
    const agency = await findAgency(deps.db, id);
    if (!agency) throw new NotFound();
    const form = parseForm(AgencyClassificationForm, request.body);
    if (!form.ok) return showAgency(reply.code(422), agency, form.values, form.errors);
    const change = await classifyAgency(deps, id, form.data, administratorOf(request));
    // Merged into another agency while the form was open.
    if (!change) throw new NotFound();
    setFlash(request, change.changed ? M.agencySaved(change.name) : M.agencyUnchanged(change.name));
    return redirectTo(reply, `/admin/agencies/${id}`);
  });
};

export default agencyRoutes;
