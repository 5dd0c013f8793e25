import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { mayStartThreads } from './access.js';
import { claimPostingBudget, renderBody, type Poster } from './posting.js';
import { recordCategoryPost, type Category } from './queries/categories.js';
import { insertPostNotifications } from './queries/notifications.js';
import { insertPost } from './queries/posts.js';
import { markRead, watchThreadUnlessChosen } from './queries/reading.js';
import { findThreadIdByFormToken, insertThread } from './queries/threads.js';
import { slugify } from './slug.js';

// Thrown to roll the new thread back when the member is past their posting limit.
const limitReached = new Error('posting limit reached');

export type StartThreadResult =
  | { kind: 'started'; threadId: number }
  | { kind: 'duplicate'; threadId: number }
  | { kind: 'forbidden' }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

/**
 * The thread, its first post, the category's counts, the author's read position and watch,
 * and the notifications to the category's watchers: all in one transaction. A resubmitted
 * form (double click, Back and submit, parallel posts) finds the thread the first one made.
 */
export async function startThread(deps: Deps, poster: Poster, category: Category, input: { title: string; body: string; formToken: string }): Promise<StartThreadResult> {
  if (!mayStartThreads(poster, category)) return { kind: 'forbidden' };
  const existing = await findThreadIdByFormToken(deps.db, input.formToken);
  if (existing !== undefined) return { kind: 'duplicate', threadId: existing };
  const body = renderBody(input.body);

  let limited: StartThreadResult | undefined;
  const threadId = await inTransaction(deps.db, async (trx) => {
    const id = await insertThread(trx, { categoryId: category.id, authorId: poster.id, title: input.title, slug: slugify(input.title), formToken: input.formToken });
    if (id === undefined) return undefined;
    // Counted only once the thread is known to be new: a resubmitted form costs nothing.
    const budget = await claimPostingBudget(deps, poster);
    if (!budget.ok) {
      limited = { kind: 'rate-limited', retryAfterSeconds: budget.retryAfterSeconds };
      throw limitReached;
    }
    const postId = (await insertPost(trx, { threadId: id, authorId: poster.id, position: 1, replyToPostId: null, depth: 0, ...body, formToken: input.formToken }))!;
    await recordCategoryPost(trx, category.id, { newThread: true });
    await markRead(trx, poster.id, id, 1);
    await watchThreadUnlessChosen(trx, poster.id, id);
    await insertPostNotifications(trx, { postId, threadId: id, categoryId: category.id, actorId: poster.id, repliedToMemberId: null, mentionedHandles: body.mentions, newThread: true });
    return id;
  }).catch((error: unknown) => {
    if (error !== limitReached) throw error;
    return undefined;
  });
  if (limited) return limited;
  // Lost a race with the same form: the other transaction's thread is committed by now.
  if (threadId === undefined) return { kind: 'duplicate', threadId: (await findThreadIdByFormToken(deps.db, input.formToken))! };
  return { kind: 'started', threadId };
}
