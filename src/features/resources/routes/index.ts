import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import editingRoutes from './editing.js';
import libraryRoutes from './library.js';
import resourcePageRoutes from './resource.js';
import sharingRoutes from './sharing.js';

/** The resource library: every route is for signed-in members (the site's default access). */
const resourceRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, options) => {
  await app.register(libraryRoutes, options);
  await app.register(sharingRoutes, options);
  await app.register(resourcePageRoutes, options);
  await app.register(editingRoutes, options);
};

export default resourceRoutes;
