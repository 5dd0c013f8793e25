import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { APPROVAL_MESSAGES } from '../approval-messages.js';
import { APPROVAL_LIMITS, ApprovalParams, ApproveForm, ApprovePostForm, RejectForm } from '../approval-schemas.js';
import { approveMember, rejectMember } from '../approvals.js';
import { approveHeldPost, rejectHeldPost } from '../held-posts.js';
import { countMembersAwaitingApproval, listMembersAwaitingApproval } from '../queries/approvals.js';
import { countHeldPosts, listHeldPosts } from '../queries/held-posts.js';

// A page a moderator works down; more than this waiting is a backlog the counts in the headings show.
const LISTED = 100;

/** The one item whose form was refused, its message and what was typed, to show beside it. */
interface Refusal {
  kind: 'member' | 'post';
  id: number;
  action: 'approve' | 'reject';
  error: string;
  reason: string;
}

async function showApprovals(deps: Deps, reply: FastifyReply, refusal?: Refusal, notice?: string) {
  const [members, posts, memberCount, postCount] = await Promise.all([listMembersAwaitingApproval(deps.db, LISTED), listHeldPosts(deps.db, LISTED), countMembersAwaitingApproval(deps.db), countHeldPosts(deps.db)]);
  const mark = <T extends { id: number }>(kind: Refusal['kind'], items: T[]) =>
    items.map((item) => ({ ...item, refusal: refusal?.kind === kind && refusal.id === item.id ? refusal : undefined }));
  return reply.view('moderation/approvals', {
    title: 'Approvals',
    csrfToken: reply.generateCsrf(),
    memberCount,
    postCount,
    members: mark('member', members),
    posts: mark('post', posts).map((post) => ({ ...post, body_html: post.bodyHtml, repeatedText: post.reason === 'repeated_text' })),
    limits: APPROVAL_LIMITS,
    // Keyed by the refused field's name, so the summary's link (#field-…) leads to it.
    refused: refusal ? { [`${refusal.action}-${refusal.kind}-${refusal.id}`]: refusal.error } : undefined,
    pageNotice: notice,
  });
}

const approvalRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/mod/approvals', async (_request, reply) => showApprovals(deps, reply));

  const decideMember = (action: Refusal['action']) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = parseParams(ApprovalParams, request.params);
    const form = parseForm(action === 'approve' ? ApproveForm : RejectForm, request.body);
    if (!form.ok) return showApprovals(deps, reply.code(422), { kind: 'member', id, action, error: Object.values(form.errors)[0]!, reason: form.values.reason ?? '' });
    const moderatorId = request.member!.id;
    const decided = action === 'approve' ? await approveMember(deps, moderatorId, id, form.data.reason) : await rejectMember(deps, moderatorId, id, form.data.reason);
    if (!decided.ok) return showApprovals(deps, reply.code(409), undefined, APPROVAL_MESSAGES.memberAlreadyDecided);
    setFlash(request, action === 'approve' ? APPROVAL_MESSAGES.memberApproved(decided.displayName) : APPROVAL_MESSAGES.memberRejected(decided.displayName));
    return redirectTo(reply, '/mod/approvals');
  };
  app.post('/mod/approvals/members/:id/approve', decideMember('approve'));
  app.post('/mod/approvals/members/:id/reject', decideMember('reject'));

  const decidePost = (action: Refusal['action']) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = parseParams(ApprovalParams, request.params);
    const form = parseForm(action === 'approve' ? ApprovePostForm : RejectForm, request.body);
    if (!form.ok) return showApprovals(deps, reply.code(422), { kind: 'post', id, action, error: Object.values(form.errors)[0]!, reason: form.values.reason ?? '' });
    const moderatorId = request.member!.id;
    const decided = action === 'approve' ? await approveHeldPost(deps, moderatorId, id) : await rejectHeldPost(deps, moderatorId, id, (form.data as RejectForm).reason);
    if (!decided.ok) return showApprovals(deps, reply.code(409), undefined, APPROVAL_MESSAGES.postNotHeld);
    setFlash(request, action === 'approve' ? APPROVAL_MESSAGES.postApproved : APPROVAL_MESSAGES.postRejected);
    return redirectTo(reply, '/mod/approvals');
  };
  app.post('/mod/approvals/posts/:id/approve', decidePost('approve'));
  app.post('/mod/approvals/posts/:id/reject', decidePost('reject'));
};

export default approvalRoutes;
