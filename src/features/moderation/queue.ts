import type { Deps } from '../../deps.js';
import { resourcePath } from '../resources/content.js';
import { threadPath } from '../discussions/routes/paths.js';
import { listMembersAwaitingApproval, type MemberAwaitingApproval } from './queries/approvals.js';
import { listHeldPosts, type HeldPost } from './queries/held-posts.js';
import { countQueue, type QueueCounts } from './queries/queue-count.js';
import { listContextPosts, listFlaggedItems, listOpenFlags, listQueuedPosts, listQueuedResources, type OpenFlag, type QueuedPost, type QueuedResource } from './queries/queue.js';
import { CONTEXT_POSTS, FLAG_REASONS, QUEUE_ITEMS_PER_PAGE, type FlagReason } from './schemas.js';

/** The stored, sanitised HTML under the name templates may print raw. */
type ShownQueuedPost = QueuedPost & { body_html: string };

const shownPost = (post: QueuedPost): ShownQueuedPost => ({ ...post, body_html: post.bodyHtml });

export interface ShownFlag extends OpenFlag {
  reasonLabel: string;
}

/** One item in the queue as the page shows it: the post (with the posts before it) or the resource, and its flags. */
export interface QueueItem {
  key: string;
  firstFlaggedAt: Date;
  flags: ShownFlag[];
  post?: ShownQueuedPost & { threadHref: string; context: ShownQueuedPost[] };
  resource?: QueuedResource & { href: string };
  /** The member the content is by: the warn and suspend links are theirs. */
  authorId: number;
}

/**
 * The review queue: members awaiting approval and held posts (on the first page; a moderator
 * works down them, and more than APPROVALS_LISTED waiting is a backlog the counts show), then a page of
 * flagged items. Each list oldest first, each counted by the predicates the staff header uses.
 */
export interface Queue {
  counts: QueueCounts;
  members: MemberAwaitingApproval[];
  posts: ShownHeldPost[];
  items: QueueItem[];
  pageCount: number;
}

type ShownHeldPost = HeldPost & { body_html: string; repeatedText: boolean };

export const APPROVALS_LISTED = 100;

export async function loadQueue(deps: Pick<Deps, 'db'>, page: number): Promise<Queue | undefined> {
  const counts = await countQueue(deps.db);
  const pageCount = Math.max(1, Math.ceil(counts.flagged / QUEUE_ITEMS_PER_PAGE));
  if (page > pageCount) return undefined;
  const firstPage = page === 1;
  const [members, posts, items] = await Promise.all([
    firstPage ? listMembersAwaitingApproval(deps.db, APPROVALS_LISTED) : [],
    firstPage ? listHeldPosts(deps.db, APPROVALS_LISTED) : [],
    loadFlaggedItems(deps, page),
  ]);
  return { counts, members, posts: posts.map((post) => ({ ...post, body_html: post.bodyHtml, repeatedText: post.reason === 'repeated_text' })), items, pageCount };
}

async function loadFlaggedItems(deps: Pick<Deps, 'db'>, page: number): Promise<QueueItem[]> {
  const entries = await listFlaggedItems(deps.db, { limit: QUEUE_ITEMS_PER_PAGE, offset: (page - 1) * QUEUE_ITEMS_PER_PAGE });
  const postIds = entries.flatMap((entry) => (entry.postId === null ? [] : [entry.postId]));
  const resourceIds = entries.flatMap((entry) => (entry.resourceId === null ? [] : [entry.resourceId]));
  const [flags, posts, resources] = await Promise.all([listOpenFlags(deps.db, { postIds, resourceIds }), listQueuedPosts(deps.db, postIds), listQueuedResources(deps.db, resourceIds)]);
  const context = await listContextPosts(deps.db, posts, CONTEXT_POSTS);
  const shownFlag = (flag: OpenFlag): ShownFlag => ({ ...flag, reasonLabel: FLAG_REASONS[flag.reason as FlagReason] ?? flag.reason });
  return entries.flatMap((entry): QueueItem[] => {
    if (entry.postId !== null) {
      const post = posts.find((candidate) => candidate.id === entry.postId);
      if (!post) return [];
      return [
        {
          key: `post-${post.id}`,
          firstFlaggedAt: entry.firstFlaggedAt,
          flags: flags.filter((flag) => flag.postId === post.id).map(shownFlag),
          post: {
            ...shownPost(post),
            threadHref: threadPath({ id: post.threadId, slug: post.threadSlug }),
            context: context.filter((earlier) => earlier.threadId === post.threadId && earlier.position < post.position && earlier.position >= post.position - CONTEXT_POSTS).map(shownPost),
          },
          authorId: post.authorId,
        },
      ];
    }
    const resource = resources.find((candidate) => candidate.id === entry.resourceId);
    if (!resource) return [];
    return [{ key: `resource-${resource.id}`, firstFlaggedAt: entry.firstFlaggedAt, flags: flags.filter((flag) => flag.resourceId === resource.id).map(shownFlag), resource: { ...resource, href: resourcePath(resource) }, authorId: resource.sharerId }];
  });
}
