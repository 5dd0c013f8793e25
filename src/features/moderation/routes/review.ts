import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import postActionRoutes from './posts.js';
import queueRoutes from './queue.js';
import resourceActionRoutes from './resources.js';

/** The review queue and the actions on flagged posts and resources (inside the /mod scope). */
const reviewRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, options) => {
  await app.register(queueRoutes, options);
  await app.register(postActionRoutes, options);
  await app.register(resourceActionRoutes, options);
};

export default reviewRoutes;
