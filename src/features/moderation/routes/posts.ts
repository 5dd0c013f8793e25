import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest, NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { ButtonForm } from '../../auth/schemas.js';
import { DISCUSSION_MESSAGES } from '../../discussions/messages.js';
import type { PostToChange } from '../../discussions/queries/edits.js';
import { showEditForm, submitPostEdit, type EditAs } from '../../discussions/routes/edits.js';
import { threadPath } from '../../discussions/routes/paths.js';
import { deletePostAsModerator, editPostAsModerator, hidePost, keepItem, postToModerate, restorePost, unhidePost } from '../actions.js';
import { MODERATION_MESSAGES as M } from '../messages.js';
import { DeleteForm, MODERATION_LIMITS, HideForm, ItemParams } from '../schemas.js';

/** After an action: back to the queue when it came from there, else to the post. */
function backTo(request: FastifyRequest, postId: number): string {
  return (request.body as Record<string, unknown> | undefined)?.from_queue === undefined ? `/p/${postId}` : '/mod';
}

/** The queue's forms say where they came from; the field is not part of any action's input. */
function withoutFrom(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const { from_queue: _from, ...rest } = body as Record<string, unknown>;
  return rest;
}

function showReasonForm(reply: FastifyReply, post: PostToChange, page: { action: 'hide' | 'delete'; values?: Record<string, string>; errors?: FieldErrors; fromQueue?: boolean }): FastifyReply {
  const hiding = page.action === 'hide';
  return reply.view('moderation/post-action', {
    title: hiding ? 'Hide this post?' : 'Delete this post?',
    post,
    postHref: `/p/${post.id}`,
    threadHref: threadPath({ id: post.threadId, slug: post.threadSlug }),
    csrfToken: reply.generateCsrf(),
    formAction: `/mod/posts/${post.id}/${page.action}`,
    hiding,
    reasonLabel: hiding ? 'Reason shown to the author' : 'Reason for the log',
    fromQueue: page.fromQueue,
    values: page.values ?? {},
    errors: page.errors,
    limits: MODERATION_LIMITS,
    reasonHint: hiding ? `The author sees it on their hidden post. At most ${MODERATION_LIMITS.reason.toLocaleString('en-AU')} characters.` : `Optional; kept in the moderation log. At most ${MODERATION_LIMITS.reason.toLocaleString('en-AU')} characters.`,
  });
}

/** The discussions edit form, posted to the moderator's route and saying whose edit it is. */
const moderatorEdit = (post: PostToChange): EditAs => ({
  title: 'Edit this post as a moderator',
  formAction: `/mod/posts/${post.id}/edit`,
  editedMessage: M.postEdited,
  bodyHintExtra: 'The text it replaces is kept in the post’s versions, marked as edited by a moderator.',
});

/** A moderator's actions on one post, from the thread page and the queue: each checks the post itself. */
const postActionRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const postOf = async (request: FastifyRequest) => postToModerate(deps, request.member!, parseParams(ItemParams, request.params).id);

  app.post('/mod/posts/:id/keep', async (request, reply) => {
    const post = await postOf(request);
    const form = parseForm(ButtonForm, withoutFrom(request.body));
    if (!form.ok) throw new BadRequest(M.unexpectedFields);
    const result = await keepItem(deps, request.member!, { kind: 'post', id: post.id });
    setFlash(request, result === 'kept' ? M.kept : M.nothingToReview);
    return redirectTo(reply, '/mod');
  });

  app.get('/mod/posts/:id/hide', async (request, reply) => {
    const post = await postOf(request);
    if (post.deleted) throw new NotFound(DISCUSSION_MESSAGES.postWasDeleted);
    return showReasonForm(reply, post, { action: 'hide' });
  });

  app.post('/mod/posts/:id/hide', async (request, reply) => {
    const post = await postOf(request);
    if (post.deleted) throw new NotFound(DISCUSSION_MESSAGES.postWasDeleted);
    const form = parseForm(HideForm, withoutFrom(request.body));
    if (!form.ok) return showReasonForm(reply.code(422), post, { action: 'hide', values: form.values, errors: form.errors, fromQueue: backTo(request, post.id) === '/mod' });
    const result = await hidePost(deps, request.member!, post.id, form.data.reason);
    setFlash(request, result === 'hidden' ? M.postHidden : M.postAlreadyHidden);
    return redirectTo(reply, backTo(request, post.id));
  });

  app.post('/mod/posts/:id/unhide', async (request, reply) => {
    const post = await postOf(request);
    const form = parseForm(ButtonForm, request.body);
    if (!form.ok) throw new BadRequest(M.unexpectedFields);
    const result = await unhidePost(deps, request.member!, post.id);
    setFlash(request, result === 'shown' ? M.postUnhidden : M.postNotHidden);
    return redirectTo(reply, `/p/${post.id}`);
  });

  app.get('/mod/posts/:id/delete', async (request, reply) => {
    const post = await postOf(request);
    if (post.deleted) return redirectTo(reply, `/p/${post.id}`);
    return showReasonForm(reply, post, { action: 'delete' });
  });

  app.post('/mod/posts/:id/delete', async (request, reply) => {
    const post = await postOf(request);
    const form = parseForm(DeleteForm, withoutFrom(request.body));
    if (!form.ok) return showReasonForm(reply.code(422), post, { action: 'delete', values: form.values, errors: form.errors, fromQueue: backTo(request, post.id) === '/mod' });
    const result = await deletePostAsModerator(deps, request.member!, post, form.data.reason);
    setFlash(request, result === 'deleted' ? M.postDeleted : M.postAlreadyDeleted);
    return redirectTo(reply, backTo(request, post.id));
  });

  app.post('/mod/posts/:id/restore', async (request, reply) => {
    const post = await postOf(request);
    const form = parseForm(ButtonForm, request.body);
    if (!form.ok) throw new BadRequest(M.unexpectedFields);
    const result = await restorePost(deps, request.member!, post.id);
    setFlash(request, result === 'restored' ? M.postRestored : M.postNotDeleted);
    return redirectTo(reply, `/p/${post.id}`);
  });

  app.get('/mod/posts/:id/edit', async (request, reply) => {
    const post = await postOf(request);
    if (post.deleted) throw new NotFound(DISCUSSION_MESSAGES.postWasDeleted);
    return showEditForm(reply, post, { version: post.version, values: { body: post.bodySource, title: post.threadTitle } }, moderatorEdit(post));
  });

  app.post('/mod/posts/:id/edit', async (request, reply) => {
    const post = await postOf(request);
    return submitPostEdit(request, reply, post, (input) => editPostAsModerator(deps, request.member!, post, input), moderatorEdit(post));
  });
};

export default postActionRoutes;
