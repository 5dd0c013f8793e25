import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound, RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formValues, parseForm, parseParams, parseQuery, type FieldErrors } from '../../../lib/forms.js';
import { waitInWords } from '../../../lib/messages.js';
import { redirectTo } from '../../../lib/next-path.js';
import { paginate } from '../../../lib/pagination.js';
import { ButtonForm } from '../../auth/schemas.js';
import { deletePost, editPost, editsTitle, loadRevisions, postToChange, postToEdit, type EditResult } from '../edits.js';
import { DISCUSSION_MESSAGES } from '../messages.js';
import { hasLiveReplies, type PostToChange } from '../queries/edits.js';
import { EditFirstPostForm, EditReplyForm, PageQuery, PostParams, THREAD_LIMITS } from '../schemas.js';
import { threadPath } from './paths.js';

interface EditFormState {
  /** The version the form saves over: the one it was opened on, or the current one after a conflict. */
  version: number;
  values: Record<string, string>;
  errors?: FieldErrors;
  /** After a conflict: the post as someone else saved it, shown beside the editor's own text. */
  current?: PostToChange;
}

/** Whose edit the form makes: the author's own (the default), or a moderator's, posted to its /mod route. */
export interface EditAs {
  title: string;
  formAction: string;
  editedMessage: string;
  bodyHintExtra: string;
}

export function showEditForm(reply: FastifyReply, post: PostToChange, form: EditFormState, as?: EditAs): FastifyReply {
  const firstPost = post.position === 1;
  return reply.view('discussions/edit-post', {
    title: as?.title ?? (firstPost ? 'Edit your post' : 'Edit your reply'),
    formAction: as?.formAction,
    post,
    postHref: `/p/${post.id}`,
    threadHref: threadPath({ id: post.threadId, slug: post.threadSlug }),
    csrfToken: reply.generateCsrf(),
    version: form.version,
    values: form.values,
    errors: form.errors,
    current: form.current && { bodySource: form.current.bodySource, title: editsTitle(form.current) ? form.current.threadTitle : undefined },
    editsTitle: editsTitle(post),
    bodyLabel: firstPost ? 'Message' : 'Reply',
    limits: THREAD_LIMITS,
    titleHint: `${THREAD_LIMITS.titleMin} to ${THREAD_LIMITS.title} characters.`,
    bodyHint: `Markdown works. At most ${THREAD_LIMITS.body.toLocaleString('en-AU')} characters.${as ? ` ${as.bodyHintExtra}` : ''}`,
  });
}

/**
 * Takes an edit form for `post` and answers it: 422 with the form kept, the edit saved (303 to
 * the post), 409 beside the text someone else saved first, or the post gone. The author's
 * route and a moderator's share it; `save` is the one that differs.
 */
export async function submitPostEdit(
  request: FastifyRequest,
  reply: FastifyReply,
  post: PostToChange,
  save: (input: { version: number; body: string; title?: string }) => Promise<EditResult>,
  as?: EditAs,
): Promise<FastifyReply> {
  if (post.deleted) return showGone(reply, post, formValues(request.body));
  const form = editsTitle(post) ? parseForm(EditFirstPostForm, request.body) : parseForm(EditReplyForm, request.body);
  if (!form.ok) {
    // The version is a hidden field: its message belongs to the form, and the form goes back
    // with the version it was opened on, or the current one if that did not survive the trip.
    const { version: versionError, ...errors } = form.errors;
    const version = versionError === undefined ? Number(form.values.version) : post.version;
    return showEditForm(reply.code(422), post, { version, values: form.values, errors: versionError === undefined ? errors : { _form: versionError, ...errors } }, as);
  }
  const result = await save(form.data);
  const kept = { version: form.data.version, values: formValues(request.body) };
  switch (result.kind) {
    case 'edited':
      setFlash(request, as?.editedMessage ?? DISCUSSION_MESSAGES.postEdited);
      return redirectTo(reply, `/p/${post.id}`);
    case 'unchanged':
      setFlash(request, DISCUSSION_MESSAGES.nothingChanged);
      return redirectTo(reply, `/p/${post.id}`);
    case 'conflict':
      return showEditForm(reply.code(409), post, { ...kept, version: result.current.version, current: result.current, errors: { _form: DISCUSSION_MESSAGES.editConflict } }, as);
    case 'gone':
      return showGone(reply, post, kept.values);
    case 'rate-limited': {
      const limited = new RateLimited(result.retryAfterSeconds);
      return showEditForm(reply.code(429).headers(limited.headers), post, { ...kept, errors: { _form: DISCUSSION_MESSAGES.postingLimit(waitInWords(result.retryAfterSeconds)) } }, as);
    }
  }
}

