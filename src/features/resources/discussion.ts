import type { Db } from '../../db/types.js';
import { insertAuditEvent, type AuditEntry } from '../../lib/audit.js';
import { countContributions, lockThreads, settleCounts } from '../discussions/queries/counts.js';
import { setThreadHiddenWithResource } from './queries/resources.js';

/** Who hid the resource: the remover, or 'system' when flags hid it. */
export type ResourceActor = Pick<AuditEntry, 'actorMemberId' | 'actorLabel'>;

/**
 * A resource's discussion leaves with the resource (removed, or hidden by flags): it carries the
 * resource's title and its replies quote it. Marked as hidden with the resource unless it was
 * already hidden on its own account, so showing the resource again brings back only what this
 * took; the category's counts follow, and the thread's own record says why it went.
 */
export async function hideDiscussionWithResource(trx: Db, threadId: number, actor: ResourceActor): Promise<void> {
  await lockThreads(trx, [threadId]);
  const before = await countContributions(trx, [threadId]);
  const hidden = await setThreadHiddenWithResource(trx, threadId);
  if (!hidden) return;
  await settleCounts(trx, before, [threadId]);
  await insertAuditEvent(trx, {
    ...actor,
    action: 'thread.hidden',
    targetType: 'thread',
    targetId: threadId,
    subjectMemberId: hidden.authorId,
    details: { reason: 'hidden with its resource', before: { hidden: false }, after: { hidden: true } },
  });
}
