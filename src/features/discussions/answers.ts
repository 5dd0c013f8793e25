import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { isUniqueViolation } from '../../lib/db-errors.js';
import { isStaff, type Viewer } from './access.js';
import { markAnswer, unmarkAnswer } from './queries/answers.js';
import { insertAnswerNotification } from './queries/notifications.js';
import type { PostLocation } from './queries/posts.js';
import { lockMarkablePost } from './queries/reactions.js';
import type { Thread } from './queries/threads.js';

export type AnswerResult = { kind: 'done' } | { kind: 'forbidden' } | { kind: 'first-post' } | { kind: 'gone' } | { kind: 'conflict' };

// Each retry means another mark in the thread committed meanwhile; a few cover any real race.
const MARK_ATTEMPTS = 5;

/** Whoever asked chooses the answer; moderators and administrators may too. */
export function mayChooseAnswer(viewer: Viewer, thread: Pick<Thread, 'authorId'>): boolean {
  return viewer.id === thread.authorId || isStaff(viewer.role);
}

/** Why the viewer may not make this post the thread's answer; undefined when they may. */
export function answerRefusal(viewer: Viewer, thread: Pick<Thread, 'authorId'>, post: Pick<PostLocation, 'position' | 'deleted' | 'hidden'>): 'forbidden' | 'first-post' | 'gone' | undefined {
  if (!mayChooseAnswer(viewer, thread)) return 'forbidden';
  if (post.position === 1) return 'first-post';
  if (post.deleted || post.hidden) return 'gone';
  return undefined;
}

/**
 * Makes a reply the thread's answer (moving the mark from any other) or takes the mark off
 * it; `answer` is the state wanted, so a repeat changes nothing. The reply's author hears of
 * it in the same transaction, once. Taking the mark off works on a deleted or hidden post too,
 * so an answer that went away can be cleared. Like "helpful", it works in a locked thread.
 */
export async function setAnswer(deps: Pick<Deps, 'db'>, viewer: Viewer, thread: Thread, post: PostLocation, answer: boolean): Promise<AnswerResult> {
  if (!answer) {
    if (!mayChooseAnswer(viewer, thread)) return { kind: 'forbidden' };
    await unmarkAnswer(deps.db, thread.id, { is: post.id });
    return { kind: 'done' };
  }
  const refusal = answerRefusal(viewer, thread, post);
  if (refusal) return { kind: refusal };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await inTransaction(deps.db, async (trx): Promise<AnswerResult> => {
        if (!(await lockMarkablePost(trx, post.id))) return { kind: 'gone' };
        await unmarkAnswer(trx, thread.id, { isNot: post.id });
        if (await markAnswer(trx, post.id, viewer.id)) {
          await insertAnswerNotification(trx, { postId: post.id, threadId: thread.id, actorId: viewer.id, authorId: post.authorId });
        }
        return { kind: 'done' };
      });
    } catch (error) {
      // Another reply was marked at the same moment and committed first (posts_one_answer
      // let only one through): go again, and this mark moves the answer from it, as if later.
      if (!isUniqueViolation(error, 'posts_one_answer')) throw error;
      if (attempt === MARK_ATTEMPTS) return { kind: 'conflict' };
    }
  }
}
