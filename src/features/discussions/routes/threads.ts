import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { Forbidden, NotFound, RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formToken, formValues, parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { PAGE_MESSAGES, waitInWords } from '../../../lib/messages.js';
import { redirectTo } from '../../../lib/next-path.js';
import { mayStartThreads } from '../access.js';
import { DISCUSSION_MESSAGES } from '../messages.js';
import { findCategoryBySlug, type Category } from '../queries/categories.js';
import { findThread } from '../queries/threads.js';
import { CategoryParams, NewThreadForm, THREAD_LIMITS, ThreadParams } from '../schemas.js';
import { slugify } from '../slug.js';
import { startThread } from '../threads.js';
import { queryOf, threadPath } from './paths.js';

function showNewThreadForm(reply: FastifyReply, category: Category, values: Record<string, string> = {}, errors?: FieldErrors): FastifyReply {
  return reply.view('discussions/new-thread', {
    title: `Start a thread in ${category.name}`,
    category,
    csrfToken: reply.generateCsrf(),
    formToken: formToken.safeParse(values.form_token).data ?? randomUUID(),
    values,
    errors,
    limits: THREAD_LIMITS,
    titleHint: `${THREAD_LIMITS.titleMin} to ${THREAD_LIMITS.title} characters.`,
    bodyHint: `Markdown works: **bold**, _italic_, lists, links and > quotes. At most ${THREAD_LIMITS.body.toLocaleString('en-AU')} characters.`,
  });
}

const threadRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function categoryForStarting(request: { params: unknown; member: { id: number; role: 'member' | 'moderator' | 'administrator' } | null }): Promise<Category> {
    const { slug } = parseParams(CategoryParams, request.params);
    const category = await findCategoryBySlug(deps.db, slug, request.member!);
    if (!category) throw new NotFound();
    if (!mayStartThreads(request.member!, category)) throw new Forbidden(DISCUSSION_MESSAGES.cannotStartThread);
    return category;
  }

  app.get('/c/:slug/new', async (request, reply) => showNewThreadForm(reply, await categoryForStarting(request)));

  app.post('/c/:slug/new', async (request, reply) => {
    const category = await categoryForStarting(request);
    const form = parseForm(NewThreadForm, request.body);
    if (!form.ok) return showNewThreadForm(reply.code(422), category, form.values, form.errors);
    const result = await startThread(deps, request.member!, category, { title: form.data.title, body: form.data.body, formToken: form.data.form_token });
    switch (result.kind) {
      case 'forbidden':
        throw new Forbidden(DISCUSSION_MESSAGES.cannotStartThread);
      case 'rate-limited': {
        const limited = new RateLimited(result.retryAfterSeconds);
        return showNewThreadForm(reply.code(429).headers(limited.headers), category, formValues(request.body), { _form: DISCUSSION_MESSAGES.postingLimit(waitInWords(result.retryAfterSeconds)) });
      }
      case 'started':
        setFlash(request, DISCUSSION_MESSAGES.threadStarted);
        return redirectTo(reply, threadPath({ id: result.threadId, slug: slugify(form.data.title) }));
      case 'duplicate':
        return redirectTo(reply, `/t/${result.threadId}`);
      case 'stale-form': {
        // A fresh token: the spent one would be refused again.
        const { form_token: _spent, ...values } = formValues(request.body);
        return showNewThreadForm(reply.code(422), category, values, { _form: PAGE_MESSAGES.formExpired });
      }
    }
  });

  // The short address of a thread always works, and goes to the one with its slug.
  app.get('/t/:id', async (request, reply) => {
    const { id } = parseParams(ThreadParams, request.params);
    const thread = await findThread(deps.db, request.member!, id);
    if (!thread) throw new NotFound();
    return redirectTo(reply, `${threadPath(thread)}${queryOf(request.url)}`);
  });
};

export default threadRoutes;
