import { sql } from 'kysely';
import type { Db, Role } from '../../../db/types.js';
import type { CaseStudySections, ResourceKind } from '../schemas.js';
import { currentFilesOf, type CurrentFile } from './attachments.js';
import { resourcesWithSharer, sectionsFrom, type RenderedContent } from './resources.js';
import { initiativeTypesOf, tagsOf, type InitiativeTypeRef } from './tags.js';
import { shownName } from '../../members/names.js';

/** A resource's versions: the one it is at, changed under an optimistic check, and those it replaced. */

/** A resource as an edit form, its history and a revision keep it: the sources, not the HTML. */
export interface ResourceState {
  id: number;
  threadId: number;
  sharerId: number;
  /** Staff content is an administrator's to change, not a moderator's. */
  sharerRole: Role;
  sharerName: string;
  version: number;
  removed: boolean;
  /** Hidden by a moderator (or by flags) while it is under review: staff alone see it. */
  hidden: boolean;
  kind: ResourceKind;
  title: string;
  summary: string;
  body: string;
  sections: CaseStudySections | null;
  externalUrl: string | null;
  agency: { id: number; name: string } | null;
  tags: string[];
  initiativeTypes: InitiativeTypeRef[];
  /** Its files as they are now (not earlier versions, nor files taken off it). */
  files: CurrentFile[];
  /** When this version was written: its sharing, or the edit that made it. */
  writtenAt: Date;
}

function resourceStates(db: Db) {
  return resourcesWithSharer(db)
    .select([
      'r.id',
      'r.thread_id',
      'r.sharer_id',
      's.role as sharer_role',
      shownName('s').as('sharer_name'),
      'r.version',
      'r.removed_at',
      'r.hidden_at',
      'r.kind',
      'r.title',
      'r.summary',
      'r.body_source',
      'r.context_source',
      'r.approach_source',
      'r.outcome_source',
      'r.lessons_source',
      'r.external_url',
      'r.agency_id',
      'ag.name as agency_name',
      'r.updated_at',
    ])
    .select([tagsOf.as('tags'), initiativeTypesOf.as('initiative_types'), currentFilesOf.as('files')]);
}

type ResourceStateRow = Awaited<ReturnType<ReturnType<typeof resourceStates>['execute']>>[number];

function toResourceState(row: ResourceStateRow): ResourceState {
  return {
    id: row.id,
    threadId: row.thread_id,
    sharerId: row.sharer_id,
    sharerRole: row.sharer_role as Role,
    sharerName: row.sharer_name,
    version: row.version,
    removed: row.removed_at !== null,
    hidden: row.hidden_at !== null,
    kind: row.kind as ResourceKind,
    title: row.title,
    summary: row.summary,
    body: row.body_source,
    sections: sectionsFrom(row.kind, row.context_source, row.approach_source, row.outcome_source, row.lessons_source),
    externalUrl: row.external_url,
    agency: row.agency_id === null ? null : { id: row.agency_id, name: row.agency_name ?? '' },
    tags: row.tags,
    initiativeTypes: row.initiative_types,
    files: row.files,
    writtenAt: row.updated_at,
  };
}

/** Any resource, removed, hidden or not: callers decide who may see it. */
export async function findResourceState(db: Db, id: number): Promise<ResourceState | undefined> {
  const row = await resourceStates(db).where('r.id', '=', id).executeTakeFirst();
  return row && toResourceState(row);
}

/**
 * The optimistic check: the resource as it is, locked until the transaction ends, if it is still
 * at `version` and not removed; undefined when someone got there first. A second editor of the
 * same version waits here, then finds the version moved on.
 */
export async function lockResourceAtVersion(db: Db, id: number, version: number): Promise<ResourceState | undefined> {
  const row = await resourceStates(db).where('r.id', '=', id).where('r.version', '=', version).where('r.removed_at', 'is', null).forNoKeyUpdate('r').executeTakeFirst();
  return row && toResourceState(row);
}

/** A new version of what the resource says (the caller holds its row lock). */
export async function updateResource(db: Db, id: number, change: { kind: ResourceKind; title: string; summary: string; content: RenderedContent; externalUrl: string | null; agencyId: number }): Promise<void> {
  await db
    .updateTable('resources')
    .set((eb) => ({
      kind: change.kind,
      title: change.title,
      summary: change.summary,
      ...change.content,
      external_url: change.externalUrl,
      agency_id: change.agencyId,
      version: eb('version', '+', 1),
      updated_at: sql`now()`,
    }))
    .where('id', '=', id)
    .execute();
}

/** The version an edit replaced, whole (what ResourceState holds, as JSON), and who replaced it. */
export async function insertResourceRevision(db: Db, revision: { resourceId: number; version: number; snapshot: unknown; replacedBy: number }): Promise<void> {
  await db
    .insertInto('resource_revisions')
    .values({ resource_id: revision.resourceId, version: revision.version, snapshot: JSON.stringify(revision.snapshot), replaced_by: revision.replacedBy })
    .execute();
}

export interface ResourceRevision {
  version: number;
  snapshot: unknown;
  replacedByName: string | null;
  replacedAt: Date;
}

/** The revisions numbered `from` to `to`, newest first. */
export async function listResourceRevisions(db: Db, resourceId: number, from: number, to: number): Promise<ResourceRevision[]> {
  const rows = await db
    .selectFrom('resource_revisions as rv')
    .leftJoin('members as m', 'm.id', 'rv.replaced_by')
    .select(['rv.version', 'rv.snapshot', shownName<string | null>('m').as('display_name'), 'rv.replaced_at'])
    .where('rv.resource_id', '=', resourceId)
    .where('rv.version', '>=', from)
    .where('rv.version', '<=', to)
    .orderBy('rv.version', 'desc')
    .execute();
  return rows.map((row) => ({ version: row.version, snapshot: row.snapshot, replacedByName: row.display_name, replacedAt: row.replaced_at }));
}
