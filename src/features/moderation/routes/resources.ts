import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest, NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { ButtonForm } from '../../auth/schemas.js';
import { resourcePath } from '../../resources/content.js';
import { findResource, type Resource } from '../../resources/queries/resources.js';
import { hideResource, keepItem, removeResourceAsModerator, unhideResource } from '../actions.js';
import { MODERATION_MESSAGES as M } from '../messages.js';
import { DeleteForm, MODERATION_LIMITS, HideForm, ItemParams } from '../schemas.js';
import { checkMayModerateContentOf } from '../staff.js';

function showHideForm(reply: FastifyReply, resource: Resource, values: Record<string, string> = {}, errors?: FieldErrors): FastifyReply {
  return reply.view('moderation/resource-hide', {
    title: 'Hide this resource?',
    resource,
    resourceHref: resourcePath(resource),
    csrfToken: reply.generateCsrf(),
    values,
    errors,
    limits: MODERATION_LIMITS,
    reasonHint: `The member who shared it is told. At most ${MODERATION_LIMITS.reason.toLocaleString('en-AU')} characters.`,
  });
}

/** The queue's actions on a flagged resource (removing one otherwise is the resource page's own remove action). */
const resourceActionRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const resourceOf = async (request: FastifyRequest): Promise<Resource> => {
    const resource = await findResource(deps.db, request.member!, parseParams(ItemParams, request.params).id);
    if (!resource || resource.removed) throw new NotFound();
    checkMayModerateContentOf(request.member!, { id: resource.sharerId, role: resource.sharerRole });
    return resource;
  };

  app.post('/mod/resources/:id/keep', async (request, reply) => {
    const resource = await resourceOf(request);
    if (!parseForm(ButtonForm, request.body).ok) throw new BadRequest(M.unexpectedFields);
    const result = await keepItem(deps, request.member!, { kind: 'resource', id: resource.id });
    setFlash(request, result === 'kept' ? M.kept : M.nothingToReview);
    return redirectTo(reply, '/mod');
  });

  app.get('/mod/resources/:id/hide', async (request, reply) => showHideForm(reply, await resourceOf(request)));

  app.post('/mod/resources/:id/hide', async (request, reply) => {
    const resource = await resourceOf(request);
    const form = parseForm(HideForm, request.body);
    if (!form.ok) return showHideForm(reply.code(422), resource, form.values, form.errors);
    const result = await hideResource(deps, request.member!, resource.id, form.data.reason);
    setFlash(request, result === 'hidden' ? M.resourceHidden : M.resourceAlreadyHidden);
    return redirectTo(reply, '/mod');
  });

  // From the resource's own page, where staff see it hidden: back there, now shown.
  app.post('/mod/resources/:id/unhide', async (request, reply) => {
    const resource = await resourceOf(request);
    if (!parseForm(ButtonForm, request.body).ok) throw new BadRequest(M.unexpectedFields);
    const result = await unhideResource(deps, request.member!, resource.id);
    setFlash(request, result === 'unhidden' ? M.resourceUnhidden : M.resourceNotHidden);
    return redirectTo(reply, resourcePath(resource));
  });

  app.post('/mod/resources/:id/remove', async (request, reply) => {
    const resource = await resourceOf(request);
    const form = parseForm(DeleteForm, request.body);
    if (!form.ok) throw new BadRequest(form.errors.reason ?? M.unexpectedFields);
    const result = await removeResourceAsModerator(deps, request.member!, resource.id, form.data.reason);
    setFlash(request, result === 'removed' ? M.resourceRemoved : M.resourceAlreadyRemoved);
    return redirectTo(reply, '/mod');
  });
};

export default resourceActionRoutes;
