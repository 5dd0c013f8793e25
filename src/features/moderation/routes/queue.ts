import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { parseQuery } from '../../../lib/forms.js';
import { paginate } from '../../../lib/pagination.js';
import { MODERATION_MESSAGES as M } from '../messages.js';
import { APPROVALS_LISTED, loadQueue } from '../queue.js';
import { MODERATION_LIMITS, QueueQuery } from '../schemas.js';

/** An approval form that was refused: its message and what was typed, to show beside its item. */
export interface ApprovalRefusal {
  kind: 'member' | 'post';
  id: number;
  action: 'approve' | 'reject';
  error: string;
  reason: string;
}

/**
 * The review queue page, for GET /mod and for an approval form the queue re-shows (refused, or
 * decided a moment ago by someone else). A page past the end is a 404.
 */
export async function showQueue(deps: Deps, reply: FastifyReply, shown: { page?: number; refusal?: ApprovalRefusal; notice?: string } = {}) {
  const { page = 1, refusal, notice } = shown;
  const queue = await loadQueue(deps, page);
  if (!queue) throw new NotFound();
  const { counts } = queue;
  const mark = <T extends { id: number }>(kind: ApprovalRefusal['kind'], items: T[]) =>
    items.map((item) => ({ ...item, refusal: refusal?.kind === kind && refusal.id === item.id ? refusal : undefined }));
  return reply.view('moderation/queue', {
    title: page > 1 ? `Review queue (page ${page})` : 'Review queue',
    firstPage: page === 1,
    counts,
    nothingWaits: counts.flagged + counts.members + counts.posts === 0,
    emptyMessage: M.queueEmpty,
    members: mark('member', queue.members),
    posts: mark('post', queue.posts),
    membersBacklog: counts.members > queue.members.length,
    postsBacklog: counts.posts > queue.posts.length,
    listed: APPROVALS_LISTED,
    memberApprovalRequired: deps.settings.current.MEMBER_APPROVAL_REQUIRED,
    items: queue.items,
    csrfToken: reply.generateCsrf(),
    // Hiding and approving take reasons of one length: the migration's limit on every moderation reason.
    limits: MODERATION_LIMITS,
    // Keyed by the refused field's name, so the summary's link (#field-…) leads to it.
    refused: refusal ? { [`${refusal.action}-${refusal.kind}-${refusal.id}`]: refusal.error } : undefined,
    pageNotice: notice,
    pagination: paginate('/mod', page, queue.pageCount),
  });
}

/** GET /mod: the review queue, each part oldest first. */
const queueRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/mod', async (request, reply) => {
    const { page = 1 } = parseQuery(QueueQuery, request.query);
    return showQueue(deps, reply, { page });
  });
};

export default queueRoutes;
