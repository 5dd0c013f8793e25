import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound, RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formToken, parseParams, parseQuery, type FieldErrors } from '../../../lib/forms.js';
import { excerpt, quoteAsMarkdown } from '../../../lib/markdown.js';
import { PAGE_MESSAGES, waitInWords } from '../../../lib/messages.js';
import { redirectTo } from '../../../lib/next-path.js';
import { paginate } from '../../../lib/pagination.js';
import { receiveForm } from '../../resources/files/upload.js';
import { isStaff } from '../access.js';
import { attachmentFields, parsePostForm } from '../attachments.js';
import { DISCUSSION_MESSAGES } from '../messages.js';
import { findFirstPostAfter, findPostLocation, type PostLocation } from '../queries/posts.js';
import { findThread, type Thread } from '../queries/threads.js';
import { replyToThread } from '../replies.js';
import { PostParams, ReplyForm, THREAD_LIMITS, ThreadParams, ThreadQuery } from '../schemas.js';
import { loadThreadPage, pageCountOf } from '../thread-page.js';
import { postPath, queryOf, redirectToMergeTarget, threadPath } from './paths.js';

interface ReplyFormState {
  values?: Record<string, string>;
  errors?: FieldErrors;
  /** The post the reply answers, when "Reply" or "Quote" on a post opened the form. */
  replyTo?: PostLocation;
  /** Files were sent with a form shown again: the browser cannot keep them. */
  filesDropped?: boolean;
}

const REPLY_TO_EXCERPT_CHARS = 200;

async function showThread(deps: Deps, request: FastifyRequest, reply: FastifyReply, thread: Thread, page: number, view: 'flat' | 'threaded', form: ReplyFormState = {}): Promise<FastifyReply> {
  const viewer = request.member!;
  const loaded = await loadThreadPage(deps, viewer, thread, page, view);
  if (!loaded) throw new NotFound();
  const values = form.values ?? {};
  const query: Record<string, string> = view === 'threaded' ? { view } : {};
  return reply.view('discussions/thread', {
    title: page > 1 ? `${thread.title} (page ${page})` : thread.title,
    thread,
    posts: loaded.posts,
    answer: loaded.answer,
    view,
    threaded: view === 'threaded',
    threadHref: threadPath(thread),
    flatHref: threadPath(thread, page),
    threadedHref: `${threadPath(thread)}?view=threaded`,
    pagination: paginate(threadPath(thread), page, loaded.pageCount, query),
    // Reply and Quote on a post are links relative to the page, keeping its view and page: a
    // GET shows the page at the thread's own address, a reply form sent back is at /t/:id/reply.
    postLinkBase: request.method === 'GET' ? '' : threadPath(thread),
    keptQuery: [...(view === 'threaded' ? [{ name: 'view', value: view }] : []), ...(page > 1 ? [{ name: 'page', value: page }] : [])],
    isStaff: isStaff(viewer.role),
    viewerId: viewer.id,
    csrfToken: reply.generateCsrf(),
    formToken: formToken.safeParse(values.form_token).data ?? randomUUID(),
    values,
    errors: form.errors,
    replyTo: form.replyTo && { id: form.replyTo.id, authorName: form.replyTo.authorName, excerpt: excerpt(form.replyTo.bodySource, REPLY_TO_EXCERPT_CHARS), href: postPath(thread, form.replyTo) },
    limits: THREAD_LIMITS,
    replyHint: `Markdown works. At most ${THREAD_LIMITS.body.toLocaleString('en-AU')} characters.`,
    attachments: attachmentFields(deps.config.uploadMaxFileBytes, values, form.errors, form.filesDropped),
  });
}

const postRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function threadFrom(request: FastifyRequest): Promise<Thread> {
    const { id } = parseParams(ThreadParams, request.params);
    const thread = await findThread(deps.db, request.member!, id);
    if (!thread) throw new NotFound();
    return thread;
  }

  /** A post named by "Reply" or "Quote": only a live one in this thread. */
  async function postInThread(thread: Thread, request: FastifyRequest, postId: number | undefined): Promise<PostLocation | undefined> {
    if (postId === undefined) return undefined;
    const post = await findPostLocation(deps.db, request.member!, postId);
    if (!post || post.threadId !== thread.id || post.deleted || post.hidden) throw new NotFound();
    return post;
  }

  app.get('/t/:id/:slug', async (request, reply) => {
    const { id } = parseParams(ThreadParams, request.params);
    const thread = await findThread(deps.db, request.member!, id);
    // A merged thread's address leads to the thread it joined.
    if (!thread) return redirectToMergeTarget(deps, reply, id);
    const query = parseQuery(ThreadQuery, request.query);
    const { slug } = request.params as { slug: string };
    if (slug !== thread.slug) return redirectTo(reply, `${threadPath(thread)}${queryOf(request.url)}`);
    const quoted = await postInThread(thread, request, query.quote);
    const replyTo = quoted ?? (await postInThread(thread, request, query.reply_to));
    const values: Record<string, string> = quoted ? { body: quoteAsMarkdown(quoted.authorName, quoted.bodySource) } : {};
    return showThread(deps, request, reply, thread, query.page ?? 1, query.view ?? 'flat', { values, replyTo });
  });

  // Multipart, for its files (a client may post it urlencoded without them). The thread is
  // looked up first: a member who may not see it uploads nothing.
  app.post('/t/:id/reply', { config: { multipartForm: true } }, async (request, reply) => {
    const thread = await threadFrom(request);
    const received = await receiveForm(request);
    try {
      const lastPage = pageCountOf(thread);
      const filesDropped = received.files.length + received.problems.length > 0;
      const form = parsePostForm(ReplyForm, received);
      if (!form.ok) return showThread(deps, request, reply.code(form.status), thread, lastPage, 'flat', { values: form.values, errors: form.errors, filesDropped });
      const result = await replyToThread(deps, request.member!, thread, { body: form.data.body, replyToPostId: form.data.reply_to, formToken: form.data.form_token, files: form.files });
      const keep = { values: form.values, filesDropped };
      switch (result.kind) {
        case 'posted':
          setFlash(request, result.held ? DISCUSSION_MESSAGES.postHeld : DISCUSSION_MESSAGES.replyPosted);
          return redirectTo(reply, `/p/${result.postId}`);
        case 'duplicate':
          return redirectTo(reply, `/p/${result.postId}`);
        case 'stale-form': {
          // A fresh token: the spent one would be refused again.
          const { form_token: _spent, ...values } = keep.values;
          return showThread(deps, request, reply.code(422), thread, lastPage, 'flat', { values, errors: { _form: PAGE_MESSAGES.formExpired }, filesDropped });
        }
        case 'gone':
          throw new NotFound();
        case 'locked':
          return showThread(deps, request, reply.code(403), thread, lastPage, 'flat', { ...keep, errors: { _form: DISCUSSION_MESSAGES.threadLocked } });
        case 'bad-reply-to':
          return showThread(deps, request, reply.code(422), thread, lastPage, 'flat', { ...keep, values: { ...keep.values, reply_to: '' }, errors: { _form: DISCUSSION_MESSAGES.replyToRefused } });
        case 'rate-limited': {
          const limited = new RateLimited(result.retryAfterSeconds);
          return showThread(deps, request, reply.code(429).headers(limited.headers), thread, lastPage, 'flat', { ...keep, errors: { _form: DISCUSSION_MESSAGES.postingLimit(waitInWords(result.retryAfterSeconds)) } });
        }
      }
    } finally {
      await received.discard();
    }
  });

  // A permalink: the page of its thread that shows the post, at its anchor.
  app.get('/p/:id', async (request, reply) => {
    const { id } = parseParams(PostParams, request.params);
    const post = await findPostLocation(deps.db, request.member!, id);
    if (!post) throw new NotFound();
    return redirectTo(reply, postPath({ id: post.threadId, slug: post.threadSlug }, post));
  });

  app.get('/t/:id/unread', async (request, reply) => {
    const thread = await threadFrom(request);
    const unread = await findFirstPostAfter(deps.db, thread.id, thread.lastReadPosition ?? 0);
    // Nothing unread: the end of the thread, where the next reply will appear.
    return redirectTo(reply, unread ? postPath(thread, unread) : `${threadPath(thread, pageCountOf(thread))}#reply`);
  });
};

export default postRoutes;
