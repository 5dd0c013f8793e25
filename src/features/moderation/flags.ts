import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { Forbidden, NotFound } from '../../lib/errors.js';
import type { Viewer } from '../discussions/access.js';
import { countContributions, settleCounts } from '../discussions/queries/counts.js';
import { findPostToChange, type PostToChange } from '../discussions/queries/edits.js';
import { bumpLibraryVersion } from '../resources/queries/library.js';
import { hideDiscussionWithResource } from '../resources/discussion.js';
import { findResource, type Resource } from '../resources/queries/resources.js';
import { MODERATION_MESSAGES as M } from './messages.js';
import { countOpenFlags, hasFlagged, insertFlag, insertModerationNotifications, lockPost, lockResource, resolveOpenFlags, setPostHidden, setResourceHidden, type FlagTarget } from './queries/flags.js';
import { findPostPlace, findResourcePlace } from './queries/members.js';
import type { FlagForm } from './schemas.js';
import { refuseWhileWarned } from './warnings.js';

/**
 * A post a member may flag: one they can see (404 otherwise, as anything they cannot see), still
 * there, and not their own (403: flagging oneself says nothing a moderator needs).
 */
export async function postToFlag(deps: Pick<Deps, 'db'>, viewer: Viewer, postId: number): Promise<PostToChange> {
  const post = await findPostToChange(deps.db, viewer, postId);
  if (!post || post.threadDeleted || post.deleted || post.hidden) throw new NotFound(post && !post.threadDeleted ? M.postGone : undefined);
  if (post.authorId === viewer.id) throw new Forbidden(M.ownContent);
  return post;
}

/** A resource a member may flag: in the library for them, and shared by someone else. */
export async function resourceToFlag(deps: Pick<Deps, 'db'>, viewer: Viewer, resourceId: number): Promise<Resource> {
  const resource = await findResource(deps.db, viewer, resourceId);
  if (!resource || resource.removed || resource.hidden) throw new NotFound();
  if (resource.sharerId === viewer.id) throw new Forbidden(M.ownContent);
  return resource;
}

export async function alreadyFlagged(deps: Pick<Deps, 'db'>, target: FlagTarget, viewer: Viewer): Promise<boolean> {
  return hasFlagged(deps.db, target, viewer.id);
}

export type FlagResult = 'flagged' | 'flagged-and-hidden' | 'already-flagged';

/**
 * Records the member's flag. The item's row is locked first, so flags arriving together are
 * counted one after another: the one that reaches FLAG_HIDE_THRESHOLD hides the item (with no
 * moderator and no reason: hidden by flags, until a moderator reviews it), once.
 */
export async function flagItem(deps: Pick<Deps, 'db' | 'settings'>, flagger: Viewer, target: FlagTarget, form: FlagForm): Promise<FlagResult> {
  return inTransaction(deps.db, async (trx) => {
    // Flagging is posting to the moderators: a member with an unread warning reads it first.
    await refuseWhileWarned(trx, flagger.id);
    const locked = target.kind === 'post' ? await lockPost(trx, target.id) : await lockResource(trx, target.id);
    if (!locked) throw new NotFound();
    if (!(await insertFlag(trx, target, { flaggerId: flagger.id, reason: form.reason, note: form.note }))) return 'already-flagged';
    if (locked.hiddenAt !== null || (await countOpenFlags(trx, target)) < deps.settings.current.FLAG_HIDE_THRESHOLD) return 'flagged';
    if ('position' in locked) {
      const before = await countContributions(trx, [locked.threadId]);
      await setPostHidden(trx, locked, { by: null, reason: null });
      await settleCounts(trx, before, [locked.threadId]);
    } else {
      await setResourceHidden(trx, target.id, { by: null, reason: null });
      await hideDiscussionWithResource(trx, locked.threadId, { actorLabel: 'system' });
      await bumpLibraryVersion(trx);
    }
    await insertAuditEvent(trx, {
      actorLabel: 'system',
      action: `${target.kind}.hidden_by_flags`,
      targetType: target.kind,
      targetId: target.id,
      subjectMemberId: 'authorId' in locked ? locked.authorId : locked.sharerId,
      details: { before: { hidden: false }, after: { hidden: true }, threshold: deps.settings.current.FLAG_HIDE_THRESHOLD },
    });
    return 'flagged-and-hidden';
  });
}

/**
 * Flagged content taken down outside the queue (its author deleted it, or removed what they
 * shared): its open flags are resolved as deleted and the flaggers told, in the removal's
 * transaction, so the queue never lists what is gone. `by` is staff acting outside the queue,
 * null for the author.
 */
export async function resolveFlagsOnRemovedContent(trx: Db, target: FlagTarget, by: number | null): Promise<void> {
  const flaggerIds = await resolveOpenFlags(trx, target, { by, outcome: 'deleted' });
  if (flaggerIds.length === 0) return;
  const place = target.kind === 'post' ? await findPostPlace(trx, target.id) : await findResourcePlace(trx, target.id);
  if (place) await insertModerationNotifications(trx, { memberIds: flaggerIds, kind: 'flag_outcome', actorId: by, threadId: place.threadId, postId: place.postId });
}
