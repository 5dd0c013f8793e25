import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { parseQuery } from '../../../lib/forms.js';
import { paginate } from '../../../lib/pagination.js';
import { MODERATION_MESSAGES as M } from '../messages.js';
import { loadQueue } from '../queue.js';
import { HIDE_LIMITS, QueueQuery } from '../schemas.js';

/** GET /mod: the review queue, flagged items oldest first. */
const queueRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/mod', async (request, reply) => {
    const { page = 1 } = parseQuery(QueueQuery, request.query);
    const queue = await loadQueue(deps, page);
    if (!queue) throw new NotFound();
    return reply.view('moderation/queue', {
      title: page > 1 ? `Review queue (page ${page})` : 'Review queue',
      items: queue.items,
      emptyMessage: M.queueEmpty,
      csrfToken: reply.generateCsrf(),
      limits: HIDE_LIMITS,
      pagination: paginate('/mod', page, queue.pageCount),
    });
  });
};

export default queueRoutes;
