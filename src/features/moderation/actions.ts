import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { NotFound } from '../../lib/errors.js';
import type { Viewer } from '../discussions/access.js';
import { deletePost, editPost, type EditResult } from '../discussions/edits.js';
import type { Poster } from '../discussions/posting.js';
import { findPostToChange, type PostToChange } from '../discussions/queries/edits.js';
import { bumpLibraryVersion } from '../resources/queries/library.js';
import { hideDiscussionWithResource } from '../resources/discussion.js';
import { markResourceRemoved } from '../resources/queries/resources.js';
import { countContributions, settleCounts } from '../discussions/queries/counts.js';
import {
  insertModerationNotifications,
  lockPost,
  lockResource,
  resolveOpenFlags,
  setPostHidden,
  setPostRestored,
  setPostShown,
  setResourceHidden,
  setResourceShown,
  setThreadRestored,
  type FlagOutcome,
  type FlagTarget,
  type LockedPost,
  type LockedResource,
} from './queries/flags.js';
import { findModeratedMember } from './queries/members.js';
import { hideResourceThread, showResourceThread } from './resource-threads.js';
import { checkMayModerateContentOf } from './staff.js';

/**
 * A post a moderator acts on: any post in a thread that is still there (a deleted one to restore
 * included) by a member, or by staff when an administrator acts.
 */
export async function postToModerate(deps: Pick<Deps, 'db'>, moderator: Viewer, postId: number): Promise<PostToChange> {
  const post = await findPostToChange(deps.db, moderator, postId);
  if (!post || (post.threadDeleted && !post.deleted)) throw new NotFound();
  checkMayModerateContentOf(moderator, await findModeratedMember(deps.db, post.authorId));
  return post;
}

/** The flaggers hear the outcome, and (when it changed their content) the author hears it too. */
async function tellMembers(trx: Transaction<DB>, notice: { moderatorId: number; flaggerIds: number[]; authorId?: number; threadId: number; postId: number }): Promise<void> {
  await insertModerationNotifications(trx, { memberIds: notice.flaggerIds, kind: 'flag_outcome', actorId: notice.moderatorId, threadId: notice.threadId, postId: notice.postId });
  if (notice.authorId !== undefined) {
    await insertModerationNotifications(trx, { memberIds: [notice.authorId], kind: 'moderation', actorId: notice.moderatorId, threadId: notice.threadId, postId: notice.postId });
  }
}

/** Resolves the item's open flags, audits the action and tells the members, in the caller's transaction. */
export async function recordModerationAction(
  trx: Transaction<DB>,
  moderator: Viewer,
  target: FlagTarget,
  action: { verb: string; outcome: FlagOutcome; subjectMemberId: number; threadId: number; postId: number; tellsAuthor: boolean; details: Record<string, unknown> },
): Promise<void> {
  const flaggerIds = await resolveOpenFlags(trx, target, { by: moderator.id, outcome: action.outcome });
  await insertAuditEvent(trx, {
    actorMemberId: moderator.id,
    action: `${target.kind}.${action.verb}`,
    targetType: target.kind,
    targetId: target.id,
    subjectMemberId: action.subjectMemberId,
    details: { ...action.details, flagsResolved: flaggerIds.length },
  });
  await tellMembers(trx, { moderatorId: moderator.id, flaggerIds, authorId: action.tellsAuthor ? action.subjectMemberId : undefined, threadId: action.threadId, postId: action.postId });
}

/** The post locked for the action, and its thread's counts settled after it (countedPost decides). */
async function withLockedPost<T>(deps: Pick<Deps, 'db'>, postId: number, work: (trx: Transaction<DB>, post: LockedPost) => Promise<T>): Promise<T> {
  return inTransaction(deps.db, async (trx) => {
    const post = await lockPost(trx, postId);
    if (!post) throw new NotFound();
    const before = await countContributions(trx, [post.threadId]);
    const result = await work(trx, post);
    await settleCounts(trx, before, [post.threadId]);
    return result;
  });
}

async function withLockedResource<T>(deps: Pick<Deps, 'db'>, resourceId: number, work: (trx: Transaction<DB>, resource: LockedResource) => Promise<T>): Promise<T> {
  return inTransaction(deps.db, async (trx) => {
    const resource = await lockResource(trx, resourceId);
    if (!resource) throw new NotFound();
    return work(trx, resource);
  });
}

/**
 * Keeps a flagged item: its open flags dismissed, and, if flags hid it, shown again. Nothing to
 * dismiss (another moderator was first, or a second submit) writes nothing.
 */
