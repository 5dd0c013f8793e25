import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
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
import { replaceField, sortReceivedFiles } from '../file-changes.js';
import { fileUrl } from '../files/filename.js';
import { receiveForm, type ReceivedForm } from '../files/upload.js';
import { loadResourceHistory } from '../history.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import type { ResourceState } from '../queries/versions.js';
import { EditResourceForm, RESOURCE_KINDS, resourceInput, ResourceParams } from '../schemas.js';
import { currentValues, fileMessages, refusedFormStatus, resourceFormData, submittedValues, type ResourceFormValues } from './form.js';

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
      // The files as they are now (after a conflict, as someone else left them), each with its own inputs.
      currentFiles: (state.current ?? resource).files.map((file) => ({
        id: file.id,
        name: file.name,
        href: fileUrl(file),
        replaceName: replaceField(file.id),
        replaceError: state.errors?.[replaceField(file.id)],
        removeChecked: state.form.removedFiles.includes(String(file.id)),
      })),
      ...(await resourceFormData(deps, state.form, state.errors)),
    });
  }

  app.get('/resources/:id/edit', async (request, reply) => {
    const { id } = parseParams(ResourceParams, request.params);
    const resource = await resourceToChange(deps, request.member!, id);
    return showEditForm(reply, resource, { version: resource.version, form: currentValues(resource) });
  });

  async function edit(request: FastifyRequest, reply: FastifyReply, resource: ResourceState, received: ReceivedForm): Promise<FastifyReply> {
    const parsed = parseForm(EditResourceForm, received.fields);
    const submitted = submittedValues(received.fields);
    // Every message at once, the fields' and the files'; the files are chosen again whatever went wrong.
    const showAgain = (answer: FastifyReply, state: EditFormState) => showEditForm(answer, resource, { ...state, errors: { ...state.errors, ...fileMessages(received) } });
    if (!parsed.ok || received.problems.length > 0) {
      // The version is a hidden field: its message belongs to the form, and the form goes back
      // with the version it was opened on, or the current one if that did not survive the trip.
      const { version: versionError, ...errors } = parsed.ok ? {} : parsed.errors;
      const version = parsed.ok ? parsed.data.version : versionError === undefined ? Number(parsed.values.version) : resource.version;
      return showAgain(reply.code(refusedFormStatus(received)), { version, form: submitted, errors: versionError === undefined ? errors : { _form: versionError, ...errors } });
    }
    const files = sortReceivedFiles(received.files, parsed.data.remove_files);
    const result = await editResource(deps, request.member!, resource, { ...resourceInput(parsed.data), version: parsed.data.version, files });
    const kept = { version: parsed.data.version, form: submitted };
    switch (result.kind) {
      case 'edited':
        setFlash(request, M.edited);
        return redirectTo(reply, `/resources/${resource.id}`);
      case 'unchanged':
        setFlash(request, M.nothingChanged);
        return redirectTo(reply, `/resources/${resource.id}`);
      case 'invalid':
        return showAgain(reply.code(422), { ...kept, errors: result.errors });
      case 'conflict':
        return showAgain(reply.code(409), { ...kept, version: result.current.version, current: result.current, errors: { _form: M.editConflict } });
      case 'gone':
        throw new NotFound(M.wasRemoved);
      case 'rate-limited': {
        const limited = new RateLimited(result.retryAfterSeconds);
        return showAgain(reply.code(429).headers(limited.headers), { ...kept, errors: { _form: M.postingLimit(waitInWords(result.retryAfterSeconds)) } });
      }
    }
  }

  app.post('/resources/:id/edit', { config: { multipartForm: true } }, async (request, reply) => {
    const { id } = parseParams(ResourceParams, request.params);
    const resource = await resourceToChange(deps, request.member!, id);
    const received = await receiveForm(request);
    try {
      return await edit(request, reply, resource, received);
    } finally {
      await received.discard();
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
