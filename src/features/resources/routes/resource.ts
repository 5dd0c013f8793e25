import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { HttpError, NotFound, RateLimited, type ErrorPageExtras } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { AGENCY_TYPE_NAMES, JURISDICTION_NAMES, type AgencyType, type Jurisdiction } from '../../admin/schemas.js';
import { ButtonForm } from '../../auth/schemas.js';
import { isStaff } from '../../discussions/access.js';
import { queryOf, threadPath } from '../../discussions/routes/paths.js';
import { THREAD_LIMITS } from '../../discussions/schemas.js';
import { resourcePath } from '../content.js';
import { featureResource, removeResource, resourceInReach, resourceToChange } from '../editing.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import { findResource } from '../queries/resources.js';
import { findResourceState, type ResourceState } from '../queries/versions.js';
import { setResourceHelpful } from '../reactions.js';
import { loadResourcePage } from '../resource-page.js';
import { CASE_STUDY_SECTIONS, FeatureForm, RESOURCE_KINDS, ResourceHelpfulForm, ResourceParams } from '../schemas.js';

const resourcePageRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const idOf = (request: FastifyRequest) => parseParams(ResourceParams, request.params).id;
  // A refusal's page leads back to the resource its button was on.
  const backTo = (id: number): ErrorPageExtras => ({ links: [{ href: `/resources/${id}`, text: M.backToResource }] });
  const refused = (status: number, message: string, id: number) => new HttpError(status, message, {}, backTo(id));

  // The short address of a resource always works, and goes to the one with its slug.
  app.get('/resources/:id', async (request, reply) => {
    const resource = await findResource(deps.db, request.member!, idOf(request));
    if (!resource) throw new NotFound();
    return redirectTo(reply, `${resourcePath(resource)}${queryOf(request.url)}`);
  });

  app.get('/resources/:id/:slug', async (request, reply) => {
    const { id, slug } = parseParams(ResourceParams, request.params);
    const viewer = request.member!;
    const page = await loadResourcePage(deps, viewer, id);
    if (!page) throw new NotFound();
    const { resource, thread } = page;
    const path = resourcePath(resource);
    if (`/resources/${id}/${slug}` !== path) return redirectTo(reply, `${path}${queryOf(request.url)}`);
    return reply.view('resources/resource', {
      title: resource.title,
      ...page,
      kindLabel: RESOURCE_KINDS[resource.kind],
      agencyTypeLabel: resource.agencyType && AGENCY_TYPE_NAMES[resource.agencyType as AgencyType],
      jurisdictionLabel: resource.agencyJurisdiction && JURISDICTION_NAMES[resource.agencyJurisdiction as Jurisdiction],
      body_html: resource.bodyHtml,
      sections: resource.sectionsHtml && CASE_STUDY_SECTIONS.map((section) => ({ name: section.name, label: section.label, section_html: resource.sectionsHtml![section.name] })),
      edited: resource.version > 1,
      helpfulText: resource.helpfulCount > 0 ? M.helpfulBy(resource.helpfulCount) : null,
      isStaff: isStaff(viewer.role),
      // The discussion's posts (views/partials/post.hbs): their Reply and Quote links lead to the thread's page.
      threadHref: thread && threadPath(thread),
      postLinkBase: thread && threadPath(thread),
      keptQuery: [],
      viewerId: viewer.id,
      csrfToken: reply.generateCsrf(),
      formToken: randomUUID(),
      values: {},
      replyHint: `Markdown works. At most ${THREAD_LIMITS.body.toLocaleString('en-AU')} characters.`,
      limits: THREAD_LIMITS,
    });
  });

  app.post('/resources/:id/helpful', async (request, reply) => {
    const id = idOf(request);
    const resource = await findResource(deps.db, request.member!, id);
    if (!resource) throw new NotFound();
    const form = parseForm(ResourceHelpfulForm, request.body);
    if (!form.ok) throw refused(422, form.errors.helpful ?? form.errors._form ?? M.badHelpful, id);
    const result = await setResourceHelpful(deps, request.member!, resource, form.data.helpful === 'yes');
    switch (result.kind) {
      case 'done':
        return redirectTo(reply, `${resourcePath(resource)}#helpful`);
      case 'own-resource':
        throw refused(403, M.helpfulOwn, id);
      case 'gone':
        throw refused(404, M.helpfulGone, id);
      case 'rate-limited':
        throw new RateLimited(result.retryAfterSeconds, M.reactionsLimited, backTo(id));
    }
  });

  app.post('/resources/:id/feature', async (request, reply) => {
    const id = idOf(request);
    const viewer = request.member!;
    const resource = await findResourceState(deps.db, id);
    if (!resource || (resource.removed && !isStaff(viewer.role))) throw new NotFound();
    const form = parseForm(FeatureForm, request.body);
    if (!form.ok) throw refused(422, form.errors.featured ?? form.errors._form ?? M.badFeatured, id);
    const featured = form.data.featured === 'yes';
    if ((await featureResource(deps, viewer, resource, featured)) === 'removed') throw refused(422, M.cannotFeatureRemoved, id);
    setFlash(request, featured ? M.featured : M.unfeatured);
    return redirectTo(reply, resourcePath(resource));
  });

  function showRemoveForm(reply: FastifyReply, resource: ResourceState, errors?: FieldErrors): FastifyReply {
    return reply.view('resources/remove', { title: 'Remove this resource?', resource, resourceHref: resourcePath(resource), ownResource: resource.sharerId === reply.request.member!.id, csrfToken: reply.generateCsrf(), errors });
  }

  app.get('/resources/:id/remove', async (request, reply) => showRemoveForm(reply, await resourceToChange(deps, request.member!, idOf(request))));

  app.post('/resources/:id/remove', async (request, reply) => {
    const resource = await resourceInReach(deps, request.member!, idOf(request));
    const form = parseForm(ButtonForm, request.body);
    if (!form.ok) return showRemoveForm(reply.code(422), resource, form.errors);
    // Removed already (a double submit, or someone else first): staff are told so.
    const result = resource.removed ? 'already-removed' : await removeResource(deps, request.member!, resource);
    setFlash(request, result === 'removed' ? M.removed : M.alreadyRemoved);
    return redirectTo(reply, '/resources');
  });
};

export default resourcePageRoutes;
