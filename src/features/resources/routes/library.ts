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
    const page = await libraryPage(deps, cache, request.member!, query, (library) =>
      reply.renderShared('resources/library', { ...library, emptyMessage: library.filtered ? M.noResources : M.emptyLibrary }),
    );
    return reply.viewRendered(page.bodyHtml, { title: page.title });
  });
};

export default libraryRoutes;
