import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { mentionedHandles, RENDERER_VERSION, renderMarkdown } from '../../lib/markdown.js';
import { refuseWhileWarned } from '../moderation/warnings.js';
import type { Viewer } from './access.js';

/** A member about to post: who, and since when (their first days have their own limit). */
export interface Poster extends Viewer {
  joinedAt: Date;
}

const DAY_MS = 86_400_000;
const HOUR_SECONDS = 3600;

/**
 * Threads and replies a member may post this hour: fewer in their first days
 * (NEW_MEMBER_DAYS), when a new account is most likely to be a spammer's. Callers claim it once they know the post is new
 * (a resubmitted form costs nothing); a post refused for the limit still counts. Every posting
 * path comes through here, so here too a member with an unread warning is refused (a 403 linking
 * to it), read on `db`: the caller's transaction when it holds one.
 */
export async function claimPostingBudget(deps: Pick<Deps, 'counters' | 'settings' | 'now'>, poster: Poster, db: Db): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }> {
  await refuseWhileWarned(db, poster.id);
  const isNew = deps.now().getTime() - poster.joinedAt.getTime() < deps.settings.current.NEW_MEMBER_DAYS * DAY_MS;
  const limit = isNew ? deps.settings.current.RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR : deps.settings.current.RATE_LIMIT_POSTS_PER_HOUR;
  const window = await deps.counters.hit(`posts:member:${poster.id}`, HOUR_SECONDS);
  return window.count <= limit ? { ok: true } : { ok: false, retryAfterSeconds: window.resetInSeconds };
}

// As Discourse's default: a post that names dozens of members is a broadcast, not a mention,
// and must not become a way to notify the whole community. Every @handle is still linked.
export const MENTIONS_NOTIFIED_PER_POST = 10;

/** A body as stored: its source, the sanitised HTML, and who it mentions (the first ten notified). */
export function renderBody(source: string): { bodySource: string; bodyHtml: string; rendererVersion: number; mentions: string[] } {
  return { bodySource: source, bodyHtml: renderMarkdown(source), rendererVersion: RENDERER_VERSION, mentions: mentionedHandles(source).slice(0, MENTIONS_NOTIFIED_PER_POST) };
}
