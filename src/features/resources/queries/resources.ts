import { sql, type Insertable } from 'kysely';
import type { Resources } from '../../../db/schema.js';
import type { Db } from '../../../db/types.js';
import { isStaff, type Viewer } from '../../discussions/access.js';
import type { CaseStudySections, ResourceKind } from '../schemas.js';

/** The Markdown of a resource and its sanitised HTML, as stored. */
export type RenderedContent = Required<
  Pick<
    Insertable<Resources>,
    'body_source' | 'body_html' | 'context_source' | 'context_html' | 'approach_source' | 'approach_html' | 'outcome_source' | 'outcome_html' | 'lessons_source' | 'lessons_html' | 'renderer_version'
  >
>;

export interface InitiativeTypeRef {
  slug: string;
  name: string;
}

/** A resource as its page shows it. */
export interface Resource {
  id: number;
  kind: ResourceKind;
  title: string;
  summary: string;
  bodyHtml: string;
  /** A case study's sections as HTML; null for every other kind. */
  sectionsHtml: CaseStudySections | null;
  rendererVersion: number;
  externalUrl: string | null;
  sharerId: number;
  sharerName: string;
  sharerHandle: string;
  agencyId: number | null;
  agencyName: string | null;
  agencyType: string | null;
  agencyJurisdiction: string | null;
  threadId: number;
  version: number;
  helpfulCount: number;
  helpfulByViewer: boolean;
  downloadCount: number;
  featured: boolean;
  removed: boolean;
  createdAt: Date;
  updatedAt: Date;
  tags: string[];
  initiativeTypes: InitiativeTypeRef[];
}

// A resource's tags and initiative types (`r` is the resource), each a lookup by its key.
export const tagsOf = sql<string[]>`array(select rt.tag from resource_tags rt where rt.resource_id = r.id order by rt.tag)`;
export const initiativeTypesOf = sql<InitiativeTypeRef[]>`coalesce((
  select json_agg(json_build_object('slug', it.slug, 'name', it.name) order by it.position, it.id)
  from resource_initiative_types rit join initiative_types it on it.id = rit.initiative_type_id
  where rit.resource_id = r.id
), '[]'::json)`;

/** Resources (`r`) with who shared them (`s`) and the agency they come from (`ag`). */
export function resourcesWithSharer(db: Db) {
  return db.selectFrom('resources as r').innerJoin('members as s', 's.id', 'r.sharer_id').leftJoin('agencies as ag', 'ag.id', 'r.agency_id');
}

/** A case study's four sections from their columns (Markdown or HTML); null for every other kind. */
export function sectionsFrom(kind: string, context: string | null, approach: string | null, outcome: string | null, lessons: string | null): CaseStudySections | null {
  return kind === 'case_study' ? { context: context ?? '', approach: approach ?? '', outcome: outcome ?? '', lessons: lessons ?? '' } : null;
}

/** Resources the viewer may see: staff see removed ones too (their pages say so). */
function resourcesInSight(db: Db, viewer: Viewer) {
  return resourcesWithSharer(db).$if(!isStaff(viewer.role), (qb) => qb.where('r.removed_at', 'is', null));
}

export async function findResource(db: Db, viewer: Viewer, id: number): Promise<Resource | undefined> {
  const row = await resourcesInSight(db, viewer)
    .select([
      'r.id',
      'r.kind',
      'r.title',
      'r.summary',
      'r.body_html',
      'r.context_html',
      'r.approach_html',
      'r.outcome_html',
      'r.lessons_html',
      'r.renderer_version',
      'r.external_url',
      'r.sharer_id',
      's.display_name as sharer_name',
      's.handle as sharer_handle',
      'r.agency_id',
      'ag.name as agency_name',
      'ag.agency_type',
      'ag.jurisdiction',
      'r.thread_id',
      'r.version',
      'r.helpful_count',
      'r.download_count',
      'r.featured_at',
      'r.removed_at',
      'r.created_at',
      'r.updated_at',
    ])
    .select([
      tagsOf.as('tags'),
      initiativeTypesOf.as('initiative_types'),
      sql<boolean>`coalesce((select true from resource_reactions own where own.resource_id = r.id and own.member_id = ${viewer.id} limit 1), false)`.as('helpful_by_viewer'),
    ])
    .where('r.id', '=', id)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      kind: row.kind as ResourceKind,
      title: row.title,
      summary: row.summary,
      bodyHtml: row.body_html,
      sectionsHtml: sectionsFrom(row.kind, row.context_html, row.approach_html, row.outcome_html, row.lessons_html),
      rendererVersion: row.renderer_version,
      externalUrl: row.external_url,
      sharerId: row.sharer_id,
      sharerName: row.sharer_name,
      sharerHandle: row.sharer_handle,
      agencyId: row.agency_id,
      agencyName: row.agency_name,
      agencyType: row.agency_type,
      agencyJurisdiction: row.jurisdiction,
      threadId: row.thread_id,
      version: row.version,
      helpfulCount: row.helpful_count,
      helpfulByViewer: Boolean(row.helpful_by_viewer),
      downloadCount: row.download_count,
      featured: row.featured_at !== null,
      removed: row.removed_at !== null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      tags: row.tags,
      initiativeTypes: row.initiative_types,
    }
  );
}

/** A resource as an edit form, its history and a revision keep it: the sources, not the HTML. */
export interface ResourceState {
  id: number;
  threadId: number;
  sharerId: number;
  sharerName: string;
  version: number;
  removed: boolean;
  kind: ResourceKind;
  title: string;
  summary: string;
  body: string;
  sections: CaseStudySections | null;
  externalUrl: string | null;
  agency: { id: number; name: string } | null;
  tags: string[];
  initiativeTypes: InitiativeTypeRef[];
  /** When this version was written: its sharing, or the edit that made it. */
  writtenAt: Date;
}

