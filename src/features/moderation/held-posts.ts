import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { isStaff } from '../discussions/access.js';
import { renderBody, type Poster } from '../discussions/posting.js';
import { countContributions, settleCounts } from '../discussions/queries/counts.js';
import { insertPostNotifications } from '../discussions/queries/notifications.js';
import { APPROVAL_MESSAGES } from './messages.js';
import { insertModerationNotifications } from './queries/flags.js';
import { countApprovedPosts, countThreadsWithSameText, lockHeldPost, lockMemberPosting, normalisedText, rejectHeldPostRow, releaseHeldPost, type HoldReason, type LockedHeldPost } from './queries/held-posts.js';

/**
 * Whether a new post waits for a moderator, and why. A member's posts wait until FIRST_POSTS_HELD
 * of theirs have been let stand (as Discourse's approve_post_count: five quick posts from a
 * newcomer all wait, rather than the sixth going straight out); and a text the member already
 * posted in other threads within REPEATED_TEXT_MINUTES, reaching REPEATED_TEXT_THREADS threads
 * with this one, waits whoever posts it (the usual shape of spam). Staff posts never wait.
 * Runs in the posting transaction, after taking the member's posting lock: two copies sent at
 * once each see the other, rather than both finding none.
 */
export async function holdReasonFor(deps: Pick<Deps, 'settings'>, db: Db, poster: Poster, bodySource: string, threadId: number | null): Promise<HoldReason | null> {
  if (isStaff(poster.role)) return null;
  await lockMemberPosting(db, poster.id);
  const { FIRST_POSTS_HELD: firstPostsHeld, REPEATED_TEXT_THREADS: repeatedTextThreads, REPEATED_TEXT_MINUTES: repeatedTextMinutes } = deps.settings.current;
  if (firstPostsHeld > 0 && (await countApprovedPosts(db, poster.id, firstPostsHeld)) < firstPostsHeld) return 'first_posts';
  const otherThreads = await countThreadsWithSameText(db, poster.id, normalisedText(bodySource), threadId, repeatedTextMinutes);
  return otherThreads + 1 >= repeatedTextThreads ? 'repeated_text' : null;
}

/** The author hears the decision in the app and by email (with the reason for a rejection), in the decision's transaction. */
async function tellAuthor(deps: Pick<Deps, 'mail'>, trx: Db, moderatorId: number, post: LockedHeldPost, decision: { approved: true } | { approved: false; reason: string }): Promise<void> {
  await insertModerationNotifications(trx, { memberIds: [post.authorId], kind: 'moderation', actorId: moderatorId, threadId: post.threadId, postId: post.id });
  if (post.authorEmail === null) return;
  const data = { displayName: post.authorName, threadTitle: post.threadTitle };
  await (decision.approved
    ? deps.mail.queue(trx, 'moderation-post-approved', { to: post.authorEmail, subject: APPROVAL_MESSAGES.postApprovedSubject, data, links: { postLink: `/p/${post.id}` } })
    : deps.mail.queue(trx, 'moderation-post-rejected', { to: post.authorEmail, subject: APPROVAL_MESSAGES.postRejectedSubject, data: { ...data, reason: decision.reason } }));
}

export type HeldPostDecision = { ok: true; threadId: number } | { ok: false; error: 'not-held' };

/**
 * Lets a held post stand: it counts, appears, and makes the notifications it would have made
 * when posted, with its audit row, in one transaction. A post no longer held (decided a moment
 * ago by another moderator, or never held) changes nothing.
 */
export async function approveHeldPost(deps: Pick<Deps, 'db' | 'mail'>, moderatorId: number, postId: number): Promise<HeldPostDecision> {
  return inTransaction(deps.db, async (trx) => {
    const post = await lockHeldPost(trx, postId);
    if (!post) return { ok: false, error: 'not-held' };
    const before = await countContributions(trx, [post.threadId]);
    await releaseHeldPost(trx, post.id);
    await settleCounts(trx, before, [post.threadId]);
    const newThread = post.position === 1;
    await insertPostNotifications(trx, {
      postId: post.id,
      threadId: post.threadId,
      categoryId: post.categoryId,
      actorId: post.authorId,
      repliedToMemberId: newThread ? null : (post.replyToAuthorId ?? post.threadAuthorId),
      mentionedHandles: renderBody(post.bodySource).mentions,
      newThread,
    });
    await tellAuthor(deps, trx, moderatorId, post, { approved: true });
    await insertAuditEvent(trx, { actorMemberId: moderatorId, action: 'post.approved', targetType: 'post', targetId: post.id, subjectMemberId: post.authorId, details: { before: { held: true }, after: { held: false } } });
    return { ok: true, threadId: post.threadId };
  });
}

/** Rejecting deletes the post; its author reads the reason where it stood, and nobody else ever sees it. */
export async function rejectHeldPost(deps: Pick<Deps, 'db' | 'mail'>, moderatorId: number, postId: number, reason: string): Promise<HeldPostDecision> {
  return inTransaction(deps.db, async (trx) => {
    const post = await lockHeldPost(trx, postId);
    if (!post) return { ok: false, error: 'not-held' };
    await rejectHeldPostRow(trx, post.id, moderatorId, reason);
    await tellAuthor(deps, trx, moderatorId, post, { approved: false, reason });
    await insertAuditEvent(trx, { actorMemberId: moderatorId, action: 'post.rejected', targetType: 'post', targetId: post.id, subjectMemberId: post.authorId, details: { reason, before: { deleted: false }, after: { deleted: true } } });
    return { ok: true, threadId: post.threadId };
  });
}
