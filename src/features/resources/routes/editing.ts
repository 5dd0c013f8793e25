import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound, RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams, parseQuery, type FieldErrors } from '../../../lib/forms.js';
import { waitInWords } from '../../../lib/messages.js';
import { redirectTo } from '../../../lib/next-path.js';
import { paginate } from '../../../lib/pagination.js';
import { PageQuery } from '../../discussions/schemas.js';
import { resourcePath } from '../content.js';
import { editResource, resourceToChange } from '../editing.js';
import { loadResourceHistory } from '../history.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import type { ResourceState } from '../queries/versions.js';
import { EditResourceForm, RESOURCE_KINDS, resourceInput, ResourceParams } from '../schemas.js';
import { currentValues, resourceFormData, submittedValues, type ResourceFormValues } from './form.js';

interface EditFormState {
  /** The version the form saves over: the one it was opened on, or the current one after a conflict. */
  version: number;
  form: ResourceFormValues;
  errors?: FieldErrors;
  /** After a conflict: the resource as someone else saved it, shown beside the editor's changes. */
  current?: ResourceState;
}

const editingRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function showEditForm(reply: FastifyReply, resource: ResourceState, state: EditFormState): Promise<FastifyReply> {
    return reply.view('resources/edit', {
      title: 'Edit a resource',
      resource,
      resourceHref: resourcePath(resource),
      csrfToken: reply.generateCsrf(),
      version: state.version,
      current: state.current && { ...state.current, kindLabel: RESOURCE_KINDS[state.current.kind], initiativeTypeNames: state.current.initiativeTypes.map((type) => type.name) },
      ...(await resourceFormData(deps, state.form, state.errors)),
    });
  }

  app.get('/resources/:id/edit', async (request, reply) => {
    const { id } = parseParams(ResourceParams, request.params);
    const resource = await resourceToChange(deps, request.member!, id);
    return showEditForm(reply, resource, { version: resource.version, form: currentValues(resource) });
  });

  app.post('/resources/:id/edit', async (request, reply) => {
    const { id } = parseParams(ResourceParams, request.params);
    const resource = await resourceToChange(deps, request.member!, id);
    const parsed = parseForm(EditResourceForm, request.body);
    const submitted = submittedValues(request.body);
    if (!parsed.ok) {
      // The version is a hidden field: its message belongs to the form, and the form goes back
      // with the version it was opened on, or the current one if that did not survive the trip.
      const { version: versionError, ...errors } = parsed.errors;
      const version = versionError === undefined ? Number(parsed.values.version) : resource.version;
      return showEditForm(reply.code(422), resource, { version, form: submitted, errors: versionError === undefined ? errors : { _form: versionError, ...errors } });
    }
    const result = await editResource(deps, request.member!, resource, { ...resourceInput(parsed.data), version: parsed.data.version });
    const kept = { version: parsed.data.version, form: submitted };
    switch (result.kind) {
      case 'edited':
        setFlash(request, M.edited);
        return redirectTo(reply, `/resources/${resource.id}`);
      case 'unchanged':
        setFlash(request, M.nothingChanged);
        return redirectTo(reply, `/resources/${resource.id}`);
      case 'invalid':
        return showEditForm(reply.code(422), resource, { ...kept, errors: result.errors });
      case 'conflict':
        return showEditForm(reply.code(409), resource, { ...kept, version: result.current.version, current: result.current, errors: { _form: M.editConflict } });
      case 'gone':
        throw new NotFound(M.wasRemoved);
      case 'rate-limited': {
        const limited = new RateLimited(result.retryAfterSeconds);
        return showEditForm(reply.code(429).headers(limited.headers), resource, { ...kept, errors: { _form: M.postingLimit(waitInWords(result.retryAfterSeconds)) } });
      }
    }
  });

  app.get('/resources/:id/history', async (request, reply) => {
    const { id } = parseParams(ResourceParams, request.params);
    const { page = 1 } = parseQuery(PageQuery, request.query);
    const history = await loadResourceHistory(deps, request.member!, id, page);
    if (!history) throw new NotFound();
    return reply.view('resources/history', {
      title: page > 1 ? `Versions of “${history.resource.title}” (page ${page})` : `Versions of “${history.resource.title}”`,
      resource: history.resource,
      resourceHref: resourcePath(history.resource),
      versions: history.versions,
      pagination: paginate(`/resources/${id}/history`, page, history.pageCount),
    });
  });
};

export default editingRoutes;
