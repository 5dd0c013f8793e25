import { sql, type Insertable } from 'kysely';
import type { Resources } from '../../../db/schema.js';
import type { Db, Role } from '../../../db/types.js';
import { isStaff, type Viewer } from '../../discussions/access.js';
import type { CaseStudySections, ResourceKind } from '../schemas.js';
import { filesFromJson, resourceFilesOf, type AttachedFile } from '../files/queries.js';
import { initiativeTypesOf, tagsOf, type InitiativeTypeRef } from './tags.js';
import { shownName, shownWhileActive } from '../../members/names.js';

/** The Markdown of a resource and its sanitised HTML, as stored. */
export type RenderedContent = Required<
  Pick<
    Insertable<Resources>,
    'body_source' | 'body_html' | 'context_source' | 'context_html' | 'approach_source' | 'approach_html' | 'outcome_source' | 'outcome_html' | 'lessons_source' | 'lessons_html' | 'renderer_version'
  >
>;

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
  /** Staff content is an administrator's to change, not a moderator's. */
  sharerRole: Role;
  sharerName: string;
  /** Null once the sharer is shown as a former member: no link to their profile. */
  sharerHandle: string | null;
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
  /** Hidden by flags or a moderator: staff only see it. */
  hidden: boolean;
  hiddenReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  tags: string[];
  initiativeTypes: InitiativeTypeRef[];
}

/** Resources (`r`) with who shared them (`s`) and the agency they come from (`ag`). */
export function resourcesWithSharer(db: Db) {
  return db.selectFrom('resources as r').innerJoin('members as s', 's.id', 'r.sharer_id').leftJoin('agencies as ag', 'ag.id', 'r.agency_id');
}

/** A case study's four sections from their columns (Markdown or HTML); null for every other kind. */
export function sectionsFrom(kind: string, context: string | null, approach: string | null, outcome: string | null, lessons: string | null): CaseStudySections | null {
  return kind === 'case_study' ? { context: context ?? '', approach: approach ?? '', outcome: outcome ?? '', lessons: lessons ?? '' } : null;
}

/** Resources the viewer may see: staff see removed and hidden ones too (their pages say so). */
function resourcesInSight(db: Db, viewer: Viewer) {
  return resourcesWithSharer(db).$if(!isStaff(viewer.role), (qb) => qb.where('r.removed_at', 'is', null).where('r.hidden_at', 'is', null));
}

function resourceInSight(db: Db, viewer: Viewer, id: number) {
  return resourcesInSight(db, viewer)
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
      's.role as sharer_role',
      shownName('s').as('sharer_name'),
      shownWhileActive('s', 's.handle').as('sharer_handle'),
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
      'r.hidden_at',
      'r.hidden_reason',
      'r.created_at',
      'r.updated_at',
    ])
    .select([
      tagsOf.as('tags'),
      initiativeTypesOf.as('initiative_types'),
      sql<boolean>`coalesce((select true from resource_reactions own where own.resource_id = r.id and own.member_id = ${viewer.id} limit 1), false)`.as('helpful_by_viewer'),
    ])
    .where('r.id', '=', id);
}

function toResource(row: NonNullable<Awaited<ReturnType<ReturnType<typeof resourceInSight>['executeTakeFirst']>>>): Resource {
  return {
    id: row.id,
    kind: row.kind as ResourceKind,
    title: row.title,
    summary: row.summary,
    bodyHtml: row.body_html,
    sectionsHtml: sectionsFrom(row.kind, row.context_html, row.approach_html, row.outcome_html, row.lessons_html),
    rendererVersion: row.renderer_version,
    externalUrl: row.external_url,
    sharerId: row.sharer_id,
    sharerRole: row.sharer_role as Role,
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
    hidden: row.hidden_at !== null,
    hiddenReason: row.hidden_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    tags: row.tags,
    initiativeTypes: row.initiative_types,
  };
}

export async function findResource(db: Db, viewer: Viewer, id: number): Promise<Resource | undefined> {
  const row = await resourceInSight(db, viewer, id).executeTakeFirst();
  return row && toResource(row);
}

/** The resource and its files (every version), in one statement: its page's. */
export async function findResourceWithFiles(db: Db, viewer: Viewer, id: number): Promise<{ resource: Resource; files: AttachedFile[] } | undefined> {
  const row = await resourceInSight(db, viewer, id).select(resourceFilesOf.as('files')).executeTakeFirst();
  return row && { resource: toResource(row), files: filesFromJson(row.files) };
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
/** Marks the resource removed unless it already is; its discussion's thread when this call removed it. */
export async function markResourceRemoved(db: Db, id: number, removedBy: number): Promise<{ threadId: number } | undefined> {
  const row = await db
    .updateTable('resources')
    .set({ removed_at: sql`now()`, removed_by: removedBy, featured_at: null, featured_by: null })
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .returning('thread_id')
    .executeTakeFirst();
  return row && { threadId: row.thread_id };
}

/**
 * Marks a shown thread hidden with its resource (the caller holds its lock and settles the
 * counts); its author when this call hid it, undefined when it was hidden already.
 */
export async function setThreadHiddenWithResource(db: Db, threadId: number): Promise<{ authorId: number } | undefined> {
  const row = await db
    .updateTable('threads')
    .set((eb) => ({ hidden_at: sql`now()`, hidden_with_resource: true, version: eb('version', '+', 1), updated_at: sql`now()` }))
    .where('id', '=', threadId)
    .where('hidden_at', 'is', null)
    .returning('author_id')
    .executeTakeFirst();
  return row && { authorId: row.author_id };
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
