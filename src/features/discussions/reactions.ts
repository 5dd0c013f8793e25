import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import type { Viewer } from './access.js';
import type { PostLocation } from './queries/posts.js';
import { addHelpful, lockMarkablePost, removeHelpful } from './queries/reactions.js';

const HOUR_SECONDS = 3600;

export type HelpfulResult = { kind: 'done' } | { kind: 'own-post' } | { kind: 'gone' } | { kind: 'rate-limited'; retryAfterSeconds: number };

/** Why the viewer may not mark this post helpful (or take it back); undefined when they may. */
export function helpfulRefusal(viewer: Viewer, post: Pick<PostLocation, 'authorId' | 'deleted' | 'hidden'>): 'own-post' | 'gone' | undefined {
  if (post.deleted || post.hidden) return 'gone';
  if (post.authorId === viewer.id) return 'own-post';
  return undefined;
}

/**
 * Gives or takes back the viewer's "helpful" on a post, with its count in the same
 * transaction. `helpful` is the state wanted, not a toggle: a double submit, or twenty at
 * once, change it once. Every attempt past the rules counts toward the hourly limit, whether
 * it changed anything or not. A locked thread still takes them: locking ends the
 * conversation, not the thanks for what helped in it.
 */
export async function setHelpful(deps: Pick<Deps, 'db' | 'counters' | 'settings'>, viewer: Viewer, post: PostLocation, helpful: boolean): Promise<HelpfulResult> {
  const refusal = helpfulRefusal(viewer, post);
  if (refusal) return { kind: refusal };
  const window = await deps.counters.hit(`reactions:member:${viewer.id}`, HOUR_SECONDS);
  if (window.count > deps.settings.current.RATE_LIMIT_REACTIONS_PER_HOUR) return { kind: 'rate-limited', retryAfterSeconds: window.resetInSeconds };
  return inTransaction(deps.db, async (trx): Promise<HelpfulResult> => {
    if (!(await lockMarkablePost(trx, post.id))) return { kind: 'gone' };
    await (helpful ? addHelpful : removeHelpful)(trx, post.id, viewer.id);
    return { kind: 'done' };
  });
}
