import type { ThreadListItem } from './queries/threads.js';

/**
 * What "unread" means on /c and the signed-in home page (docs/decisions/0009-unread-is-recent.md):
 * a thread with posts in the last UNREAD_WINDOW_DAYS, and since the member joined, that they have
 * not read to the end. Thread lists mark the same threads as new or unread, and no others.
 */

// A month: about the longest a member is away (leave, a busy quarter) and still catches up thread
// by thread; anything older they find by browsing, newest first. It also makes the counts cost
// what the forum's last month holds rather than everything since the member joined, as
// Discourse bounds its "new" topics by a window (two days by default).
export const UNREAD_WINDOW_DAYS = 30;

// Past this many, /c says "20+". Whether a category holds 30 or 3,000 unread threads, the
// member's next step is the same; and a count that stops at 21 walks a category's newest threads
// only until it has found them, so one with 3,000 unread costs what one with 21 does. (At 100,
// the planner expected fewer unread threads than the limit and read every thread of the month
// instead: 3,500 blocks for /c on the benchmark's full forum, against 490 at 20.)
export const UNREAD_THREADS_COUNTED_UP_TO = 20;

const DAY_MS = 86_400_000;

/** The earliest last activity that can make a thread unread for a member who joined at `joinedAt`. */
export function unreadSince(joinedAt: Date, now: Date): Date {
  const windowStart = new Date(now.getTime() - UNREAD_WINDOW_DAYS * DAY_MS);
  return joinedAt > windowStart ? joinedAt : windowStart;
}

/** A category's unread count as /c shows it: "20+" past the cap. */
export function unreadThreadsText(count: number): string {
  return count > UNREAD_THREADS_COUNTED_UP_TO ? `${UNREAD_THREADS_COUNTED_UP_TO}+` : String(count);
}

/**
 * A list's threads as it marks them: one last active before `since` (unreadSince) shows no
 * "new" or "N unread", so a list never marks what the counts and the home page leave out.
 */
export function markedWithinWindow(threads: ThreadListItem[], since: Date): ThreadListItem[] {
  return threads.map((thread) => (thread.lastPostedAt > since ? thread : { ...thread, unreadPosts: 0 }));
}
