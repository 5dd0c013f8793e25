import type { Db } from '../../db/types.js';
import type { Viewer } from '../discussions/access.js';
import { lockThreadsForAction, markThreadHiddenWithResource, type ThreadUnderAction } from './queries/threads.js';
import { performDecision, setThreadVisibility, type ThreadDecider } from './thread-actions.js';

/*
 * A resource's discussion carries its title and quotes it, so it is hidden with the resource and
 * shown again with it. Both go through the thread actions' own hide (the version and the author's
 * notice) and settle the counts as their runner does, with the thread's own audit row, in the
 * resource's transaction.
 */

async function perform(trx: Db, moderator: Viewer, thread: ThreadUnderAction, decide: ThreadDecider): Promise<boolean> {
  const decision = await decide(trx, thread, []);
  if (decision.kind !== 'perform') return false;
  await performDecision(trx, moderator, thread, [thread], decision);
  return true;
}

/** Hides the discussion with its resource; one a moderator already hid on its own account is left as it is. */
export async function hideResourceThread(trx: Db, moderator: Viewer, threadId: number, reason: string): Promise<void> {
  const [thread] = await lockThreadsForAction(trx, moderator, [threadId]);
  if (thread && (await perform(trx, moderator, thread, setThreadVisibility('hidden', true, reason)))) await markThreadHiddenWithResource(trx, thread.id);
}

/** Shows the discussion again if hiding the resource hid it; one a moderator hid by itself stays hidden. */
export async function showResourceThread(trx: Db, moderator: Viewer, threadId: number): Promise<void> {
  const [thread] = await lockThreadsForAction(trx, moderator, [threadId]);
  if (thread?.hiddenWithResource) await perform(trx, moderator, thread, setThreadVisibility('hidden', false));
}
