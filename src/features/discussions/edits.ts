import type { Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { Forbidden, NotFound } from '../../lib/errors.js';
import { mentionedHandles, renderMarkdown } from '../../lib/markdown.js';
import { resolveFlagsOnRemovedContent } from '../moderation/flags.js';
import { isStaff, type Viewer } from './access.js';
import { DISCUSSION_MESSAGES } from './messages.js';
import { claimPostingBudget, renderBody, type Poster } from './posting.js';
import { countContributions, lockThreadOfPost, settleCounts } from './queries/counts.js';
import {
  findPostToChange,
  hasLiveReplies,
  insertPostRevision,
  listPostRevisions,
  listThreadTitleRevisions,
  markPostDeleted,
  markThreadDeleted,
  replacePostBody,
  retitleThread,
  type PostToChange,
} from './queries/edits.js';
import { insertPostNotifications } from './queries/notifications.js';
import { slugify } from './slug.js';

/**
 * Who may change a post: its author, and no one else here (moderators' edits come with the
 * moderation tools, audited). A locked thread still takes its authors' edits and deletions:
 * locking stops new replies, as Discourse's "closed" does, where only an archived topic
 * freezes its posts; a correction to what is already there should stay possible.
 */
export async function postToChange(deps: Pick<Deps, 'db'>, viewer: Viewer, postId: number): Promise<PostToChange> {
  const post = await findPostToChange(deps.db, viewer, postId);
  if (!post || (post.threadDeleted && !(post.deleted && post.authorId === viewer.id))) throw new NotFound();
  // Someone else's hidden post is not there for a member at all: 404, as anything they cannot see.
  if (post.hidden && post.authorId !== viewer.id && !isStaff(viewer.role)) throw new NotFound();
  if (post.authorId !== viewer.id) throw new Forbidden(DISCUSSION_MESSAGES.notYourPost);
  // A hidden post waits for a moderator: changing it then would change what they are judging.
  if (post.hidden) throw new Forbidden(DISCUSSION_MESSAGES.postIsHidden);
  return post;
}

/** A post its author is about to edit: one that is still there. */
export async function postToEdit(deps: Pick<Deps, 'db'>, viewer: Viewer, postId: number): Promise<PostToChange> {
  const post = await postToChange(deps, viewer, postId);
  if (post.deleted) throw new NotFound(DISCUSSION_MESSAGES.postWasDeleted);
  return post;
}

/** The first post's form also retitles its thread, for the thread's author. */
export function editsTitle(post: PostToChange): boolean {
  return post.position === 1 && post.threadAuthorId === post.authorId;
}

export type EditResult =
  | { kind: 'edited' }
  | { kind: 'unchanged' }
  /** Someone saved first: what the post says now, to show beside the editor's text. */
  | { kind: 'conflict'; current: PostToChange }
  | { kind: 'gone' }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

// Thrown inside the transaction to undo what it wrote; never leaves this module.
class Stale extends Error {
  constructor() {
    super('post changed since the form was opened');
  }
}

/**
 * A new version of a post, from a form opened at `version`: the replaced text kept as a
 * revision, the body re-rendered, the title (first post) retitled with its old one kept, and
 * the members it newly mentions told, in one transaction. Two forms opened at one version: the
 * first saves, the second gets the current text back. Authors' edits spend the posting budget (an edit
 * can turn a harmless post into spam, and each one is a row kept for good).
 */
export async function editPost(
  deps: Deps,
  editor: Poster,
  post: PostToChange,
  input: { version: number; body: string; title?: string },
  /**
   * A moderator's edit: its revisions (body and title) are marked as theirs, and their audit row
   * and notices, told the title it replaced if it retitled the thread, commit with it.
   */
  moderation?: { record: (trx: Transaction<DB>, retitled: { before: string; after: string } | undefined) => Promise<void> },
): Promise<EditResult> {
  const bodyChanged = input.body !== post.bodySource;
  const titleChanged = input.title !== undefined && editsTitle(post) && input.title !== post.threadTitle;
  if (!bodyChanged && !titleChanged) return { kind: 'unchanged' };
  // A moderator correcting someone else's post is moderating, not posting: their own budget and
  // their own unread warning do not stop it. Their own posts they edit as anyone would.
  if (moderation === undefined || post.authorId === editor.id) {
    const budget = await claimPostingBudget(deps, editor, deps.db);
    if (!budget.ok) return { kind: 'rate-limited', retryAfterSeconds: budget.retryAfterSeconds };
  }
  const body = renderBody(input.body);

  try {
    await inTransaction(deps.db, async (trx) => {
      // Retitling locks the thread's row: taken before the post's, as every path does.
      if (titleChanged) await lockThreadOfPost(trx, post.id);
      // A title-only edit is a new version too, so a stale form cannot put an old title back.
      const previous = await replacePostBody(trx, post.id, input.version, body);
      if (!previous) throw new Stale();
      await insertPostRevision(trx, { postId: post.id, version: input.version, bodySource: previous.bodySource, writtenAt: previous.writtenAt, replacedBy: editor.id, byModerator: moderation !== undefined });
      const earlier = new Set(mentionedHandles(previous.bodySource));
      const added = body.mentions.filter((handle) => !earlier.has(handle));
      if (added.length > 0) {
        await insertPostNotifications(trx, { postId: post.id, threadId: post.threadId, categoryId: post.categoryId, actorId: editor.id, repliedToMemberId: null, mentionedHandles: added, newThread: false, mentionsOnly: true });
      }
      const replacedTitle = titleChanged ? await retitleThread(trx, post.threadId, { title: input.title!, slug: slugify(input.title!), replacedBy: editor.id, byModerator: moderation !== undefined }) : undefined;
      await moderation?.record(trx, replacedTitle === undefined ? undefined : { before: replacedTitle, after: input.title! });
    });
  } catch (error) {
    if (!(error instanceof Stale)) throw error;
    const current = await findPostToChange(deps.db, editor, post.id);
    return !current || current.deleted || current.threadDeleted ? { kind: 'gone' } : { kind: 'conflict', current };
  }
  return { kind: 'edited' };
}

export type DeleteResult = { kind: 'post-deleted' } | { kind: 'thread-deleted' } | { kind: 'already-deleted'; threadDeleted: boolean };

/**
 * Soft-deletes a post, and the counts it was part of, in one transaction. The first post of a
 * thread with no replies takes the thread with it; with replies, it leaves a placeholder and
 * the conversation stays. Deleting it again (a double submit) changes nothing.
 */
export async function deletePost(
  deps: Pick<Deps, 'db'>,
  viewer: Viewer,
  post: PostToChange,
  /** A moderator's deletion: their audit row and notices commit with it, or not at all. Otherwise open flags on it close as deleted. */
  moderation?: { record: (trx: Transaction<DB>) => Promise<void> },
): Promise<DeleteResult> {
  if (post.deleted) return { kind: 'already-deleted', threadDeleted: post.threadDeleted };
  const result = await inTransaction(deps.db, async (trx): Promise<DeleteResult | undefined> => {
    const threadId = await lockThreadOfPost(trx, post.id);
    if (threadId === undefined) return undefined;
    const before = await countContributions(trx, [threadId]);
    const position = await markPostDeleted(trx, post.id, viewer.id);
    if (position === undefined) return undefined;
    const deletesThread = position === 1 && !(await hasLiveReplies(trx, threadId));
    if (deletesThread) await markThreadDeleted(trx, threadId);
    await settleCounts(trx, before, [threadId]);
    if (moderation) await moderation.record(trx);
    else await resolveFlagsOnRemovedContent(trx, { kind: 'post', id: post.id }, viewer.id === post.authorId ? null : viewer.id);
    return { kind: deletesThread ? 'thread-deleted' : 'post-deleted' };
  });
  if (result) return result;
  // A request a moment ahead deleted it, and has committed by the time this one could look.
  const now = await findPostToChange(deps.db, viewer, post.id);
  return { kind: 'already-deleted', threadDeleted: now?.threadDeleted ?? true };
}

/** One version of a post, as its revisions page shows it. */
export interface ShownVersion {
  version: number;
  current: boolean;
  writtenAt: Date;
  /** Who wrote this version: the author for the first, whoever replaced the one before for the rest. */
  writtenBy: string | null;
  /** Written by a moderator: shown as "edited by a moderator", not by name. */
  byModerator: boolean;
  body_html: string;
}

export const VERSIONS_PER_PAGE = 20;

/**
 * The post's revisions page: anyone who may see the post may see how it changed; a deleted or
 * hidden post's history only staff (what it said is withheld from members everywhere).
 */
export async function loadRevisions(deps: Pick<Deps, 'db' | 'settings'>, viewer: Viewer, postId: number, page: number) {
  const post = await findPostToChange(deps.db, viewer, postId);
  if (!post || post.threadDeleted || ((post.deleted || post.hidden) && !isStaff(viewer.role))) return undefined;
  const pageCount = Math.ceil(post.version / VERSIONS_PER_PAGE);
  if (page > pageCount) return undefined;
  // Versions are numbered 1 to post.version: a page is a range of them, newest first.
  const newest = post.version - (page - 1) * VERSIONS_PER_PAGE;
  const oldest = Math.max(1, newest - VERSIONS_PER_PAGE + 1);
  // The revision before the oldest shown says who wrote the oldest shown.
  const revisions = await listPostRevisions(deps.db, post.id, oldest - 1, newest);
  const replacementOf = (version: number) => revisions.find((revision) => revision.version === version - 1);
  const writerOf = (version: number) => (version === 1 ? post.authorName : (replacementOf(version)?.replacedByName ?? null));
  const shown = (version: number, source: string, writtenAt: Date): ShownVersion => ({
    version,
    current: version === post.version,
    writtenAt,
    writtenBy: writerOf(version),
    byModerator: version > 1 && replacementOf(version)?.byModerator === true,
    body_html: renderMarkdown(source),
  });
  const versions = [
    ...(newest === post.version ? [shown(post.version, post.bodySource, post.editedAt ?? post.createdAt)] : []),
    ...revisions.filter((revision) => revision.version >= oldest).map((revision) => shown(revision.version, revision.bodySource, revision.writtenAt)),
  ];
  const titleRevisions = post.position === 1 && page === 1 ? await listThreadTitleRevisions(deps.db, post.threadId) : [];
  // A moderator's rename names them only where MODERATOR_NAMES_SHOWN says moderators are named.
  const titles = titleRevisions.map((revision) => ({
    title: revision.title,
    replacedAt: revision.replacedAt,
    replacedBy: revision.byModerator && !deps.settings.current.MODERATOR_NAMES_SHOWN ? 'a moderator' : (revision.replacedByName ?? 'a former member'),
  }));
  return { post, versions, titles, page, pageCount };
}
