import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/types.js';
import type { Audience, Viewer } from '../discussions/access.js';
import { slugify } from '../discussions/slug.js';
import { carrySplitNotifications, carryThreadReferences, clearAnswerIfTargetHasOne, clearFirstPostAnswer, cutRepliesAcross, findFirstPostId, findPostsByIds, insertSplitThread, movePosts, renumberPosts } from './queries/thread-posts.js';
import { findModeratedMember } from './queries/members.js';
import { findCategoryForModerator, updateThreadAtVersion, type ThreadUnderAction } from './queries/threads.js';
import { checkMayModerateContentOf } from './staff.js';
import { writeThread, type Decision } from './thread-actions.js';
import { THREAD_ACTION_MESSAGES } from './messages.js';

type Refusal = Extract<Decision, { kind: 'refused' }>;

/**
 * Posts carry no visibility of their own beyond their thread's: moved out of a hidden or deleted
 * thread, or out of a staff-only category, they would be shown to members.
 */
function refusedToMoveOutOf(thread: ThreadUnderAction, destination: Audience, field: string): Refusal | undefined {
  if (thread.hiddenAt !== null || thread.deletedAt !== null) return { kind: 'refused', field: '_form', message: THREAD_ACTION_MESSAGES.notShown };
  if (thread.categoryAudience !== 'members' && destination === 'members') return { kind: 'refused', field, message: THREAD_ACTION_MESSAGES.widerAudience };
  return undefined;
}

/** A moderator's action on a colleague's or an administrator's posts is theirs to refuse (403). */
async function checkMayModerateAll(trx: Db, moderator: Viewer, authorIds: number[]): Promise<void> {
  for (const authorId of new Set(authorIds)) checkMayModerateContentOf(moderator, await findModeratedMember(trx, authorId));
}

/**
 * Merges the thread into another: its posts join the target's, interleaved by when they were
 * written (the target's first post stays first), numbered again so page ranges hold; replies
 * keep the posts they answer. The old thread stays as a pointer (merged_into_id), so its
 * address and its posts' permalinks lead to the target.
 */
export function mergeThread(moderator: Viewer, targetId: number) {
  return async (trx: Db, thread: ThreadUnderAction, [target]: ThreadUnderAction[]): Promise<Decision> => {
    if (targetId === thread.id) return { kind: 'refused', field: 'into', message: THREAD_ACTION_MESSAGES.mergeIntoItself };
    if (thread.resourceId !== null) return { kind: 'refused', field: 'into', message: THREAD_ACTION_MESSAGES.resourceThread };
    if (!target) return { kind: 'refused', field: 'into', message: THREAD_ACTION_MESSAGES.noSuchTarget };
    await checkMayModerateAll(trx, moderator, [target.authorId]);
    if (target.deletedAt !== null || target.mergedIntoId !== null) return { kind: 'refused', field: 'into', message: THREAD_ACTION_MESSAGES.targetGone };
    if (target.hiddenAt !== null) return { kind: 'refused', field: 'into', message: THREAD_ACTION_MESSAGES.targetHidden };
    // Its posts would be hidden and removed with a resource they are not about.
    if (target.resourceId !== null) return { kind: 'refused', field: 'into', message: THREAD_ACTION_MESSAGES.intoResourceThread };
    const refusal = refusedToMoveOutOf(thread, target.categoryAudience, 'into');
    if (refusal) return refusal;
    return {
      kind: 'perform',
      perform: async (db) => {
        const targetFirst = await findFirstPostId(db, target.id);
        await clearAnswerIfTargetHasOne(db, thread.id, target.id);
        await movePosts(db, [], thread.id, target.id);
        await renumberPosts(db, target.id, targetFirst);
        await updateThreadAtVersion(db, target.id, target.version, {});
        await carryThreadReferences(db, thread.id, target.id);
        // Deleted as well: every list and count already leaves deleted threads out.
        await writeThread(db, thread, { merged_into_id: target.id, deleted_at: sql<Date>`now()` });
        return {
          message: THREAD_ACTION_MESSAGES.merged,
          threadId: target.id,
          audit: { action: 'thread.merged', details: { before: { thread: thread.id, title: thread.title, category: thread.categorySlug }, after: { thread: target.id, title: target.title } } },
        };
      },
    };
  };
}

export interface SplitInput {
  postIds: number[];
  categorySlug: string;
  title: string;
}

/**
 * Splits the chosen replies off into a new thread in a chosen category, started by the author
 * of the earliest of them. Both threads are numbered again; a reply that answered a post now in
 * the other thread answers the thread instead.
 */
export function splitThread(moderator: Viewer, input: SplitInput) {
  return async (trx: Db, thread: ThreadUnderAction): Promise<Decision> => {
    const posts = await findPostsByIds(trx, input.postIds);
    if (posts.length !== new Set(input.postIds).size || posts.some((post) => post.threadId !== thread.id)) return { kind: 'refused', field: 'posts', message: THREAD_ACTION_MESSAGES.postsNotInThread };
    if (posts.some((post) => post.position === 1)) return { kind: 'refused', field: 'posts', message: THREAD_ACTION_MESSAGES.firstPostStays };
    // The new thread is started in the name of the earliest post's author.
    await checkMayModerateAll(trx, moderator, posts.map((post) => post.authorId));
    const category = await findCategoryForModerator(trx, moderator, input.categorySlug);
    if (!category) return { kind: 'refused', field: 'category', message: THREAD_ACTION_MESSAGES.noSuchCategory };
    const refusal = refusedToMoveOutOf(thread, category.audience, 'category');
    if (refusal) return refusal;
    return {
      kind: 'perform',
      perform: async (db) => {
        const first = posts[0]!;
        const newThreadId = await insertSplitThread(db, { categoryId: category.id, authorId: first.authorId, title: input.title, slug: slugify(input.title), formToken: randomUUID() });
        await movePosts(db, posts.map((post) => post.id), thread.id, newThreadId);
        await carrySplitNotifications(db, posts.map((post) => post.id), thread.id, newThreadId);
        await cutRepliesAcross(db, thread.id, newThreadId);
        await renumberPosts(db, newThreadId, first.id);
        await clearFirstPostAnswer(db, newThreadId);
        await renumberPosts(db, thread.id, await findFirstPostId(db, thread.id));
        await writeThread(db, thread, {});
        return {
          message: THREAD_ACTION_MESSAGES.split,
          threadId: newThreadId,
          audit: { action: 'thread.split', details: { before: { thread: thread.id, posts: posts.map((post) => post.id) }, after: { thread: newThreadId, title: input.title, category: category.slug } } },
        };
      },
    };
  };
}
