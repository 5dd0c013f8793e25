import type { Deps } from '../../deps.js';
import { renderMarkdown } from '../../lib/markdown.js';
import { isStaff, type Viewer } from '../discussions/access.js';
import { snapshotOf, type ResourceSnapshot } from './editing.js';
import { findResourceState, listResourceRevisions, type ResourceState } from './queries/versions.js';
import { CASE_STUDY_SECTIONS, RESOURCE_KINDS, type ResourceKind } from './schemas.js';

/** One version of a resource, as its history page shows it. */
export interface ShownResourceVersion {
  version: number;
  current: boolean;
  writtenAt: Date;
  /** Who wrote this version: the sharer for the first, whoever replaced the one before for the rest. */
  writtenBy: string | null;
  kindLabel: string;
  title: string;
  summary: string;
  externalUrl: string | null;
  agencyName: string | null;
  tags: string[];
  initiativeTypeNames: string[];
  body_html: string;
  sections: { label: string; section_html: string }[];
}

// Each version shows every section rendered: fewer to a page than a post's versions.
export const VERSIONS_PER_PAGE = 10;

function showVersion(version: number, current: boolean, snapshot: ResourceSnapshot, writtenBy: string | null): ShownResourceVersion {
  return {
    version,
    current,
    writtenAt: new Date(snapshot.writtenAt),
    writtenBy,
    kindLabel: RESOURCE_KINDS[snapshot.kind as ResourceKind] ?? snapshot.kind,
    title: snapshot.title,
    summary: snapshot.summary,
    externalUrl: snapshot.externalUrl,
    agencyName: snapshot.agency?.name ?? null,
    tags: snapshot.tags,
    initiativeTypeNames: snapshot.initiativeTypes.map((type) => type.name),
    body_html: renderMarkdown(snapshot.body),
    sections: snapshot.sections ? CASE_STUDY_SECTIONS.map((section) => ({ label: section.label, section_html: renderMarkdown(snapshot.sections![section.name]) })) : [],
  };
}

/**
 * A resource's history, newest version first: anyone who may see the resource may see how it
 * changed; a removed one's, only staff. Undefined when there is no such page.
 */
export async function loadResourceHistory(deps: Pick<Deps, 'db'>, viewer: Viewer, id: number, page: number): Promise<{ resource: ResourceState; versions: ShownResourceVersion[]; pageCount: number } | undefined> {
  const resource = await findResourceState(deps.db, id);
  if (!resource || ((resource.removed || resource.hidden) && !isStaff(viewer.role))) return undefined;
  const pageCount = Math.ceil(resource.version / VERSIONS_PER_PAGE);
  if (page > pageCount) return undefined;
  // Versions are numbered 1 to resource.version: a page is a range of them, newest first.
  const newest = resource.version - (page - 1) * VERSIONS_PER_PAGE;
  const oldest = Math.max(1, newest - VERSIONS_PER_PAGE + 1);
  // The revision before the oldest shown says who wrote the oldest shown.
  const revisions = await listResourceRevisions(deps.db, id, oldest - 1, newest);
  const writerOf = (version: number) => (version === 1 ? resource.sharerName : (revisions.find((revision) => revision.version === version - 1)?.replacedByName ?? null));
  const versions = [
    ...(newest === resource.version ? [showVersion(resource.version, true, snapshotOf(resource), writerOf(resource.version))] : []),
    ...revisions.filter((revision) => revision.version >= oldest).map((revision) => showVersion(revision.version, false, revision.snapshot as ResourceSnapshot, writerOf(revision.version))),
  ];
  return { resource, versions, pageCount };
}
