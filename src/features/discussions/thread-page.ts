import type { Deps } from '../../deps.js';
import { excerpt, RENDERER_VERSION, renderMarkdown } from '../../lib/markdown.js';
import { fileUrl } from '../resources/files/filename.js';
import { listAttachedFiles, type AttachedFile } from '../resources/files/queries.js';
import { ALLOWED_FILE_TYPES } from '../resources/files/received-file.js';
import { fileLink, type FileLink } from '../resources/files/file-link.js';
import { APPROVAL_MESSAGES } from '../moderation/messages.js';
import { isStaff, type Viewer } from './access.js';
import { answerRefusal, mayChooseAnswer } from './answers.js';
import { DISCUSSION_MESSAGES } from './messages.js';
import { findAnswer, listPostsById, listPostsByPosition, listReplyTree, updateRenderedPosts, type PostView } from './queries/posts.js';
import { markRead } from './queries/reading.js';
import { helpfulRefusal } from './reactions.js';
import type { Thread } from './queries/threads.js';
import { POSTS_PER_PAGE } from './schemas.js';
import { threadedOrder } from './tree.js';

export interface ShownPost extends PostView {
  /** The sanitised body the template shows; empty when the post is withheld from this viewer. */
  body_html: string;
  shownDepth: number;
  /** The first post this viewer had not read before this visit: the "new" divider goes above it. */
  firstUnread: boolean;
  replyToExcerpt: string | null;
  /** "3 found this helpful: A, B and C"; null when nobody has said so. */
  helpfulSummary: string | null;
  /** Why it is hidden, for its author and staff; never for other members. */
  shownHiddenReason: string | null;
  /** Staff get the moderation links; members the flag link (on others' posts). */
  mayModerate: boolean;
  mayFlag: boolean;
  /** Which buttons this viewer gets on this post. */
  mayMarkHelpful: boolean;
  mayMarkAnswer: boolean;
  mayUnmarkAnswer: boolean;
  /** To its author and staff: the post waits for a moderator, or why a moderator rejected it. */
  heldNotice: string | null;
  /** Images shown in the post, and other files to download; none when the post is withheld. */
  images: ShownImage[];
  downloads: ShownDownload[];
}

export interface ShownImage {
  href: string;
  altText: string;
  width: number | null;
  height: number | null;
}

export type ShownDownload = FileLink;

export interface ThreadPage {
  posts: ShownPost[];
  answer: ShownPost | undefined;
  page: number;
  pageCount: number;
}

// Long enough to recognise the post replied to, short enough for one line on a phone.
const REPLY_EXCERPT_CHARS = 120;

export function pageCountOf(thread: Pick<Thread, 'postCount'>): number {
  return Math.max(1, Math.ceil(thread.postCount / POSTS_PER_PAGE));
}

export function pageOfPosition(position: number): number {
  return Math.ceil(position / POSTS_PER_PAGE);
}

/**
 * One page of a thread. Flat: positions are a range, so page N costs what page 1 does. The
 * threaded view orders the whole reply tree first (ids only), then reads one page of posts.
 * The viewer's read position moves forward past what they were shown (at most one row).
 */