function resourceStates(db: Db) {
  return resourcesWithSharer(db)
    .select([
      'r.id',
      'r.thread_id',
      'r.sharer_id',
      's.display_name as sharer_name',
      'r.version',
      'r.removed_at',
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
    .select([tagsOf.as('tags'), initiativeTypesOf.as('initiative_types')]);
}

type ResourceStateRow = Awaited<ReturnType<ReturnType<typeof resourceStates>['execute']>>[number];

function toResourceState(row: ResourceStateRow): ResourceState {
  return {
    id: row.id,
    threadId: row.thread_id,
    sharerId: row.sharer_id,
    sharerName: row.sharer_name,
    version: row.version,
    removed: row.removed_at !== null,
    kind: row.kind as ResourceKind,
    title: row.title,
    summary: row.summary,
    body: row.body_source,
    sections: sectionsFrom(row.kind, row.context_source, row.approach_source, row.outcome_source, row.lessons_source),
    externalUrl: row.external_url,
    agency: row.agency_id === null ? null : { id: row.agency_id, name: row.agency_name ?? '' },
    tags: row.tags,
    initiativeTypes: row.initiative_types,
    writtenAt: row.updated_at,
  };
}

/** Any resource, removed or not: callers decide who may see it. */
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

export interface NewResource {
  kind: ResourceKind;
  title: string;
  summary: string;
  content: RenderedContent;
  externalUrl: string | null;
  sharerId: number;
  agencyId: number;
  threadId: number;
  formToken: string;
}

/** Inserts the resource once per form token; undefined when that form already made one. */
export async function insertResource(db: Db, resource: NewResource): Promise<number | undefined> {
  const row = await db
    .insertInto('resources')
    .values({
      kind: resource.kind,
      title: resource.title,
      summary: resource.summary,
      ...resource.content,
      external_url: resource.externalUrl,
      sharer_id: resource.sharerId,
      agency_id: resource.agencyId,
      thread_id: resource.threadId,
      form_token: resource.formToken,
    })
    .onConflict((oc) => oc.column('form_token').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}

/** The resource a member's form made: a token is only ever answered to the member who sent it. */
export async function findResourceIdByFormToken(db: Db, formToken: string, sharerId: number): Promise<number | undefined> {
  const row = await db.selectFrom('resources').select('id').where('form_token', '=', formToken).where('sharer_id', '=', sharerId).executeTakeFirst();
  return row?.id;
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

/** Stores HTML made by a newer renderer, unless the resource changed meanwhile. */
export async function updateRenderedResource(db: Db, id: number, version: number, content: RenderedContent): Promise<void> {
  await db.updateTable('resources').set(content).where('id', '=', id).where('version', '=', version).execute();
}

/** A resource's sources, for rendering them again. */
export async function findResourceSources(db: Db, id: number) {
  return db
    .selectFrom('resources')
    .select(['version', 'kind', 'body_source', 'context_source', 'approach_source', 'outcome_source', 'lessons_source'])
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertTags(db: Db, resourceId: number, tags: string[]): Promise<void> {
  if (tags.length > 0) await db.insertInto('resource_tags').values(tags.map((tag) => ({ resource_id: resourceId, tag }))).execute();
}

/** Replaces the resource's tags with these. */
export async function replaceTags(db: Db, resourceId: number, tags: string[]): Promise<void> {
  await db.deleteFrom('resource_tags').where('resource_id', '=', resourceId).execute();
  await insertTags(db, resourceId, tags);
}

/** Files the resource under the initiative types these slugs name; how many: fewer than asked when one was deleted meanwhile. */
export async function insertInitiativeTypes(db: Db, resourceId: number, slugs: string[]): Promise<number> {
  const result = await db
    .insertInto('resource_initiative_types')
    .columns(['resource_id', 'initiative_type_id'])
    .expression((eb) => eb.selectFrom('initiative_types').select([eb.val(resourceId).as('resource_id'), 'id']).where('slug', '=', sql<string>`any(${slugs}::text[])`))
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/** Replaces the resource's initiative types with those these slugs name; how many there are now. */
export async function replaceInitiativeTypes(db: Db, resourceId: number, slugs: string[]): Promise<number> {
  await db.deleteFrom('resource_initiative_types').where('resource_id', '=', resourceId).execute();
  return insertInitiativeTypes(db, resourceId, slugs);
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
    .select(['rv.version', 'rv.snapshot', 'm.display_name', 'rv.replaced_at'])
    .where('rv.resource_id', '=', resourceId)
    .where('rv.version', '>=', from)
    .where('rv.version', '<=', to)
    .orderBy('rv.version', 'desc')
    .execute();
  return rows.map((row) => ({ version: row.version, snapshot: row.snapshot, replacedByName: row.display_name, replacedAt: row.replaced_at }));
}

/** Marks the resource removed unless it already is; whether this call removed it. */
export async function markResourceRemoved(db: Db, id: number, removedBy: number): Promise<boolean> {
  const row = await db
    .updateTable('resources')
    .set({ removed_at: sql`now()`, removed_by: removedBy, featured_at: null, featured_by: null })
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Features the resource, or stops featuring it, unless it is removed; whether that changed anything. */
export async function setResourceFeatured(db: Db, id: number, featuredBy: number | null): Promise<boolean> {
  const row = await db
    .updateTable('resources')
    .set(featuredBy === null ? { featured_at: null, featured_by: null } : { featured_at: sql`now()`, featured_by: featuredBy })
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .where('featured_at', featuredBy === null ? 'is not' : 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
