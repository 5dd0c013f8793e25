import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { APPROVAL_MESSAGES } from '../messages.js';
import { ItemParams, ApproveForm, ApprovePostForm, RejectForm } from '../schemas.js';
import { approveMember, rejectMember } from '../approvals.js';
import { approveHeldPost, rejectHeldPost } from '../held-posts.js';
import { showQueue, type ApprovalRefusal } from './queue.js';

/**
 * Deciding on a member awaiting approval or a held post, from the review queue at /mod: a
 * refused form shows the queue again with the message beside its item; a decision goes back to
 * the queue with what was done.
 */
const approvalRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // Approvals had a page of their own before they joined the queue; old links and bookmarks land there.
  app.get('/mod/approvals', async (_request, reply) => redirectTo(reply, '/mod#members'));

  const decideMember = (action: ApprovalRefusal['action']) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = parseParams(ItemParams, request.params);
    const form = parseForm(action === 'approve' ? ApproveForm : RejectForm, request.body);
    if (!form.ok) return showQueue(deps, reply.code(422), { refusal: { kind: 'member', id, action, error: Object.values(form.errors)[0]!, reason: form.values.reason ?? '' } });
    const moderatorId = request.member!.id;
    const decided = action === 'approve' ? await approveMember(deps, moderatorId, id, form.data.reason) : await rejectMember(deps, moderatorId, id, form.data.reason);
    if (!decided.ok) return showQueue(deps, reply.code(409), { notice: APPROVAL_MESSAGES.memberAlreadyDecided });
    setFlash(request, action === 'approve' ? APPROVAL_MESSAGES.memberApproved(decided.displayName) : APPROVAL_MESSAGES.memberRejected(decided.displayName));
    return redirectTo(reply, '/mod');
  };
  app.post('/mod/approvals/members/:id/approve', decideMember('approve'));
  app.post('/mod/approvals/members/:id/reject', decideMember('reject'));

  const decidePost = (action: ApprovalRefusal['action']) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = parseParams(ItemParams, request.params);
    const form = parseForm(action === 'approve' ? ApprovePostForm : RejectForm, request.body);
    if (!form.ok) return showQueue(deps, reply.code(422), { refusal: { kind: 'post', id, action, error: Object.values(form.errors)[0]!, reason: form.values.reason ?? '' } });
    const moderatorId = request.member!.id;
    const decided = action === 'approve' ? await approveHeldPost(deps, moderatorId, id) : await rejectHeldPost(deps, moderatorId, id, (form.data as RejectForm).reason);
    if (!decided.ok) return showQueue(deps, reply.code(409), { notice: APPROVAL_MESSAGES.postNotHeld });
    setFlash(request, action === 'approve' ? APPROVAL_MESSAGES.postApproved : APPROVAL_MESSAGES.postRejected);
    return redirectTo(reply, '/mod');
  };
  app.post('/mod/approvals/posts/:id/approve', decidePost('approve'));
  app.post('/mod/approvals/posts/:id/reject', decidePost('reject'));
};

export default approvalRoutes;
