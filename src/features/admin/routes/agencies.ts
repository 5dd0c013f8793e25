import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest, NotFound, Refused } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams, refusalAsFieldErrors, parseQuery, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { paginate } from '../../../lib/pagination.js';
import { ButtonForm } from '../../auth/schemas.js';
import { appointCoordinator, removeCoordinator } from '../../coordinators/appointments.js';
import { COORDINATOR_MESSAGES } from '../../coordinators/messages.js';
import { findLatestAttestation, listCoordinators } from '../../coordinators/queries.js';
import { AppointCoordinatorForm, CoordinatorParams } from '../../coordinators/schemas.js';
import { PageQuery } from '../../discussions/schemas.js';
import { administratorOf } from '../actor.js';
import { addAgency, classifyAgency, mergeAgencies, renameAgency, setAgencyParent } from '../agencies.js';
import { ADMIN_MESSAGES as M } from '../messages.js';
import { countAgencies, findAgency, findMemberIdByEmail, listAgencies, listAgencyNames, type AgencyListing } from '../queries.js';
import {
  AdminItemParams,
  AGENCIES_PER_PAGE,
  AGENCY_LIMITS,
  AGENCY_TYPE_NAMES,
  AGENCY_TYPES,
  AgencyClassificationForm,
  AgencyParentForm,
  JURISDICTION_NAMES,
  JURISDICTIONS,
  MergeAgencyForm,
  NewAgencyForm,
  RenameAgencyForm,
} from '../schemas.js';

const LIST = '/admin/agencies';
const JURISDICTION_CHOICES = JURISDICTIONS.map((value) => ({ value, label: JURISDICTION_NAMES[value] }));
const AGENCY_TYPE_CHOICES = AGENCY_TYPES.map((value) => ({ value, label: AGENCY_TYPE_NAMES[value] }));
const NAME_HINT = `At most ${AGENCY_LIMITS.name} characters.`;

/** An agency as the pages show it: its jurisdiction and type in words. */
function described(agency: AgencyListing) {
  return {
    ...agency,
    jurisdictionName: agency.jurisdiction && JURISDICTION_NAMES[agency.jurisdiction],
    agencyTypeName: agency.agencyType && AGENCY_TYPE_NAMES[agency.agencyType],
  };
}

/** Which of the agency page's forms was sent, with its values and messages after a refusal. */
interface AgencyPageState {
  form?: 'classify' | 'parent' | 'rename' | 'merge' | 'appoint';
  values?: Record<string, string>;
  errors?: FieldErrors;
}

async function showAgency(deps: Deps, reply: FastifyReply, agency: AgencyListing, { form, values = {}, errors }: AgencyPageState = {}): Promise<FastifyReply> {
  const others = (await listAgencyNames(deps.db)).filter((other) => other.id !== agency.id).map((other) => ({ value: String(other.id), label: other.name }));
  return reply.view('admin/agency', {
    title: `Agency: ${agency.name}`,
    agency: described(agency),
    memberCount: M.memberCount(agency.members),
    csrfToken: reply.generateCsrf(),
    classification: form === 'classify' ? values : { jurisdiction: agency.jurisdiction ?? '', agency_type: agency.agencyType ?? '' },
    parent: form === 'parent' ? values : { parent_id: agency.parentId === null ? '' : String(agency.parentId) },
    rename: form === 'rename' ? values : { name: agency.name },
    merge: form === 'merge' ? values : {},
    appoint: form === 'appoint' ? values : {},
    coordinators: await listCoordinators(deps.db, agency.id),
    latestAttestation: await findLatestAttestation(deps.db, agency.id),
    errors,
    nameHint: NAME_HINT,
    limits: AGENCY_LIMITS,
    jurisdictions: JURISDICTION_CHOICES,
    agencyTypes: AGENCY_TYPE_CHOICES,
    others,
  });
}

async function showList(deps: Deps, reply: FastifyReply, page: number, add: { values?: Record<string, string>; errors?: FieldErrors } = {}): Promise<FastifyReply> {
  const total = await countAgencies(deps.db);
  const pageCount = Math.max(1, Math.ceil(total / AGENCIES_PER_PAGE));
  if (page > pageCount) throw new NotFound();
  const agencies = await listAgencies(deps.db, { limit: AGENCIES_PER_PAGE, offset: (page - 1) * AGENCIES_PER_PAGE });
  return reply.view('admin/agencies', {
    title: page > 1 ? `Agencies (page ${page})` : 'Agencies',
    agencies: agencies.map(described),
    total,
    pagination: paginate(LIST, page, pageCount),
    csrfToken: reply.generateCsrf(),
    values: add.values ?? { jurisdiction: '', agency_type: '' },
    errors: add.errors,
    nameHint: NAME_HINT,
    limits: AGENCY_LIMITS,
    jurisdictions: JURISDICTION_CHOICES,
    agencyTypes: AGENCY_TYPE_CHOICES,
  });
}

const agencyRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function agencyFor(request: FastifyRequest): Promise<AgencyListing> {
    const { id } = parseParams(AdminItemParams, request.params);
    const agency = await findAgency(deps.db, id);
    if (!agency) throw new NotFound();
    return agency;
  }

  app.get(LIST, async (request, reply) => showList(deps, reply, parseQuery(PageQuery, request.query).page ?? 1));

  app.post(LIST, async (request, reply) => {
    const form = parseForm(NewAgencyForm, request.body);
    if (!form.ok) return showList(deps, reply.code(422), 1, form);
    try {
      const { name, ...classification } = form.data;
      const added = await addAgency(deps, { name, ...classification }, administratorOf(request));
      setFlash(request, M.agencyAdded(added.name));
      return redirectTo(reply, `${LIST}/${added.id}`);
    } catch (error) {
      return showList(deps, reply.code(422), 1, { values: { name: form.data.name, jurisdiction: form.data.jurisdiction ?? '', agency_type: form.data.agency_type ?? '' }, errors: refusalAsFieldErrors(error) });
    }
  });

  app.get(`${LIST}/:id`, async (request, reply) => showAgency(deps, reply, await agencyFor(request)));

  app.post(`${LIST}/:id`, async (request, reply) => {
    const agency = await agencyFor(request);
    const form = parseForm(AgencyClassificationForm, request.body);
    if (!form.ok) return showAgency(deps, reply.code(422), agency, { form: 'classify', ...form });
    const change = await classifyAgency(deps, agency.id, form.data, administratorOf(request));
    // Merged into another agency while the form was open.
    if (!change) throw new NotFound();
    setFlash(request, change.changed ? M.agencySaved(change.name) : M.agencyUnchanged(change.name));
    return redirectTo(reply, `${LIST}/${agency.id}`);
  });

  app.post(`${LIST}/:id/parent`, async (request, reply) => {
    const agency = await agencyFor(request);
    const form = parseForm(AgencyParentForm, request.body);
    if (!form.ok) return showAgency(deps, reply.code(422), agency, { form: 'parent', ...form });
    try {
      const change = await setAgencyParent(deps, agency.id, form.data.parent_id, administratorOf(request));
      setFlash(request, change.changed ? M.parentSet(change.name, change.parentName) : M.parentUnchanged(change.name));
      return redirectTo(reply, `${LIST}/${agency.id}`);
    } catch (error) {
      return showAgency(deps, reply.code(422), agency, { form: 'parent', values: { parent_id: String(form.data.parent_id ?? '') }, errors: refusalAsFieldErrors(error) });
    }
  });

  app.post(`${LIST}/:id/name`, async (request, reply) => {
    const agency = await agencyFor(request);
    const form = parseForm(RenameAgencyForm, request.body);
    if (!form.ok) return showAgency(deps, reply.code(422), agency, { form: 'rename', ...form });
    try {
      const renamed = await renameAgency(deps, agency.id, { name: form.data.name }, administratorOf(request));
      setFlash(request, [renamed.changed ? M.agencyRenamed(renamed.from, renamed.to) : M.agencyNameUnchanged(renamed.to), renamed.unmappedDomain && M.unmappedDomain(renamed.unmappedDomain.domain)].filter(Boolean).join(' '));
      return redirectTo(reply, `${LIST}/${agency.id}`);
    } catch (error) {
      return showAgency(deps, reply.code(422), agency, { form: 'rename', values: { name: form.data.name }, errors: refusalAsFieldErrors(error) });
    }
  });

  app.post(`${LIST}/:id/coordinators`, async (request, reply) => {
    const agency = await agencyFor(request);
    const form = parseForm(AppointCoordinatorForm, request.body);
    if (!form.ok) return showAgency(deps, reply.code(422), agency, { form: 'appoint', ...form });
    try {
      const memberId = await findMemberIdByEmail(deps.db, form.data.email.canonical);
      if (memberId === undefined) throw new Refused(COORDINATOR_MESSAGES.unknownMember(form.data.email.canonical), 'email');
      const appointed = await appointCoordinator(deps, agency.id, memberId, administratorOf(request));
      setFlash(request, COORDINATOR_MESSAGES.appointed(appointed.displayName, appointed.agencyName));
      return redirectTo(reply, `${LIST}/${agency.id}#coordinators`);
    } catch (error) {
      const status = error instanceof Refused && error.statusCode !== 404 ? error.statusCode : 422;
      return showAgency(deps, reply.code(status), agency, { form: 'appoint', values: { email: form.data.email.address }, errors: refusalAsFieldErrors(error) });
    }
  });

  app.post(`${LIST}/:id/coordinators/:memberId/remove`, async (request, reply) => {
    const { id, memberId } = parseParams(CoordinatorParams, request.params);
    const form = parseForm(ButtonForm, request.body);
    if (!form.ok) throw new BadRequest(form.errors._form);
    const agency = await findAgency(deps.db, id);
    if (!agency) throw new NotFound();
    try {
      const removed = await removeCoordinator(deps, agency.id, memberId, administratorOf(request));
      setFlash(request, COORDINATOR_MESSAGES.removed(removed.displayName, removed.agencyName));
      return redirectTo(reply, `${LIST}/${agency.id}#coordinators`);
    } catch (error) {
      if (!(error instanceof Refused) || error.statusCode === 404) throw error;
      return showAgency(deps, reply.code(error.statusCode), agency, { errors: { _form: error.message } });
    }
  });

  app.post(`${LIST}/:id/merge`, async (request, reply) => {
    const agency = await agencyFor(request);
    const form = parseForm(MergeAgencyForm, request.body);
    if (!form.ok) return showAgency(deps, reply.code(422), agency, { form: 'merge', ...form });
    try {
      const merged = await mergeAgencies(deps, agency.id, form.data.into_id, administratorOf(request));
      setFlash(request, [M.agencyMerged(merged.from.name, merged.into.name, merged.membersMoved, merged.rulesMoved), merged.unmappedDomain && M.unmappedDomain(merged.unmappedDomain.domain)].filter(Boolean).join(' '));
      return redirectTo(reply, `${LIST}/${merged.into.id}`);
    } catch (error) {
      return showAgency(deps, reply.code(422), agency, { form: 'merge', values: { into_id: String(form.data.into_id) }, errors: refusalAsFieldErrors(error) });
    }
  });
};

export default agencyRoutes;