export async function loadThreadPage(deps: Pick<Deps, 'db'>, viewer: Viewer, thread: Thread, page: number, view: 'flat' | 'threaded'): Promise<ThreadPage | undefined> {
  const pageCount = pageCountOf(thread);
  if (page > pageCount) return undefined;
  let posts: PostView[];
  let depths = new Map<number, number>();
  if (view === 'threaded') {
    const order = threadedOrder(await listReplyTree(deps.db, thread.id)).slice((page - 1) * POSTS_PER_PAGE, page * POSTS_PER_PAGE);
    depths = new Map(order.map((entry) => [entry.id, entry.shownDepth]));
    posts = await listPostsById(deps.db, viewer, RENDERER_VERSION, thread.id, order.map((entry) => entry.id));
  } else {
    posts = await listPostsByPosition(deps.db, viewer, RENDERER_VERSION, thread.id, (page - 1) * POSTS_PER_PAGE + 1, page * POSTS_PER_PAGE);
  }
  // Page 1 shows the accepted answer under the first post: one of the page's own posts (the
  // same object, rendered once) when it stands there, else a query of its own.
  const answer =
    page === 1 && thread.answerPosition !== null
      ? (posts.find((post) => post.position === thread.answerPosition && post.answered && !post.deleted && !post.hidden) ?? (await findAnswer(deps.db, viewer, RENDERER_VERSION, thread.id)))
      : undefined;
  await refreshStaleHtml(deps, [...new Set([...posts, ...(answer ? [answer] : [])])]);

  const seenUpTo = Math.max(0, ...posts.map((post) => post.position));
  const readBefore = thread.lastReadPosition;
  if (seenUpTo > (readBefore ?? 0)) await markRead(deps.db, viewer.id, thread.id, seenUpTo);
  const firstUnread = readBefore === null ? undefined : posts.filter((post) => post.position > readBefore).sort((a, b) => a.position - b.position)[0];

  // What a deleted post said or held, or a hidden one to a member, never reaches the template.
  const withheld = (post: PostView) => post.deleted || (post.hidden && !isStaff(viewer.role));
  const withFiles = [...posts, ...(answer ? [answer] : [])].filter((post) => post.hasFiles && !withheld(post)).map((post) => post.id);
  const filesOf = groupByPost(await listAttachedFiles(deps.db, { postIds: [...new Set(withFiles)] }));
  const show = (post: PostView): ShownPost => ({
    ...post,
    body_html: withheld(post) ? '' : post.bodyHtml,
    hasFiles: post.hasFiles && !withheld(post),
    ...showAttachments(withheld(post) ? [] : (filesOf.get(post.id) ?? [])),
    heldNotice: heldNoticeOf(post),
    shownDepth: view === 'threaded' ? (depths.get(post.id) ?? 0) : 0,
    shownHiddenReason: post.hidden && (isStaff(viewer.role) || post.authorId === viewer.id) ? post.hiddenReason : null,
    mayModerate: isStaff(viewer.role),
    mayFlag: post.authorId !== viewer.id && !post.deleted && !post.hidden,
    firstUnread: post === firstUnread,
    replyToExcerpt: post.replyTo && !post.replyTo.deleted ? excerpt(post.replyTo.sourceStart, REPLY_EXCERPT_CHARS) : null,
    helpfulSummary: post.helpfulCount > 0 ? DISCUSSION_MESSAGES.helpfulBy(post.helpfulCount, post.helpfulNames) : null,
    mayMarkHelpful: helpfulRefusal(viewer, post) === undefined,
    mayMarkAnswer: !post.answered && answerRefusal(viewer, thread, post) === undefined,
    mayUnmarkAnswer: post.answered && mayChooseAnswer(viewer, thread),
  });
  return { posts: posts.map(show), answer: answer && show(answer), page, pageCount };
}

/** Only its author and staff are shown a held post at all (queries/posts.ts), so the notice is theirs. */
function heldNoticeOf(post: PostView): string | null {
  if (!post.held) return null;
  return post.heldRejectedReason === null ? APPROVAL_MESSAGES.heldMarker : APPROVAL_MESSAGES.heldRejected(post.heldRejectedReason);
}

function groupByPost(files: AttachedFile[]): Map<number, AttachedFile[]> {
  const byPost = new Map<number, AttachedFile[]>();
  for (const file of files) byPost.set(file.postId!, [...(byPost.get(file.postId!) ?? []), file]);
  return byPost;
}

/** A post's current files (posts never replace one) in their order: images inline, the rest as links. */
function showAttachments(files: AttachedFile[]): Pick<ShownPost, 'images' | 'downloads'> {
  const current = files.filter((file) => file.replacedAt === null);
  return {
    images: current.filter((file) => ALLOWED_FILE_TYPES[file.contentType].image).map((file) => ({ href: fileUrl(file), altText: file.altText ?? '', width: file.width, height: file.height })),
    downloads: current
      .filter((file) => !ALLOWED_FILE_TYPES[file.contentType].image)
      .map(fileLink),
  };
}

/** Posts rendered by an older renderer are rendered again now, and stored for next time. */
async function refreshStaleHtml(deps: Pick<Deps, 'db'>, posts: PostView[]): Promise<void> {
  const stale = posts.filter((post) => post.staleSource !== null);
  for (const post of stale) post.bodyHtml = renderMarkdown(post.staleSource!);
  if (stale.length > 0) await updateRenderedPosts(deps.db, RENDERER_VERSION, stale.map((post) => ({ id: post.id, version: post.version, bodyHtml: post.bodyHtml })));
}
