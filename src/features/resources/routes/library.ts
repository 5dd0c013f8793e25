import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { parseQuery } from '../../../lib/forms.js';
import { browseLibrary } from '../library.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import { LibraryQuery } from '../schemas.js';

const libraryRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/resources', async (request, reply) => {
    const query = parseQuery(LibraryQuery, request.query);
    const library = await browseLibrary(deps, request.member!, query);
    const page = library.pagination.page;
    return reply.view('resources/library', {
      title: page > 1 ? `Resource library (page ${page})` : 'Resource library',
      ...library,
      emptyMessage: library.filtered ? M.noResources : M.emptyLibrary,
    });
  });
};

export default libraryRoutes;
