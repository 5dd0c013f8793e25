import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { Forbidden, RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formToken, parseForm, type FieldErrors } from '../../../lib/forms.js';
import { PAGE_MESSAGES, waitInWords } from '../../../lib/messages.js';
import { redirectTo } from '../../../lib/next-path.js';
import { resourcePath } from '../content.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import { findMemberAgencyId } from '../queries/choices.js';
import { sortReceivedFiles } from '../file-changes.js';
import { receiveForm, type ReceivedForm } from '../files/upload.js';
import { NewResourceForm, resourceInput } from '../schemas.js';
import { shareResource } from '../sharing.js';
import { fileMessages, refusedFormStatus, resourceFormData, submittedValues, type ResourceFormValues } from './form.js';

const sharingRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function showShareForm(reply: FastifyReply, form: ResourceFormValues, errors?: FieldErrors): Promise<FastifyReply> {
    const ownAgencyId = await findMemberAgencyId(deps.db, reply.request.member!.id);
    return reply.view('resources/new', {
      title: 'Share a resource',
      csrfToken: reply.generateCsrf(),
      formToken: formToken.safeParse(form.values.form_token).data ?? randomUUID(),
      ...(await resourceFormData(deps, form, errors, ownAgencyId)),
    });
  }

  app.get('/resources/new', async (request, reply) => {
    // The sharer's own agency is chosen until they say the resource comes from another.
    const ownAgencyId = await findMemberAgencyId(deps.db, request.member!.id);
    return showShareForm(reply, { values: ownAgencyId === null ? {} : { agency: String(ownAgencyId) }, initiativeTypes: [], removedFiles: [] });
  });

  async function share(request: FastifyRequest, reply: FastifyReply, received: ReceivedForm): Promise<FastifyReply> {
    const form = parseForm(NewResourceForm, received.fields);
    const submitted = submittedValues(received.fields);
    // Every message at once, the fields' and the files'; the files are chosen again whatever went wrong.
    const showAgain = (answer: FastifyReply, values: ResourceFormValues, errors: FieldErrors) => showShareForm(answer, values, { ...errors, ...fileMessages(received) });
    if (!form.ok || received.problems.length > 0) return showAgain(reply.code(refusedFormStatus(received)), submitted, form.ok ? {} : form.errors);
    const input = resourceInput(form.data);
    const { added } = sortReceivedFiles(received.files, [], { replacing: false });
    const result = await shareResource(deps, request.member!, { ...input, formToken: form.data.form_token, files: added });
    switch (result.kind) {
      case 'shared':
        setFlash(request, M.shared);
        return redirectTo(reply, resourcePath({ id: result.resourceId, title: input.title }));
      case 'duplicate':
        return redirectTo(reply, `/resources/${result.resourceId}`);
      case 'invalid':
        return showAgain(reply.code(422), submitted, result.errors);
      case 'stale-form': {
        // A fresh token: the spent one would be refused again.
        const { form_token: _spent, ...values } = submitted.values;
        return showAgain(reply.code(422), { ...submitted, values }, { _form: PAGE_MESSAGES.formExpired });
      }
      case 'no-category':
        throw new Forbidden(M.noCategory);
      case 'rate-limited': {
        const limited = new RateLimited(result.retryAfterSeconds);
        return showAgain(reply.code(429).headers(limited.headers), submitted, { _form: M.postingLimit(waitInWords(result.retryAfterSeconds)) });
      }
    }
  }

  app.post('/resources/new', { config: { multipartForm: true } }, async (request, reply) => {
    const received = await receiveForm(request);
    try {
      return await share(request, reply, received);
    } finally {
      await received.discard();
    }
  });
};

export default sharingRoutes;
