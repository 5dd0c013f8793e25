import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import categoryRoutes from './categories.js';
import editRoutes from './edits.js';
import notificationRoutes from './notifications.js';
import postRoutes from './posts.js';
import reactionRoutes from './reactions.js';
import threadRoutes from './threads.js';
import watchingRoutes from './watching.js';

/** Discussions: every route is for signed-in members (the site's default access). */
const discussionRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, options) => {
  await app.register(categoryRoutes, options);
  await app.register(threadRoutes, options);
  await app.register(postRoutes, options);
  await app.register(reactionRoutes, options);
  await app.register(editRoutes, options);
  await app.register(notificationRoutes, options);
  await app.register(watchingRoutes, options);
};

export default discussionRoutes;