async function showDeleteForm(deps: Deps, reply: FastifyReply, post: PostToChange, errors?: FieldErrors): Promise<FastifyReply> {
  const takesThread = post.position === 1 && !(await hasLiveReplies(deps.db, post.threadId));
  return reply.view('discussions/delete-post', {
    title: takesThread ? 'Delete your thread?' : 'Delete your post?',
    post,
    postHref: `/p/${post.id}`,
    threadHref: threadPath({ id: post.threadId, slug: post.threadSlug }),
    csrfToken: reply.generateCsrf(),
    firstPost: post.position === 1,
    takesThread,
    errors,
  });
}

/** Where a deleted post leaves the browser: its placeholder, or its category if the thread went with it. */
/** Deleted while they typed (in another tab): what they wrote is shown back, not lost with the post. */
function showGone(reply: FastifyReply, post: PostToChange, values: Record<string, string>): FastifyReply {
  return reply.code(404).view('discussions/post-gone', { title: 'This post was deleted', message: DISCUSSION_MESSAGES.postWasDeleted, values, categorySlug: post.categorySlug, categoryName: post.categoryName });
}

function afterDeletion(post: PostToChange, threadDeleted: boolean): string {
  return threadDeleted ? `/c/${post.categorySlug}` : `/p/${post.id}`;
}

const editRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/p/:id/edit', async (request, reply) => {
    const { id } = parseParams(PostParams, request.params);
    const post = await postToEdit(deps, request.member!, id);
    return showEditForm(reply, post, { version: post.version, values: { body: post.bodySource, title: post.threadTitle } });
  });

  app.post('/p/:id/edit', async (request, reply) => {
    const { id } = parseParams(PostParams, request.params);
    const post = await postToChange(deps, request.member!, id);
    return submitPostEdit(request, reply, post, (input) => editPost(deps, request.member!, post, input));
  });

  app.get('/p/:id/delete', async (request, reply) => {
    const { id } = parseParams(PostParams, request.params);
    const post = await postToChange(deps, request.member!, id);
    if (post.deleted) return redirectTo(reply, afterDeletion(post, post.threadDeleted));
    return showDeleteForm(deps, reply, post);
  });

  app.post('/p/:id/delete', async (request, reply) => {
    const { id } = parseParams(PostParams, request.params);
    const post = await postToChange(deps, request.member!, id);
    const form = parseForm(ButtonForm, request.body);
    if (!form.ok) return showDeleteForm(deps, reply.code(422), post, form.errors);
    const result = await deletePost(deps, request.member!, post);
    switch (result.kind) {
      case 'post-deleted':
        setFlash(request, DISCUSSION_MESSAGES.postDeleted);
        return redirectTo(reply, afterDeletion(post, false));
      case 'thread-deleted':
        setFlash(request, DISCUSSION_MESSAGES.threadDeleted);
        return redirectTo(reply, afterDeletion(post, true));
      case 'already-deleted':
        return redirectTo(reply, afterDeletion(post, result.threadDeleted));
    }
  });

  app.get('/p/:id/revisions', async (request, reply) => {
    const { id } = parseParams(PostParams, request.params);
    const { page = 1 } = parseQuery(PageQuery, request.query);
    const loaded = await loadRevisions(deps, request.member!, id, page);
    if (!loaded) throw new NotFound();
    const { post } = loaded;
    return reply.view('discussions/revisions', {
      title: page > 1 ? `Versions of a post (page ${page})` : 'Versions of a post',
      post,
      postHref: `/p/${post.id}`,
      threadHref: threadPath({ id: post.threadId, slug: post.threadSlug }),
      versions: loaded.versions,
      titles: loaded.titles,
      pagination: paginate(`/p/${post.id}/revisions`, page, loaded.pageCount),
    });
  });
};

export default editRoutes;
