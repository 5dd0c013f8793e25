import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { holdReasonFor } from '../moderation/held-posts.js';
import { insertFiles } from '../resources/files/queries.js';
import { withStoredFiles } from '../resources/files/service.js';
import type { PostAttachment } from './attachments.js';
import { claimPostingBudget, renderBody, type Poster } from './posting.js';
import { insertPostNotifications } from './queries/notifications.js';
import { findPostLocation, insertPost } from './queries/posts.js';
import { claimReplyPosition, findIdByFormToken, type Thread } from './queries/threads.js';

export type ReplyResult =
  /** `held`: waiting for a moderator, seen only by its author until approved. */
  | { kind: 'posted'; postId: number; held: boolean }
  | { kind: 'duplicate'; postId: number }
  | { kind: 'locked' }
  | { kind: 'gone' }
  | { kind: 'bad-reply-to' }
  /** The form's token was spent on something else (another form, another member): reload it. */
  | { kind: 'stale-form' }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

// Thrown inside the transaction to undo the position it claimed, carrying the answer; never
// leaves this module. `undefined`: another request with the same form won the race.
class RollBack extends Error {
  constructor(readonly result: ReplyResult | undefined) {
    super('rolled back');
  }
}

/**
 * A reply and its files, the thread's and category's counts, the author's read position and
 * watch, and the notifications it causes, in one transaction (the files' contents are stored
 * just before it, and forgotten again if it attaches nothing). `replyToPostId` must name a live
 * post of this thread; a resubmitted form finds the reply the first one made, even once the
 * thread is locked or the post it answered is gone, and attaches nothing.
 */
export async function replyToThread(deps: Deps, poster: Poster, thread: Thread, input: { body: string; replyToPostId?: number; formToken: string; files?: readonly PostAttachment[] }): Promise<ReplyResult> {
  // A form sent twice is caught by the unique form token inside the transaction (and rolled
  // back there), which saves every reply a lookup beforehand; only a refusal looks first for
  // the reply the form already made, so a resubmitted form is never told it failed.
  const refuse = async (refusal: ReplyResult): Promise<ReplyResult> => {
    const postId = await findIdByFormToken(deps.db, 'posts', input.formToken, poster.id);
    return postId === undefined ? refusal : { kind: 'duplicate', postId };
  };
  if (thread.locked) return refuse({ kind: 'locked' });
  const parent = input.replyToPostId === undefined ? undefined : await findPostLocation(deps.db, poster, input.replyToPostId);
  if (input.replyToPostId !== undefined && (!parent || parent.threadId !== thread.id || parent.deleted || parent.hidden)) return refuse({ kind: 'bad-reply-to' });
  const body = renderBody(input.body);
  const files = input.files ?? [];

  try {
    return await withStoredFiles(deps, files, () => inTransaction(deps.db, async (trx): Promise<ReplyResult> => {
      const heldReason = await holdReasonFor(deps, trx, poster, input.body, thread.id);
      const claimed = await claimReplyPosition(trx, thread.id, poster.id, heldReason !== null);
      // Deleted or locked since the page was read: the claim is undone with the rest.
      if (!claimed) throw new RollBack({ kind: 'gone' });
      if (claimed.locked) throw new RollBack({ kind: 'locked' });
      const postId = await insertPost(trx, {
        threadId: thread.id,
        authorId: poster.id,
        position: claimed.position,
        replyToPostId: parent?.id ?? null,
        depth: parent ? parent.depth + 1 : 0,
        ...body,
        formToken: input.formToken,
        heldReason,
      }, { id: claimed.categoryId, newThread: false, counted: claimed.counted });
      if (postId === undefined) throw new RollBack(undefined);
      // Counted only once the post is known to be new: a resubmitted form costs nothing.
      const budget = await claimPostingBudget(deps, poster, trx);
      if (!budget.ok) throw new RollBack({ kind: 'rate-limited', retryAfterSeconds: budget.retryAfterSeconds });
      await insertFiles(trx, files, { postId }, poster.id);
      // A held post tells nobody yet: its approval sends these (moderation/held-posts.ts).
      if (heldReason) return { kind: 'posted', postId, held: true };
      await insertPostNotifications(trx, {
        postId,
        threadId: thread.id,
        categoryId: claimed.categoryId,
        actorId: poster.id,
        repliedToMemberId: parent ? parent.authorId : thread.authorId,
        mentionedHandles: body.mentions,
        newThread: false,
      });
      return { kind: 'posted', postId, held: false };
    }));
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
    if (error.result) return error.result.kind === 'rate-limited' ? error.result : refuse(error.result);
    // The winner's transaction is committed by the time the unique index let this one go; a
    // token spent by another member, or on a thread, is a stale form.
    const postId = await findIdByFormToken(deps.db, 'posts', input.formToken, poster.id);
    return postId === undefined ? { kind: 'stale-form' } : { kind: 'duplicate', postId };
  }
}
