import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest, NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams, parseQuery } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { DISCUSSION_MESSAGES } from '../messages.js';
import { findCategoryBySlug } from '../queries/categories.js';
import { setCategoryWatch, setThreadWatch } from '../queries/reading.js';
import { findThread } from '../queries/threads.js';
import { CategoryParams, PageQuery, ThreadParams, WatchCategoryForm, WatchThreadForm } from '../schemas.js';
import { pageCountOf } from '../thread-page.js';
import { threadPath } from './paths.js';

const THREAD_WATCH_NOTICES = {
  watching: DISCUSSION_MESSAGES.threadWatched,
  muted: DISCUSSION_MESSAGES.threadMuted,
  none: DISCUSSION_MESSAGES.threadUnwatched,
} as const;

/**
 * Watching and muting. The forms are buttons, each sending one level, so a level that does not
 * parse did not come from them: a 400 page saying what the choices are, and nothing written.
 */
const watchingRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.post('/t/:id/watch', async (request, reply) => {
    const { id } = parseParams(ThreadParams, request.params);
    // The page of the thread the form was on, to go back to.
    const { page = 1 } = parseQuery(PageQuery, request.query);
    const thread = await findThread(deps.db, request.member!, id);
    if (!thread) throw new NotFound();
    const form = parseForm(WatchThreadForm, request.body);
    if (!form.ok) throw new BadRequest(form.errors.level ?? form.errors._form);
    await setThreadWatch(deps.db, request.member!.id, thread.id, form.data.level);
    setFlash(request, THREAD_WATCH_NOTICES[form.data.level]);
    return redirectTo(reply, `${threadPath(thread, Math.min(page, pageCountOf(thread)))}#watch`);
  });

  app.post('/c/:slug/watch', async (request, reply) => {
    const { slug } = parseParams(CategoryParams, request.params);
    const category = await findCategoryBySlug(deps.db, slug, request.member!);
    if (!category) throw new NotFound();
    const form = parseForm(WatchCategoryForm, request.body);
    if (!form.ok) throw new BadRequest(form.errors.level ?? form.errors._form);
    const watching = form.data.level === 'watching';
    await setCategoryWatch(deps.db, request.member!.id, category.id, watching);
    setFlash(request, watching ? DISCUSSION_MESSAGES.categoryWatched : DISCUSSION_MESSAGES.categoryUnwatched);
    return redirectTo(reply, `/c/${category.slug}`);
  });
};

export default watchingRoutes;
