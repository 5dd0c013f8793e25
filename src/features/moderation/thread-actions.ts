import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { NotFound } from '../../lib/errors.js';
import type { Viewer } from '../discussions/access.js';
import { countContributions, settleCounts } from '../discussions/queries/counts.js';
import { slugify } from '../discussions/slug.js';
import { insertThreadAuthorNotification } from './queries/flags.js';
import {
  findCategoryForModerator,
  findThreadForModerator,
  insertTitleRevision,
  lockThreadsForAction,
  updateThreadAtVersion,
  type ThreadChange,
  type ThreadUnderAction,
} from './queries/threads.js';
import { THREAD_ACTION_MESSAGES } from './messages.js';

export type ThreadActionResult =
  | { kind: 'done'; message: string; threadId: number }
  | { kind: 'unchanged'; threadId: number }
  /** Another action moved the version on: nothing written, and the thread as it now is. */
  | { kind: 'stale'; current: ThreadUnderAction }
  | { kind: 'refused'; field: string; message: string };

/** What an action will do to the thread it read; the runner decides whether it may. */
export type Decision =
  | { kind: 'unchanged' }
  | { kind: 'refused'; field: string; message: string }
  | { kind: 'perform'; perform: (trx: Db) => Promise<{ message: string; threadId: number; audit: AuditOf }> };

interface AuditOf {
  action: string;
  details: { reason?: string; before?: Record<string, unknown>; after?: Record<string, unknown> };
}

/** An action: what it will do to the thread (and any other threads it locked with it). */
export type ThreadDecider = (trx: Db, thread: ThreadUnderAction, others: ThreadUnderAction[]) => Promise<Decision>;

// Thrown inside the transaction to undo what it wrote; never leaves this module.
class Stale extends Error {}

/**
 * One moderator's action on one thread, in one transaction: the thread's row locked, then (in
 * this order) nothing to do, a stale version (409), a refusal (422), or the change with its
 * audit row. Nothing is written unless the action is performed.
 */
export async function actOnThread(
  deps: Pick<Deps, 'db'>,
  moderator: Viewer,
  threadId: number,
  seenVersion: number,
  decide: ThreadDecider,
  { alsoLock = [] }: { alsoLock?: number[] } = {},
): Promise<ThreadActionResult> {
  try {
    return await inTransaction(deps.db, async (trx): Promise<ThreadActionResult> => {
      // Every thread the action changes is locked in one statement, in id order, so two merges
      // of one pair in opposite directions wait for each other instead of deadlocking.
      const locked = await lockThreadsForAction(trx, moderator, [threadId, ...alsoLock]);
      const thread = locked.find((row) => row.id === threadId);
      if (!thread) throw new NotFound();
      if (thread.mergedIntoId !== null) return { kind: 'refused', field: '_form', message: THREAD_ACTION_MESSAGES.mergedAway };
      const decision = await decide(trx, thread, locked.filter((row) => row !== thread));
      if (decision.kind === 'unchanged') return { kind: 'unchanged', threadId: thread.id };
      if (thread.version !== seenVersion) return { kind: 'stale', current: thread };
      if (decision.kind === 'refused') return decision;
      const done = await performDecision(trx, moderator, thread, locked, decision);
      return { kind: 'done', message: done.message, threadId: done.threadId };
    });
  } catch (error) {
    if (!(error instanceof Stale)) throw error;
    const current = await findThreadForModerator(deps.db, moderator, threadId);
    if (!current) throw new NotFound();
    return { kind: 'stale', current };
  }
}

/**
 * Carries out a decision on threads locked for it: the change, the counts settled after it (a
 * split's new thread included), and the audit row. Resource actions use it for the resource's
 * discussion (resource-threads.ts).
 */
export async function performDecision(trx: Db, moderator: Viewer, thread: ThreadUnderAction, locked: ThreadUnderAction[], decision: Extract<Decision, { kind: 'perform' }>): Promise<{ message: string; threadId: number }> {
  const threadIds = locked.map((row) => row.id);
  const before = await countContributions(trx, threadIds);
  const done = await decision.perform(trx);
  await settleCounts(trx, before, [...new Set([...threadIds, done.threadId])]);
  await insertAuditEvent(trx, { actorMemberId: moderator.id, action: done.audit.action, targetType: 'thread', targetId: thread.id, subjectMemberId: thread.authorId, details: done.audit.details });
  return done;
}

/** The version check itself: the row is locked, so it fails only if the runner's check was wrong. */
export async function writeThread(trx: Db, thread: ThreadUnderAction, change: ThreadChange): Promise<void> {
  if (!(await updateThreadAtVersion(trx, thread.id, thread.version, change))) throw new Stale();
}

function simple(thread: ThreadUnderAction, action: string, message: string, before: Record<string, unknown>, after: Record<string, unknown>, change: ThreadChange, reason?: string): Decision {
  return {
    kind: 'perform',
    perform: async (trx) => {
      await writeThread(trx, thread, change);
      return { message, threadId: thread.id, audit: { action, details: { ...(reason === undefined ? {} : { reason }), before, after } } };
    },
  };
}

export const lockThread = async (_trx: Db, thread: ThreadUnderAction): Promise<Decision> =>
  thread.lockedAt ? { kind: 'unchanged' } : simple(thread, 'thread.locked', THREAD_ACTION_MESSAGES.locked, { locked: false }, { locked: true }, { locked_at: sql<Date>`now()` });

