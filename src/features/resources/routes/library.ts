import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { parseQuery } from '../../../lib/forms.js';
import { isStaff } from '../../discussions/access.js';
import { LibraryCache } from '../library-cache.js';
import { browseLibrary } from '../library.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import { findLibraryVersion } from '../queries/library.js';
import { LibraryQuery } from '../schemas.js';

const libraryRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // This instance's: another instance's changes reach it through the library's version.
  const cache = new LibraryCache();

  app.get('/resources', async (request, reply) => {
    const query = parseQuery(LibraryQuery, request.query);
    const viewer = request.member!;
    // What a view shows depends on these alone: staff see removed resources, and times are in the viewer's zone.
    const key = JSON.stringify([isStaff(viewer.role), viewer.timeZone, query]);
    const now = deps.now().getTime();
    const kept = cache.get(key, now);
    if (kept && kept.version === (await findLibraryVersion(deps.db))) return reply.viewRendered(kept.bodyHtml, { title: kept.title });
    const library = await browseLibrary(deps, viewer, query);
    const page = library.pagination.page;
    const title = page > 1 ? `Resource library (page ${page})` : 'Resource library';
    const bodyHtml = reply.renderShared('resources/library', { ...library, emptyMessage: library.filtered ? M.noResources : M.emptyLibrary });
    cache.set(key, { version: library.version, title, bodyHtml }, now);
    return reply.viewRendered(bodyHtml, { title });
  });
};

export default libraryRoutes;
