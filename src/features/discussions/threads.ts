import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { holdReasonFor } from '../moderation/held-posts.js';
import { insertFiles } from '../resources/files/queries.js';
import { withStoredFiles } from '../resources/files/service.js';
import { mayStartThreads } from './access.js';
import type { PostAttachment } from './attachments.js';
import { claimPostingBudget, renderBody, type Poster } from './posting.js';
import type { Category } from './queries/categories.js';
import { insertPostNotifications } from './queries/notifications.js';
import { insertPost } from './queries/posts.js';
import { findIdByFormToken, insertThread } from './queries/threads.js';
import { slugify } from './slug.js';

// Thrown inside the transaction to undo the thread, carrying the answer; never leaves this
// module. `undefined`: another request with the same form won the race.
class RollBack extends Error {
  constructor(readonly result: StartThreadResult | undefined) {
    super('rolled back');
  }
}

export type StartThreadResult =
  /** `held`: its first post waits for a moderator, and the thread with it. */
  | { kind: 'started'; threadId: number; held: boolean }
  | { kind: 'duplicate'; threadId: number }
  | { kind: 'forbidden' }
  /** The form's token was spent on something else (another form, another member): reload it. */
  | { kind: 'stale-form' }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

/**
 * The thread, its first post and its files, the category's counts, the author's read position
 * and watch, and the notifications to the category's watchers: all in one transaction (the
 * files' contents are stored just before it, and forgotten again if it attaches nothing). A
 * resubmitted form (double click, Back and submit, parallel posts) finds the thread the first
 * one made, and attaches nothing.
 */
export async function startThread(deps: Deps, poster: Poster, category: Category, input: { title: string; body: string; formToken: string; files?: readonly PostAttachment[] }): Promise<StartThreadResult> {
  if (!mayStartThreads(poster, category)) return { kind: 'forbidden' };
  const existing = await findIdByFormToken(deps.db, 'threads', input.formToken, poster.id);
  if (existing !== undefined) return { kind: 'duplicate', threadId: existing };
  const body = renderBody(input.body);
  const files = input.files ?? [];

  try {
    return await withStoredFiles(deps, files, () => inTransaction(deps.db, async (trx): Promise<StartThreadResult> => {
      const heldReason = await holdReasonFor(deps, trx, poster, input.body, null);
      const id = await insertThread(trx, { categoryId: category.id, authorId: poster.id, title: input.title, slug: slugify(input.title), formToken: input.formToken });
      if (id === undefined) throw new RollBack(undefined);
      const postId = await insertPost(trx, { threadId: id, authorId: poster.id, position: 1, replyToPostId: null, depth: 0, ...body, formToken: input.formToken, heldReason }, { id: category.id, newThread: true, counted: true });
      if (postId === undefined) throw new RollBack({ kind: 'stale-form' });
      // Counted only once the thread is known to be new: a resubmitted form costs nothing.
      const budget = await claimPostingBudget(deps, poster, trx);
      if (!budget.ok) throw new RollBack({ kind: 'rate-limited', retryAfterSeconds: budget.retryAfterSeconds });
      await insertFiles(trx, files, { postId }, poster.id);
      // A held thread tells nobody yet: its approval sends these (moderation/held-posts.ts).
      if (heldReason) return { kind: 'started', threadId: id, held: true };
      await insertPostNotifications(trx, { postId, threadId: id, categoryId: category.id, actorId: poster.id, repliedToMemberId: null, mentionedHandles: body.mentions, newThread: true });
      return { kind: 'started', threadId: id, held: false };
    }));
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
    // Lost a race with the same form: the winner's transaction is committed by the time the
    // unique index let this one go. Looked up once this transaction's connection is back in the
    // pool: twenty of these each waiting for a second connection would drain it.
    return error.result ?? duplicateOf(deps, input.formToken, poster.id);
  }
}

/** The thread this member's form already made; a token spent by anyone else is a stale form. */
async function duplicateOf(deps: Pick<Deps, 'db'>, formToken: string, authorId: number): Promise<StartThreadResult> {
  const threadId = await findIdByFormToken(deps.db, 'threads', formToken, authorId);
  return threadId === undefined ? { kind: 'stale-form' } : { kind: 'duplicate', threadId };
}
