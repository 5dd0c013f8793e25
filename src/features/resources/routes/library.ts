import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { parseQuery } from '../../../lib/forms.js';
import { LibraryCache } from '../library-cache.js';
import { browseLibrary } from '../library.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import { LibraryQuery } from '../schemas.js';

const libraryRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // This instance's: another instance's changes reach it through the library's version.
  const cache = new LibraryCache();

  app.get('/resources', async (request, reply) => {
    const query = parseQuery(LibraryQuery, request.query);
    const library = await browseLibrary(deps, cache, request.member!, query);
    const page = library.pagination.page;
    return reply.view('resources/library', {
      title: page > 1 ? `Resource library (page ${page})` : 'Resource library',
      ...library,
      emptyMessage: library.filtered ? M.noResources : M.emptyLibrary,
    });
  });
};

export default libraryRoutes;