export async function keepItem(deps: Pick<Deps, 'db'>, moderator: Viewer, target: FlagTarget): Promise<'kept' | 'nothing-to-review'> {
  return target.kind === 'post'
    ? withLockedPost(deps, target.id, async (trx, post) => {
        const hiddenByFlags = post.hiddenAt !== null && post.hiddenBy === null && !post.deleted;
        const flaggerIds = await resolveOpenFlags(trx, target, { by: moderator.id, outcome: 'kept' });
        if (flaggerIds.length === 0 && !hiddenByFlags) return 'nothing-to-review';
        if (hiddenByFlags) await setPostShown(trx, post);
        await insertAuditEvent(trx, { actorMemberId: moderator.id, action: 'flag.dismissed', targetType: 'post', targetId: post.id, subjectMemberId: post.authorId, details: { before: { hidden: hiddenByFlags }, after: { hidden: false }, flagsResolved: flaggerIds.length } });
        await tellMembers(trx, { moderatorId: moderator.id, flaggerIds, threadId: post.threadId, postId: post.id });
        return 'kept';
      })
    : withLockedResource(deps, target.id, async (trx, resource) => {
        const hiddenByFlags = resource.hiddenAt !== null && resource.hiddenBy === null && !resource.removed;
        const flaggerIds = await resolveOpenFlags(trx, target, { by: moderator.id, outcome: 'kept' });
        if (flaggerIds.length === 0 && !hiddenByFlags) return 'nothing-to-review';
        if (hiddenByFlags) {
          await setResourceShown(trx, resource.id);
          await showResourceThread(trx, moderator, resource.threadId);
          await bumpLibraryVersion(trx);
        }
        await insertAuditEvent(trx, { actorMemberId: moderator.id, action: 'flag.dismissed', targetType: 'resource', targetId: resource.id, subjectMemberId: resource.sharerId, details: { before: { hidden: hiddenByFlags }, after: { hidden: false }, flagsResolved: flaggerIds.length } });
        await tellMembers(trx, { moderatorId: moderator.id, flaggerIds, threadId: resource.threadId, postId: resource.firstPostId });
        return 'kept';
      });
}

/** Hides a post from members with a reason its author sees (and tells them). Already hidden by a moderator: nothing written. */
export async function hidePost(deps: Pick<Deps, 'db'>, moderator: Viewer, postId: number, reason: string): Promise<'hidden' | 'already-hidden'> {
  return withLockedPost(deps, postId, async (trx, post) => {
    if (post.deleted) throw new NotFound();
    if (post.hiddenBy !== null) return 'already-hidden';
    await setPostHidden(trx, post, { by: moderator.id, reason });
    await recordModerationAction(trx, moderator, { kind: 'post', id: post.id }, {
      verb: 'hidden',
      outcome: 'hidden',
      subjectMemberId: post.authorId,
      threadId: post.threadId,
      postId: post.id,
      tellsAuthor: true,
      details: { reason, before: { hidden: post.hiddenAt !== null, hiddenReason: post.hiddenReason }, after: { hidden: true, hiddenReason: reason } },
    });
    return 'hidden';
  });
}

/** Shows a hidden post to members again; any open flags on it are dismissed, as a review that kept it. */
export async function unhidePost(deps: Pick<Deps, 'db'>, moderator: Viewer, postId: number): Promise<'shown' | 'not-hidden'> {
  return withLockedPost(deps, postId, async (trx, post) => {
    if (post.deleted) throw new NotFound();
    if (post.hiddenAt === null) return 'not-hidden';
    await setPostShown(trx, post);
    await recordModerationAction(trx, moderator, { kind: 'post', id: post.id }, {
      verb: 'unhidden',
      outcome: 'kept',
      subjectMemberId: post.authorId,
      threadId: post.threadId,
      postId: post.id,
      tellsAuthor: false,
      details: { before: { hidden: true, hiddenReason: post.hiddenReason }, after: { hidden: false } },
    });
    return 'shown';
  });
}

/** Deletes a post as its author would (discussions' path, counts and all), with the moderator's record in the same transaction. */
export async function deletePostAsModerator(deps: Pick<Deps, 'db'>, moderator: Viewer, post: PostToChange, reason: string): Promise<'deleted' | 'already-deleted'> {
  const result = await deletePost(deps, moderator, post, {
    record: (trx) =>
      recordModerationAction(trx, moderator, { kind: 'post', id: post.id }, {
        verb: 'deleted',
        outcome: 'deleted',
        subjectMemberId: post.authorId,
        threadId: post.threadId,
        postId: post.id,
        tellsAuthor: true,
        details: { ...(reason === '' ? {} : { reason }), before: { deleted: false }, after: { deleted: true } },
      }),
  });
  return result.kind === 'already-deleted' ? 'already-deleted' : 'deleted';
}

/**
 * Brings a deleted post back, and its thread if deleting the post had taken it (a thread a
 * moderator deleted as a whole stays deleted: undeleting it is a thread action).
 */
