import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import type { Viewer } from '../discussions/access.js';
import { addResourceHelpful, lockLiveResource, removeResourceHelpful } from './queries/reactions.js';
import type { Resource } from './queries/resources.js';

const HOUR_SECONDS = 3600;

export type ResourceHelpfulResult = { kind: 'done' } | { kind: 'own-resource' } | { kind: 'gone' } | { kind: 'rate-limited'; retryAfterSeconds: number };

/** Whether the viewer may say a resource helped them (or take it back): not their own, not a removed or hidden one. */
export function mayMarkResourceHelpful(viewer: Viewer, resource: Pick<Resource, 'sharerId' | 'removed' | 'hidden'>): boolean {
  return !resource.removed && !resource.hidden && resource.sharerId !== viewer.id;
}

/**
 * Gives or takes back the viewer's "helpful" on a resource, with its count, as on a post: the
 * state wanted rather than a toggle, so a double submit changes it once, and every attempt
 * counts toward the same hourly limit as posts' reactions.
 */
export async function setResourceHelpful(deps: Pick<Deps, 'db' | 'counters' | 'settings'>, viewer: Viewer, resource: Pick<Resource, 'id' | 'sharerId' | 'removed' | 'hidden'>, helpful: boolean): Promise<ResourceHelpfulResult> {
  if (resource.removed || resource.hidden) return { kind: 'gone' };
  if (resource.sharerId === viewer.id) return { kind: 'own-resource' };
  const window = await deps.counters.hit(`reactions:member:${viewer.id}`, HOUR_SECONDS);
  if (window.count > deps.settings.current.RATE_LIMIT_REACTIONS_PER_HOUR) return { kind: 'rate-limited', retryAfterSeconds: window.resetInSeconds };
  return inTransaction(deps.db, async (trx): Promise<ResourceHelpfulResult> => {
    if (!(await lockLiveResource(trx, resource.id))) return { kind: 'gone' };
    await (helpful ? addResourceHelpful : removeResourceHelpful)(trx, resource.id, viewer.id);
    return { kind: 'done' };
  });
}