export const unlockThread = async (_trx: Db, thread: ThreadUnderAction): Promise<Decision> =>
  !thread.lockedAt ? { kind: 'unchanged' } : simple(thread, 'thread.unlocked', THREAD_ACTION_MESSAGES.unlocked, { locked: true }, { locked: false }, { locked_at: null });

function pinState(thread: ThreadUnderAction): 'none' | 'category' | 'site' {
  return thread.pinnedAt === null ? 'none' : thread.pinnedSiteWide ? 'site' : 'category';
}

export function pinThread(scope: 'category' | 'site') {
  return async (_trx: Db, thread: ThreadUnderAction): Promise<Decision> => {
    const before = pinState(thread);
    if (before === scope) return { kind: 'unchanged' };
    // Moving a pin between category and site keeps its time: the order among pins stays.
    const change = { pinned_at: thread.pinnedAt ?? sql<Date>`now()`, pinned_site_wide: scope === 'site' };
    return simple(thread, 'thread.pinned', scope === 'site' ? THREAD_ACTION_MESSAGES.pinnedSiteWide : THREAD_ACTION_MESSAGES.pinned, { pinned: before }, { pinned: scope }, change);
  };
}

export const unpinThread = async (_trx: Db, thread: ThreadUnderAction): Promise<Decision> =>
  thread.pinnedAt === null ? { kind: 'unchanged' } : simple(thread, 'thread.unpinned', THREAD_ACTION_MESSAGES.unpinned, { pinned: pinState(thread) }, { pinned: 'none' }, { pinned_at: null, pinned_site_wide: false });

export function renameThread(moderator: Viewer, title: string) {
  return async (_trx: Db, thread: ThreadUnderAction): Promise<Decision> => {
    if (title === thread.title) return { kind: 'unchanged' };
    return {
      kind: 'perform',
      perform: async (trx) => {
        await writeThread(trx, thread, { title, slug: slugify(title), title_edited_at: sql<Date>`now()` });
        // Kept as the author's own edits are, so the revisions page shows every title it had.
        await insertTitleRevision(trx, { threadId: thread.id, title: thread.title, replacedBy: moderator.id });
        return { message: THREAD_ACTION_MESSAGES.renamed, threadId: thread.id, audit: { action: 'thread.renamed', details: { before: { title: thread.title }, after: { title } } } };
      },
    };
  };
}

export function moveThread(moderator: Viewer, categorySlug: string) {
  return async (trx: Db, thread: ThreadUnderAction): Promise<Decision> => {
    const category = await findCategoryForModerator(trx, moderator, categorySlug);
    if (category?.id === thread.categoryId) return { kind: 'unchanged' };
    if (!category) return { kind: 'refused', field: 'category', message: THREAD_ACTION_MESSAGES.noSuchCategory };
    if (thread.resourceId !== null) return { kind: 'refused', field: 'category', message: THREAD_ACTION_MESSAGES.resourceThread };
    return {
      kind: 'perform',
      perform: async (db) => {
        await writeThread(db, thread, { category_id: category.id });
        return {
          message: THREAD_ACTION_MESSAGES.moved(category.name),
          threadId: thread.id,
          audit: { action: 'thread.moved', details: { before: { category: thread.categorySlug }, after: { category: category.slug } } },
        };
      },
    };
  };
}

type Visibility = 'hidden' | 'deleted';

/** Hide or delete, and their undoing (the runner settles the counts: hiding a deleted thread moves none). */
export function setThreadVisibility(which: Visibility, on: boolean, reason?: string) {
  return async (_trx: Db, thread: ThreadUnderAction): Promise<Decision> => {
    const current = which === 'hidden' ? thread.hiddenAt !== null : thread.deletedAt !== null;
    if (current === on) return { kind: 'unchanged' };
    // Shown on its own, the discussion would show members the title and quotes of what they may not see.
    if (which === 'hidden' && !on && thread.resourceHidden) return { kind: 'refused', field: '_form', message: THREAD_ACTION_MESSAGES.shownWithResource };
    const change = which === 'hidden' ? { hidden_at: on ? sql<Date>`now()` : null, hidden_reason: on ? (reason ?? null) : null, hidden_with_resource: false } : { deleted_at: on ? sql<Date>`now()` : null };
    const action = which === 'hidden' ? (on ? 'thread.hidden' : 'thread.unhidden') : on ? 'thread.deleted' : 'thread.undeleted';
    const message = which === 'hidden' ? (on ? THREAD_ACTION_MESSAGES.hidden : THREAD_ACTION_MESSAGES.unhidden) : on ? THREAD_ACTION_MESSAGES.deleted : THREAD_ACTION_MESSAGES.undeleted;
    return {
      kind: 'perform',
      perform: async (db) => {
        await writeThread(db, thread, change);
        if (on) await insertThreadAuthorNotification(db, thread);
        const details = { ...(on && reason !== undefined ? { reason } : {}), before: { [which]: current, ...(which === 'hidden' && thread.hiddenReason ? { reason: thread.hiddenReason } : {}) }, after: { [which]: on } };
        return { message, threadId: thread.id, audit: { action, details } };
      },
    };
  };
}