export async function restorePost(deps: Pick<Deps, 'db'>, moderator: Viewer, postId: number): Promise<'restored' | 'not-deleted'> {
  return withLockedPost(deps, postId, async (trx, post) => {
    if (!post.deleted) return 'not-deleted';
    await setPostRestored(trx, post.id);
    if (post.deletedWithThread) await setThreadRestored(trx, post.threadId);
    const threadChange = post.deletedWithThread ? { threadDeleted: true } : {};
    await insertAuditEvent(trx, {
      actorMemberId: moderator.id,
      action: 'post.undeleted',
      targetType: 'post',
      targetId: post.id,
      subjectMemberId: post.authorId,
      details: { before: { deleted: true, ...threadChange }, after: { deleted: false, ...(post.deletedWithThread ? { threadDeleted: false } : {}) } },
    });
    return 'restored';
  });
}

/**
 * A moderator's edit, through discussions' edit path: the replaced text is kept in the post's
 * revisions marked as a moderator's, and the audit row, resolved flags and notices commit with it.
 */
export async function editPostAsModerator(deps: Deps, moderator: Poster, post: PostToChange, input: { version: number; body: string; title?: string }): Promise<EditResult> {
  return editPost(deps, moderator, post, input, {
    record: (trx, retitled) =>
      recordModerationAction(trx, moderator, { kind: 'post', id: post.id }, {
        verb: 'edited',
        outcome: 'edited',
        subjectMemberId: post.authorId,
        threadId: post.threadId,
        postId: post.id,
        tellsAuthor: true,
        details: { before: { version: input.version, ...(retitled && { title: retitled.before }) }, after: { version: input.version + 1, ...(retitled && { title: retitled.after }) } },
      }),
  });
}

/** Hides a resource from the library for members, with a reason its sharer hears. */
export async function hideResource(deps: Pick<Deps, 'db'>, moderator: Viewer, resourceId: number, reason: string): Promise<'hidden' | 'already-hidden'> {
  return withLockedResource(deps, resourceId, async (trx, resource) => {
    if (resource.removed) throw new NotFound();
    if (resource.hiddenBy !== null) return 'already-hidden';
    await setResourceHidden(trx, resource.id, { by: moderator.id, reason });
    await bumpLibraryVersion(trx);
    await hideResourceThread(trx, moderator, resource.threadId, reason);
    await recordModerationAction(trx, moderator, { kind: 'resource', id: resource.id }, {
      verb: 'hidden',
      outcome: 'hidden',
      subjectMemberId: resource.sharerId,
      threadId: resource.threadId,
      postId: resource.firstPostId,
      tellsAuthor: true,
      details: { reason, before: { hidden: resource.hiddenAt !== null, hiddenReason: resource.hiddenReason }, after: { hidden: true, hiddenReason: reason } },
    });
    return 'hidden';
  });
}

/**
 * Shows a hidden resource (by a moderator or by flags) to members again, with the discussion
 * hiding it hid; its sharer is told, and any open flags are dismissed as a review that kept it.
 */
export async function unhideResource(deps: Pick<Deps, 'db'>, moderator: Viewer, resourceId: number): Promise<'unhidden' | 'not-hidden'> {
  return withLockedResource(deps, resourceId, async (trx, resource) => {
    if (resource.removed) throw new NotFound();
    if (resource.hiddenAt === null) return 'not-hidden';
    await setResourceShown(trx, resource.id);
    await bumpLibraryVersion(trx);
    await showResourceThread(trx, moderator, resource.threadId);
    await recordModerationAction(trx, moderator, { kind: 'resource', id: resource.id }, {
      verb: 'unhidden',
      outcome: 'kept',
      subjectMemberId: resource.sharerId,
      threadId: resource.threadId,
      postId: resource.firstPostId,
      tellsAuthor: true,
      details: { before: { hidden: true, hiddenReason: resource.hiddenReason }, after: { hidden: false } },
    });
    return 'unhidden';
  });
}

/** Removes a resource from the library, as the resource page's remove action does, with the queue's record. */
export async function removeResourceAsModerator(deps: Pick<Deps, 'db'>, moderator: Viewer, resourceId: number, reason: string): Promise<'removed' | 'already-removed'> {
  return withLockedResource(deps, resourceId, async (trx, resource) => {
    const removed = await markResourceRemoved(trx, resource.id, moderator.id);
    if (!removed) return 'already-removed';
    await hideDiscussionWithResource(trx, removed.threadId, { actorMemberId: moderator.id });
    await bumpLibraryVersion(trx);
    await recordModerationAction(trx, moderator, { kind: 'resource', id: resource.id }, {
      verb: 'removed',
      outcome: 'deleted',
      subjectMemberId: resource.sharerId,
      threadId: resource.threadId,
      postId: resource.firstPostId,
      tellsAuthor: true,
      details: { ...(reason === '' ? {} : { reason }), title: resource.title, before: { removed: false }, after: { removed: true } },
    });
    return 'removed';
  });
}
