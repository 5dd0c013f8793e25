import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { excerpt } from '../../../lib/markdown.js';
import type { Viewer } from '../../discussions/access.js';
import { threadPath } from '../../discussions/routes/paths.js';
import { THREAD_LIMITS, ThreadParams } from '../../discussions/schemas.js';
import { findModeratedMember } from '../queries/members.js';
import { listPostsForSplit } from '../queries/thread-posts.js';
import { findThreadForModerator, listCategoriesForModerator, type ThreadUnderAction } from '../queries/threads.js';
import { actOnThread, lockThread, moveThread, pinThread, renameThread, setThreadVisibility, unlockThread, unpinThread, type ThreadActionResult, type ThreadDecider } from '../thread-actions.js';
import { checkMayModerateContentOf } from '../staff.js';
import { mergeThread, splitThread } from '../thread-merge.js';
import { THREAD_ACTION_MESSAGES } from '../messages.js';
import { HideThreadForm, MergeThreadForm, MoveThreadForm, PinThreadForm, RenameThreadForm, SplitThreadForm, MODERATION_LIMITS, ThreadActionForm } from '../schemas.js';

interface PageState {
  values?: Record<string, string | string[]>;
  errors?: FieldErrors;
  stale?: boolean;
}

// Long enough to tell replies apart when choosing which to split off.
const SPLIT_EXCERPT_CHARS = 160;

/** The thread's state in words, for the moderation page and the 409 page alike. */
function stateOf(thread: ThreadUnderAction) {
  return {
    ...thread,
    href: threadPath(thread),
    pinned: thread.pinnedAt === null ? null : thread.pinnedSiteWide ? 'across the site' : 'in its category',
    locked: thread.lockedAt !== null,
    hidden: thread.hiddenAt !== null,
    deleted: thread.deletedAt !== null,
    merged: thread.mergedIntoId !== null,
  };
}

const moderationThreadRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function threadFrom(request: FastifyRequest): Promise<ThreadUnderAction> {
    const { id } = parseParams(ThreadParams, request.params);
    const thread = await findThreadForModerator(deps.db, request.member!, id);
    if (!thread) throw new NotFound();
    checkMayModerateContentOf(request.member!, await findModeratedMember(deps.db, thread.authorId));
    return thread;
  }

  async function showModeration(reply: FastifyReply, moderator: Viewer, thread: ThreadUnderAction, { values = {}, errors, stale = false }: PageState = {}): Promise<FastifyReply> {
    const categories = await listCategoriesForModerator(deps.db, moderator);
    return reply.view('moderation/thread', {
      title: `Moderate: ${thread.title}`,
      thread: stateOf(thread),
      stale,
      staleMessage: THREAD_ACTION_MESSAGES.stale,
      shownWithResource: THREAD_ACTION_MESSAGES.shownWithResource,
      scopeChoices: [
        { value: 'category', label: 'In its category', checked: values.scope === 'category' },
        { value: 'site', label: 'Across the site: first in every category and on the home page', checked: values.scope === 'site' },
      ],
      titleValue: typeof values.title === 'string' ? values.title : thread.title,
      categoryOptions: categories.filter((category) => category.id !== thread.categoryId).map((category) => ({ value: category.slug, label: category.name })),
      csrfToken: reply.generateCsrf(),
      values,
      errors,
      limits: { ...THREAD_LIMITS, ...MODERATION_LIMITS },
    });
  }

  async function showSplit(reply: FastifyReply, moderator: Viewer, thread: ThreadUnderAction, { values = {}, errors }: PageState = {}): Promise<FastifyReply> {
    const [posts, categories] = await Promise.all([listPostsForSplit(deps.db, thread.id), listCategoriesForModerator(deps.db, moderator)]);
    const chosen = new Set([values.posts ?? []].flat());
    return reply.view('moderation/split', {
      title: `Split replies off: ${thread.title}`,
      thread: stateOf(thread),
      posts: posts.map((post) => ({ ...post, excerpt: excerpt(post.bodySource, SPLIT_EXCERPT_CHARS), first: post.position === 1, checked: chosen.has(String(post.id)) })),
      categoryOptions: categories.map((category) => ({ value: category.slug, label: category.name })),
      csrfToken: reply.generateCsrf(),
      values: { category: thread.categorySlug, ...values },
      errors,
      limits: THREAD_LIMITS,
    });
  }

  /**
   * One action's route: parse its form (422 on the page it came from), act, then the thread's
   * page (303), or the page again with the refusal (422) or the thread as it now is (409).
   */
  function action<S extends z.ZodType<{ version: number }>>(name: string, schema: S, decide: (moderator: Viewer, form: z.infer<S>) => ThreadDecider, options: { page?: 'moderation' | 'split'; alsoLock?: (form: z.infer<S>) => number[] } = {}) {
    app.post(`/mod/threads/:id/${name}`, async (request, reply) => {
      const moderator = request.member!;
      const thread = await threadFrom(request);
      const show = options.page === 'split' ? showSplit : showModeration;
      const form = parseForm(schema, request.body);
      if (!form.ok) return show(reply.code(422), moderator, thread, { values: formValuesOf(request.body), errors: form.errors });
      const result: ThreadActionResult = await actOnThread(deps, moderator, thread.id, form.data.version, decide(moderator, form.data), { alsoLock: options.alsoLock?.(form.data) ?? [] });
      switch (result.kind) {
        case 'done':
          setFlash(request, result.message);
          return redirectTo(reply, `/t/${result.threadId}`);
        case 'unchanged':
          setFlash(request, THREAD_ACTION_MESSAGES.unchanged);
          return redirectTo(reply, `/t/${result.threadId}`);
        case 'stale':
          return showModeration(reply.code(409), moderator, result.current, { stale: true });
        case 'refused':
          return show(reply.code(422), moderator, thread, { values: formValuesOf(request.body), errors: { [result.field]: result.message } });
      }
    });
  }

  app.get('/mod/threads/:id', async (request, reply) => showModeration(reply, request.member!, await threadFrom(request)));
  app.get('/mod/threads/:id/split', async (request, reply) => showSplit(reply, request.member!, await threadFrom(request)));

  action('lock', ThreadActionForm, () => lockThread);
  action('unlock', ThreadActionForm, () => unlockThread);
  action('pin', PinThreadForm, (_moderator, form) => pinThread(form.scope));
  action('unpin', ThreadActionForm, () => unpinThread);
  action('move', MoveThreadForm, (moderator, form) => moveThread(moderator, form.category));
  action('rename', RenameThreadForm, (moderator, form) => renameThread(moderator, form.title));
  action('hide', HideThreadForm, (_moderator, form) => setThreadVisibility('hidden', true, form.reason));
  action('unhide', ThreadActionForm, () => setThreadVisibility('hidden', false));
  action('delete', ThreadActionForm, () => setThreadVisibility('deleted', true));
  action('undelete', ThreadActionForm, () => setThreadVisibility('deleted', false));
  action('merge', MergeThreadForm, (moderator, form) => mergeThread(moderator, form.into), { alsoLock: (form) => [form.into] });
  action('split', SplitThreadForm, (moderator, form) => splitThread(moderator, { postIds: form.posts, categorySlug: form.category, title: form.title }), { page: 'split' });
};

/** The submitted fields to re-fill a refused form with: text and the chosen checkboxes. */
function formValuesOf(body: unknown): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {};
  if (!body || typeof body !== 'object') return values;
  for (const [key, value] of Object.entries(body)) {
    if (key === '_csrf') continue;
    if (typeof value === 'string') values[key] = value.replace(/\0/g, '');
    else if (Array.isArray(value)) values[key] = value.filter((item): item is string => typeof item === 'string').map((item) => item.replace(/\0/g, ''));
  }
  return values;
}

export default moderationThreadRoutes;
