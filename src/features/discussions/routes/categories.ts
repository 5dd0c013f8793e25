import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { parseParams, parseQuery } from '../../../lib/forms.js';
import { paginate } from '../../../lib/pagination.js';
import { mayStartThreads } from '../access.js';
import { DISCUSSION_MESSAGES } from '../messages.js';
import { findCategoryWithWatch, listCategories } from '../queries/categories.js';
import { listSiteWidePins, listThreadsInCategory, withSiteWidePinsFirst } from '../queries/threads.js';
import { CategoryParams, PageQuery, THREADS_PER_PAGE } from '../schemas.js';
import { markedWithinWindow, UNREAD_WINDOW_DAYS, unreadSince, unreadThreadsText } from '../unread.js';

const categoryRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/c', async (request, reply) => {
    const viewer = request.member!;
    const categories = await listCategories(deps.db, viewer, unreadSince(viewer.joinedAt, deps.now()));
    return reply.view('discussions/categories', {
      title: 'Discussions',
      categories: categories.map((category) => ({ ...category, unreadShown: unreadThreadsText(category.unreadThreads) })),
      unreadWindowDays: UNREAD_WINDOW_DAYS,
    });
  });

  app.get('/c/:slug', async (request, reply) => {
    const { slug } = parseParams(CategoryParams, request.params);
    const { page = 1 } = parseQuery(PageQuery, request.query);
    const viewer = request.member!;
    const category = await findCategoryWithWatch(deps.db, slug, viewer);
    if (!category) throw new NotFound();
    const pageCount = Math.max(1, Math.ceil(category.threadCount / THREADS_PER_PAGE));
    if (page > pageCount) throw new NotFound();
    const [pins, listed] = await Promise.all([listSiteWidePins(deps.db, viewer), listThreadsInCategory(deps.db, viewer, category.id, { limit: THREADS_PER_PAGE, offset: (page - 1) * THREADS_PER_PAGE })]);
    // Site-wide pins lead page 1; a later page leaves out those of this category, already shown.
    const threads = withSiteWidePinsFirst(page === 1 ? pins : [], listed.filter((thread) => page === 1 || !thread.pinnedSiteWide));
    return reply.view('discussions/category', {
      title: page > 1 ? `${category.name} (page ${page})` : category.name,
      category,
      threads: markedWithinWindow(threads, unreadSince(viewer.joinedAt, deps.now())),
      mayStart: mayStartThreads(viewer, category),
      emptyMessage: DISCUSSION_MESSAGES.noThreads,
      pagination: paginate(`/c/${category.slug}`, page, pageCount),
      watching: category.watching,
    });
  });
};

export default categoryRoutes;
