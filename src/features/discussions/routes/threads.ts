import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { Forbidden, NotFound, RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formToken, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { PAGE_MESSAGES, waitInWords } from '../../../lib/messages.js';
import { redirectTo } from '../../../lib/next-path.js';
import { receiveForm } from '../../resources/files/upload.js';
import { mayStartThreads } from '../access.js';
import { attachmentFields, parsePostForm } from '../attachments.js';
import { DISCUSSION_MESSAGES } from '../messages.js';
import { findCategoryBySlug, type Category } from '../queries/categories.js';
import { findThread } from '../queries/threads.js';
import { CategoryParams, NewThreadForm, THREAD_LIMITS, ThreadParams } from '../schemas.js';
import { slugify } from '../slug.js';
import { startThread } from '../threads.js';
import { queryOf, redirectToMergeTarget, threadPath } from './paths.js';

interface NewThreadFormState {
  values?: Record<string, string>;
  errors?: FieldErrors;
  /** Files were sent with a form shown again: the browser cannot keep them. */
  filesDropped?: boolean;
}

function showNewThreadForm(deps: Deps, reply: FastifyReply, category: Category, { values = {}, errors, filesDropped = false }: NewThreadFormState = {}): FastifyReply {
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
    attachments: attachmentFields(deps.config.uploadMaxFileBytes, values, errors, filesDropped),
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

  app.get('/c/:slug/new', async (request, reply) => showNewThreadForm(deps, reply, await categoryForStarting(request)));

  // Multipart, for its files (a client may post it urlencoded without them). The category is
  // looked up first: a member who may not start a thread there uploads nothing.
  app.post('/c/:slug/new', { config: { multipartForm: true } }, async (request, reply) => {
    const category = await categoryForStarting(request);
    const received = await receiveForm(request);
    try {
      const filesDropped = received.files.length + received.problems.length > 0;
      const form = parsePostForm(NewThreadForm, received);
      if (!form.ok) return showNewThreadForm(deps, reply.code(form.status), category, { values: form.values, errors: form.errors, filesDropped });
      const result = await startThread(deps, request.member!, category, { title: form.data.title, body: form.data.body, formToken: form.data.form_token, files: form.files });
      switch (result.kind) {
        case 'forbidden':
          throw new Forbidden(DISCUSSION_MESSAGES.cannotStartThread);
        case 'rate-limited': {
          const limited = new RateLimited(result.retryAfterSeconds);
          return showNewThreadForm(deps, reply.code(429).headers(limited.headers), category, { values: form.values, errors: { _form: DISCUSSION_MESSAGES.postingLimit(waitInWords(result.retryAfterSeconds)) }, filesDropped });
        }
        case 'started':
          setFlash(request, result.held ? DISCUSSION_MESSAGES.postHeld : DISCUSSION_MESSAGES.threadStarted);
          return redirectTo(reply, threadPath({ id: result.threadId, slug: slugify(form.data.title) }));
        case 'duplicate':
          return redirectTo(reply, `/t/${result.threadId}`);
        case 'stale-form': {
          // A fresh token: the spent one would be refused again.
          const { form_token: _spent, ...values } = form.values;
          return showNewThreadForm(deps, reply.code(422), category, { values, errors: { _form: PAGE_MESSAGES.formExpired }, filesDropped });
        }
      }
    } finally {
      await received.discard();
    }
  });

  // The short address of a thread always works, and goes to the one with its slug.
  app.get('/t/:id', async (request, reply) => {
    const { id } = parseParams(ThreadParams, request.params);
    const thread = await findThread(deps.db, request.member!, id);
    if (!thread) return redirectToMergeTarget(deps, reply, id);
    return redirectTo(reply, `${threadPath(thread)}${queryOf(request.url)}`);
  });
};

export default threadRoutes;
