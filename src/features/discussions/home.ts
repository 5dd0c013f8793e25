import type { Deps } from '../../deps.js';
import type { Viewer } from './access.js';
import { listRecentThreads, listSiteWidePins, withSiteWidePinsFirst, type ThreadListItem } from './queries/threads.js';
import { markedWithinWindow, UNREAD_WINDOW_DAYS, unreadSince } from './unread.js';

// A screenful of each: the rest is a click away at /c.
const HOME_THREADS = 10;

export interface Home {
  /** Threads with posts the member has not read, active in the unread window (as /c counts them). */
  unread: ThreadListItem[];
  /** Site-wide pins, then the latest activity in every category the member may see. */
  recent: ThreadListItem[];
  /** The page says how far back "unread" looks. */
  unreadWindowDays: number;
}

/** What a signed-in member's home page shows of discussions (the page itself is the pages feature's). */
export async function loadHome(deps: Pick<Deps, 'db' | 'now'>, viewer: Viewer & { joinedAt: Date }): Promise<Home> {
  const since = unreadSince(viewer.joinedAt, deps.now());
  const [unread, recent, pins] = await Promise.all([
    listRecentThreads(deps.db, viewer, { limit: HOME_THREADS, unreadOnly: true, activeSince: since }),
    listRecentThreads(deps.db, viewer, { limit: HOME_THREADS }),
    listSiteWidePins(deps.db, viewer),
  ]);
  return { unread, recent: markedWithinWindow(withSiteWidePinsFirst(pins, recent), since), unreadWindowDays: UNREAD_WINDOW_DAYS };
}
