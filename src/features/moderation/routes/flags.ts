import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { resourcePath } from '../../resources/content.js';
import { alreadyFlagged, flagItem, postToFlag, resourceToFlag } from '../flags.js';
import { MODERATION_MESSAGES as M } from '../messages.js';
import type { FlagTarget } from '../queries/flags.js';
import { MODERATION_LIMITS, FLAG_REASONS, FlagForm, ItemParams } from '../schemas.js';

const REASON_OPTIONS = Object.entries(FLAG_REASONS).map(([value, label]) => ({ value, label }));

interface FlagPage {
  /** What is flagged, as the page names it ("the post by Jane Citizen", "the resource “…”"). */
  subject: string;
  backHref: string;
  action: string;
  flaggedBefore: boolean;
}

function showFlagForm(reply: FastifyReply, page: FlagPage, values: Record<string, string> = {}, errors?: FieldErrors): FastifyReply {
  return reply.view('moderation/flag', {
    title: 'Flag for a moderator',
    ...page,
    flaggedMessage: M.alreadyFlagged,
    csrfToken: reply.generateCsrf(),
    values,
    errors,
    reasons: REASON_OPTIONS,
    limits: MODERATION_LIMITS,
    noteHint: `Needed for “Something else”; otherwise optional. At most ${MODERATION_LIMITS.note.toLocaleString('en-AU')} characters. Only moderators read it.`,
  });
}

/**
 * Members flag a post or a resource for the moderators (these are member routes, outside the
 * /mod scope): once each, never their own.
 */
const flagRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function flagPage(target: FlagTarget, viewer: { id: number; role: 'member' | 'moderator' | 'administrator' }): Promise<FlagPage> {
    if (target.kind === 'post') {
      const post = await postToFlag(deps, viewer, target.id);
      return { subject: `the post by ${post.authorName} in “${post.threadTitle}”`, backHref: `/p/${post.id}`, action: `/p/${post.id}/flag`, flaggedBefore: await alreadyFlagged(deps, target, viewer) };
    }
    const resource = await resourceToFlag(deps, viewer, target.id);
    return { subject: `the resource “${resource.title}”`, backHref: resourcePath(resource), action: `/resources/${resource.id}/flag`, flaggedBefore: await alreadyFlagged(deps, target, viewer) };
  }

  for (const kind of ['post', 'resource'] as const) {
    const path = kind === 'post' ? '/p/:id/flag' : '/resources/:id/flag';
    app.get(path, async (request, reply) => {
      const { id } = parseParams(ItemParams, request.params);
      return showFlagForm(reply, await flagPage({ kind, id }, request.member!));
    });

    app.post(path, async (request, reply) => {
      const { id } = parseParams(ItemParams, request.params);
      const page = await flagPage({ kind, id }, request.member!);
      const form = parseForm(FlagForm, request.body);
      if (!form.ok) return showFlagForm(reply.code(422), { ...page, flaggedBefore: false }, form.values, form.errors);
      const result = await flagItem(deps, request.member!, { kind, id }, form.data);
      setFlash(request, result === 'already-flagged' ? M.alreadyFlagged : M.flagged);
      return redirectTo(reply, page.backHref);
    });
  }
};

export default flagRoutes;
