import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { parseQuery } from '../../../lib/forms.js';
import { LibraryCache } from '../library-cache.js';
import { libraryPage } from '../library.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import { LibraryQuery } from '../schemas.js';

const libraryRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // This instance's: another instance's changes reach it through the library's version.
  const cache = new LibraryCache();

  app.get('/resources', async (request, reply) => {
    const query = parseQuery(LibraryQuery, request.query);
    // The key holds the zone the page is shown in: the member's, or the site's as it is now.
    const viewer = { ...request.member!, timeZone: request.member!.timeZone ?? deps.settings.current.TIME_ZONE };
    const page = await libraryPage(deps, cache, viewer, query, (library) =>
      reply.renderShared('resources/library', { ...library, emptyMessage: library.filtered ? M.noResources : M.emptyLibrary }),
    );
    return reply.viewRendered(page.bodyHtml, { title: page.title });
  });
};

export default libraryRoutes;
