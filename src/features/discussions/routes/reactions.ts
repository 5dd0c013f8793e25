import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { HttpError, NotFound, RateLimited, type ErrorPageExtras } from '../../../lib/errors.js';
import { parseForm, parseParams } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { setAnswer } from '../answers.js';
import { DISCUSSION_MESSAGES } from '../messages.js';
import { findPostLocation, type PostLocation } from '../queries/posts.js';
import { findThread } from '../queries/threads.js';
import { setHelpful } from '../reactions.js';
import { AnswerForm, HelpfulForm, PostParams } from '../schemas.js';
import { postPath } from './paths.js';

/** "Helpful" and the thread's answer: buttons on a post, each POST → 303 back to the post. */
const reactionRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function postFrom(request: FastifyRequest): Promise<PostLocation> {
    const { id } = parseParams(PostParams, request.params);
    const post = await findPostLocation(deps.db, request.member!, id);
    if (!post) throw new NotFound();
    return post;
  }

  const hrefOf = (post: PostLocation) => postPath({ id: post.threadId, slug: post.threadSlug }, post);
  // A refusal's page leads back to the post the button was on.
  const backTo = (post: PostLocation): ErrorPageExtras => ({ links: [{ href: hrefOf(post), text: DISCUSSION_MESSAGES.backToPost }] });
  const refused = (status: number, message: string, post: PostLocation) => new HttpError(status, message, {}, backTo(post));

  app.post('/p/:id/helpful', async (request, reply) => {
    const post = await postFrom(request);
    const form = parseForm(HelpfulForm, request.body);
    if (!form.ok) throw refused(422, form.errors.helpful ?? form.errors._form ?? DISCUSSION_MESSAGES.badHelpful, post);
    const result = await setHelpful(deps, request.member!, post, form.data.helpful === 'yes');
    switch (result.kind) {
      case 'done':
        return redirectTo(reply, hrefOf(post));
      case 'own-post':
        throw refused(403, DISCUSSION_MESSAGES.helpfulOwnPost, post);
      case 'gone':
        throw refused(404, DISCUSSION_MESSAGES.postGone, post);
      case 'rate-limited':
        throw new RateLimited(result.retryAfterSeconds, DISCUSSION_MESSAGES.reactionsLimited, backTo(post));
    }
  });

  app.post('/p/:id/answer', async (request, reply) => {
    const post = await postFrom(request);
    const thread = await findThread(deps.db, request.member!, post.threadId);
    if (!thread) throw new NotFound();
    const form = parseForm(AnswerForm, request.body);
    if (!form.ok) throw refused(422, form.errors.answer ?? form.errors._form ?? DISCUSSION_MESSAGES.badAnswer, post);
    const result = await setAnswer(deps, request.member!, thread, post, form.data.answer === 'yes');
    switch (result.kind) {
      case 'done':
        return redirectTo(reply, hrefOf(post));
      case 'forbidden':
        throw refused(403, DISCUSSION_MESSAGES.answerNotYours, post);
      case 'conflict':
        throw refused(409, DISCUSSION_MESSAGES.answerConflict, post);
      case 'first-post':
        throw refused(422, DISCUSSION_MESSAGES.firstPostNotAnswer, post);
      case 'gone':
        throw refused(404, DISCUSSION_MESSAGES.postGone, post);
    }
  });
};

export default reactionRoutes;
