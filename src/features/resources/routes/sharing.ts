import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { Forbidden, RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formToken, parseForm, type FieldErrors } from '../../../lib/forms.js';
import { PAGE_MESSAGES, waitInWords } from '../../../lib/messages.js';
import { redirectTo } from '../../../lib/next-path.js';
import { resourcePath } from '../content.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import { findMemberAgencyId } from '../queries/choices.js';
import { NewResourceForm, resourceInput } from '../schemas.js';
import { shareResource } from '../sharing.js';
import { resourceFormData, submittedValues, type ResourceFormValues } from './form.js';

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
    return showShareForm(reply, { values: ownAgencyId === null ? {} : { agency: String(ownAgencyId) }, initiativeTypes: [] });
  });

  app.post('/resources/new', async (request, reply) => {
    const form = parseForm(NewResourceForm, request.body);
    const submitted = submittedValues(request.body);
    if (!form.ok) return showShareForm(reply.code(422), submitted, form.errors);
    const input = resourceInput(form.data);
    const result = await shareResource(deps, request.member!, { ...input, formToken: form.data.form_token });
    switch (result.kind) {
      case 'shared':
        setFlash(request, M.shared);
        return redirectTo(reply, resourcePath({ id: result.resourceId, title: input.title }));
      case 'duplicate':
        return redirectTo(reply, `/resources/${result.resourceId}`);
      case 'invalid':
        return showShareForm(reply.code(422), submitted, result.errors);
      case 'stale-form': {
        // A fresh token: the spent one would be refused again.
        const { form_token: _spent, ...values } = submitted.values;
        return showShareForm(reply.code(422), { ...submitted, values }, { _form: PAGE_MESSAGES.formExpired });
      }
      case 'no-category':
        throw new Forbidden(M.noCategory);
      case 'rate-limited': {
        const limited = new RateLimited(result.retryAfterSeconds);
        return showShareForm(reply.code(429).headers(limited.headers), submitted, { _form: M.postingLimit(waitInWords(result.retryAfterSeconds)) });
      }
    }
  });
};

export default sharingRoutes;
