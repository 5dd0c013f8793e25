import type { Deps } from '../../deps.js';
import { RENDERER_VERSION } from '../../lib/markdown.js';
import type { Viewer } from '../discussions/access.js';
import { findThread, type Thread } from '../discussions/queries/threads.js';
import { loadThreadPage, type ShownPost } from '../discussions/thread-page.js';
import { fileLink, type FileLink } from './files/file-link.js';
import type { AttachedFile } from './files/queries.js';
import { renderContent } from './content.js';
import { mayChangeResource } from './editing.js';
import { findResourceSources, findResourceWithFiles, sectionsFrom, updateRenderedResource, type Resource } from './queries/resources.js';
import { mayMarkResourceHelpful } from './reactions.js';

/** A file as the resource page lists it: a link to download it, what it is, how big. */
export interface ShownFile extends FileLink {
  id: number;
  uploadedAt: Date;
}

/** A file with its earlier versions, newest first (replacing a file keeps them downloadable). */
export interface ShownFileWithVersions extends ShownFile {
  earlier: ShownFile[];
}

export interface ResourcePage {
  resource: Resource;
  files: ShownFileWithVersions[];
  /** The resource's discussion, when the viewer may see it (a moderator may have hidden it). */
  thread: Thread | undefined;
  /** The discussion's first replies (its first page, without the post that opened it). */
  replies: ShownPost[];
  /** Replies beyond those shown, on the thread's own pages. */
  moreReplies: number;
  mayChange: boolean;
  mayMarkHelpful: boolean;
}

function showFile(file: AttachedFile): ShownFile {
  return { ...fileLink(file), id: file.id, uploadedAt: file.uploadedAt };
}

/**
 * Files grouped by their first version: the current version of each, with those it replaced. A
 * file taken off the resource has no current version, and is left out with its earlier ones.
 */
export function groupFileVersions(files: AttachedFile[]): ShownFileWithVersions[] {
  const groups = new Map<number, AttachedFile[]>();
  for (const file of files) {
    const first = file.versionOf ?? file.id;
    groups.set(first, [...(groups.get(first) ?? []), file]);
  }
  return [...groups.values()].flatMap((versions) => {
    const newestFirst = [...versions].sort((a, b) => b.uploadedAt.getTime() - a.uploadedAt.getTime() || b.id - a.id);
    const current = newestFirst.find((file) => file.replacedAt === null);
    if (!current) return [];
    return [{ ...showFile(current), earlier: newestFirst.filter((file) => file !== current).map(showFile) }];
  });
}

/**
 * A resource's page: the resource, its files, and the start of its discussion (reading them moves
 * the viewer's read position in the thread, as the thread page does). Undefined when the viewer
 * may not see it: a removed resource is there for staff only.
 */
export async function loadResourcePage(deps: Pick<Deps, 'db'>, viewer: Viewer, id: number): Promise<ResourcePage | undefined> {
  const found = await findResourceWithFiles(deps.db, viewer, id);
  if (!found) return undefined;
  const { resource, files } = found;
  if (resource.rendererVersion !== RENDERER_VERSION) await refreshStaleHtml(deps, resource);
  const thread = await findThread(deps.db, viewer, resource.threadId);
  const shown = thread && thread.postCount > 1 ? await loadThreadPage(deps, viewer, thread, 1, 'flat') : undefined;
  const replies = shown?.posts.filter((post) => post.position > 1) ?? [];
  return {
    resource,
    files: groupFileVersions(files),
    thread,
    replies,
    moreReplies: thread ? Math.max(0, thread.replyCount - replies.length) : 0,
    mayChange: mayChangeResource(viewer, resource) && !resource.removed,
    mayMarkHelpful: mayMarkResourceHelpful(viewer, resource),
  };
}

/** A resource rendered by an older renderer is rendered again now, and stored for next time. */
async function refreshStaleHtml(deps: Pick<Deps, 'db'>, resource: Resource): Promise<void> {
  const sources = await findResourceSources(deps.db, resource.id);
  if (!sources) return;
  const sections = sectionsFrom(sources.kind, sources.context_source, sources.approach_source, sources.outcome_source, sources.lessons_source);
  const content = renderContent(sources.body_source, sections);
  resource.bodyHtml = content.body_html;
  resource.sectionsHtml = sections && { context: content.context_html!, approach: content.approach_html!, outcome: content.outcome_html!, lessons: content.lessons_html! };
  await updateRenderedResource(deps.db, resource.id, sources.version, content);
}

