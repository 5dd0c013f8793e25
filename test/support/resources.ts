import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { expect, vi } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { renderBody } from '../../src/features/discussions/posting.js';
import { insertPost } from '../../src/features/discussions/queries/posts.js';
import { insertThread } from '../../src/features/discussions/queries/threads.js';
import { slugify } from '../../src/features/discussions/slug.js';
import { markdownText, renderContent } from '../../src/features/resources/content.js';
import { RESOURCE_MESSAGES } from '../../src/features/resources/messages.js';
import { bumpLibraryVersion } from '../../src/features/resources/queries/library.js';
import { insertResource } from '../../src/features/resources/queries/resources.js';
import { insertInitiativeTypes, insertTags } from '../../src/features/resources/queries/tags.js';
import type { CaseStudySections, ResourceKind } from '../../src/features/resources/schemas.js';
import { LIBRARY_CATEGORY } from '../../src/features/resources/sharing.js';
import type { Browser } from './app.js';
import { csrfPart, fileRows, MultipartBody, postMultipart, temporaryUploads, type FormPart, type GeneratedBytes, type UploadTestApp } from './uploads.js';

type Db = Database['db'];

export interface ResourceOptions {
  sharer: { id: number; agencyId: number };
  kind?: ResourceKind;
  title?: string;
  summary?: string;
  body?: string;
  sections?: CaseStudySections;
  tags?: string[];
  /** Initiative types' slugs. */
  initiativeTypes?: string[];
  /** The sharer's agency unless given. */
  agencyId?: number;
  externalUrl?: string | null;
  featured?: boolean;
  removed?: boolean;
  createdAt?: Date;
  helpfulCount?: number;
  downloadCount?: number;
}

export interface TestResource {
  id: number;
  threadId: number;
  title: string;
}

export const CASE_STUDY: CaseStudySections = {
  context: 'Callers waited **40 minutes** on average.',
  approach: 'We added a call-back queue.',
  outcome: 'Waits fell to 6 minutes.',
  lessons: 'Tell callers their place in the queue.',
};

/**
 * A resource made straight in the database, as sharing makes one: its thread in the library's
 * category with a first post, its tags and its initiative types, and one more on the library's
 * version (so no instance's kept counts miss it). For tests about what is shown of resources
 * rather than how they were shared.
 */
export async function createResource(db: Db, options: ResourceOptions): Promise<TestResource> {
  const kind = options.kind ?? 'guide';
  const title = options.title ?? `A guide to records ${randomBytes(3).toString('hex')}`;
  const formToken = randomUUID();
  const category = await db.selectFrom('categories').select('id').where('slug', '=', LIBRARY_CATEGORY).executeTakeFirstOrThrow();
  const threadId = (await insertThread(db, { categoryId: category.id, authorId: options.sharer.id, title, slug: slugify(title), formToken }))!;
  const id = (await insertResource(db, {
    kind,
    title,
    summary: options.summary ?? 'How one agency keeps records of its social media posts.',
    content: renderContent(options.body ?? 'Keep a copy of **every** post.', kind === 'case_study' ? (options.sections ?? CASE_STUDY) : null),
    externalUrl: options.externalUrl ?? null,
    sharerId: options.sharer.id,
    agencyId: options.agencyId ?? options.sharer.agencyId,
    threadId,
    formToken,
  }))!;
  await insertPost(db, { threadId, authorId: options.sharer.id, position: 1, replyToPostId: null, depth: 0, ...renderBody(RESOURCE_MESSAGES.firstPost(markdownText(title), id)), formToken }, { id: category.id, newThread: true, counted: true });
  await insertTags(db, id, options.tags ?? []);
  await insertInitiativeTypes(db, id, options.initiativeTypes ?? ['service-delivery']);
  await db
    .updateTable('resources')
    .set({
      featured_at: options.featured ? sql`now()` : null,
      featured_by: options.featured ? options.sharer.id : null,
      removed_at: options.removed ? sql`now()` : null,
      removed_by: options.removed ? options.sharer.id : null,
      helpful_count: options.helpfulCount ?? 0,
      download_count: options.downloadCount ?? 0,
      ...(options.createdAt ? { created_at: options.createdAt, updated_at: options.createdAt } : {}),
    })
    .where('id', '=', id)
    .execute();
  await bumpLibraryVersion(db);
  return { id, threadId, title };
}

/** A good form for a guide from the member's own agency; `fields` change or add to it. */
export function guideFields(agencyId: number, fields: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    kind: 'guide',
    title: 'Archiving social media posts',
    summary: 'A step-by-step guide to keeping records of what an agency posts.',
    body: 'Capture each post **as published**.',
    tags: 'Records, Social Media',
    initiative_types: ['service-delivery', 'data-and-reporting'],
    agency: String(agencyId),
    external_url: '',
    context: '',
    approach: '',
    outcome: '',
    lessons: '',
    ...fields,
  };
}

/** Shares a resource through the form; returns the response (303 to its page on success). */
export async function shareThroughForm(browser: Browser, fields: Record<string, string | string[]>) {
  const hidden = await browser.openForm('/resources/new');
  return browser.post('/resources/new', { ...hidden, ...fields });
}

/** The id in a resource page's address (/resources/:id/slug). */
export function resourceIdFrom(location: unknown): number {
  const match = /^\/resources\/(\d+)(?:\/|$)/.exec(String(location));
  expect(match, `a resource address: ${String(location)}`).not.toBeNull();
  return Number(match![1]);
}

/** A resource's page as the browser sees it, after the redirect to its slugged address. */
export async function resourcePageOf(browser: Browser, id: number): Promise<string> {
  const redirect = await browser.get(`/resources/${id}`);
  expect(redirect.statusCode, redirect.body.slice(0, 300)).toBe(303);
  const page = await browser.get(redirect.headers.location as string);
  expect(page.statusCode).toBe(200);
  return page.body;
}

/** How many rows sharing, editing, reacting and removing can write: equal before and after, nothing was written. */
export async function libraryRowCounts(db: Db) {
  const count = async (table: 'resources' | 'threads' | 'posts' | 'resource_tags' | 'resource_initiative_types' | 'resource_revisions' | 'resource_reactions' | 'notifications' | 'audit_events' | 'thread_title_revisions') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const resources = await db.selectFrom('resources').select(['id', 'version', 'title', 'helpful_count', 'featured_at', 'removed_at', 'updated_at']).orderBy('id').execute();
  return {
    resources,
    threads: await count('threads'),
    posts: await count('posts'),
    tags: await count('resource_tags'),
    initiativeTypes: await count('resource_initiative_types'),
    revisions: await count('resource_revisions'),
    reactions: await count('resource_reactions'),
    notifications: await count('notifications'),
    auditEvents: await count('audit_events'),
    titleRevisions: await count('thread_title_revisions'),
  };
}

/** Sends a request that must be refused with `status` (and `message`), and checks it wrote nothing. */
export async function refusedWritingNothing<R extends { statusCode: number; body: string }>(db: Db, send: () => Promise<R>, status: number, message?: string): Promise<R> {
  const before = await libraryRowCounts(db);
  const response = await send();
  expect(response.statusCode, response.body.slice(0, 500)).toBe(status);
  if (message) expect(response.body).toContain(message);
  expect(await libraryRowCounts(db)).toEqual(before);
  return response;
}

/** The edit form's fields as it opens (hidden ones included), with `changes` made. */
export async function editFields(browser: Browser, id: number, changes: Record<string, string | string[]> = {}): Promise<Record<string, string | string[]>> {
  const page = await browser.get(`/resources/${id}/edit`);
  expect(page.statusCode, page.body.slice(0, 300)).toBe(200);
  const field = (name: string) => new RegExp(`<input id="field-${name}" name="${name}" type="[a-z]+" value="([^"]*)"`).exec(page.body)?.[1] ?? '';
  const area = (name: string) => new RegExp(`<textarea id="field-${name}" name="${name}"[^>]*>([^<]*)</textarea>`).exec(page.body)?.[1] ?? '';
  const decode = (value: string) => value.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&#x3D;/g, '=').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return {
    _csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!,
    version: /name="version" value="(\d+)"/.exec(page.body)![1]!,
    kind: /name="kind" value="([a-z_]+)" checked/.exec(page.body)![1]!,
    title: decode(field('title')),
    summary: decode(area('summary')),
    body: decode(area('body')),
    tags: decode(field('tags')),
    initiative_types: [...page.body.matchAll(/name="initiative_types" value="([a-z-]+)" checked/g)].map((match) => match[1]!),
    agency: /<option value="(\d+)" selected>/.exec(page.body)![1]!,
    external_url: decode(field('external_url')),
    context: decode(area('context')),
    approach: decode(area('approach')),
    outcome: decode(area('outcome')),
    lessons: decode(area('lessons')),
    ...changes,
  };
}

/** A form's text fields as multipart parts, a list as one part per item (as a browser sends ticked boxes). */
export function fieldParts(fields: Record<string, string | string[]>): FormPart[] {
  return Object.entries(fields).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((item) => ({ name, value: item })));
}

/** A file as a form's file input sends it (`files` unless another input is named). */
export const filePart = (filename: string, data: Buffer | GeneratedBytes, name = 'files'): FormPart => ({ name, filename, data });

/** Posts a resource form as a browser does, multipart with its token first: the fields (hidden ones included, `_csrf` among them), then the files. */
export async function postResourceForm(app: FastifyInstance, browser: Browser, url: string, fields: Record<string, string | string[]>, files: FormPart[], headers: Record<string, string> = {}) {
  const { _csrf, ...rest } = fields;
  const parts = [...(typeof _csrf === 'string' ? [csrfPart(_csrf)] : []), ...fieldParts(rest), ...files];
  return postMultipart(app, browser, url, new MultipartBody(parts), headers);
}

/** Shares a resource through the form with files; `hidden` is a form already opened (to send it twice). */
export async function shareWithFiles(app: FastifyInstance, browser: Browser, fields: Record<string, string | string[]>, files: FormPart[], hidden?: Record<string, string>) {
  return postResourceForm(app, browser, '/resources/new', { ...(hidden ?? (await browser.openForm('/resources/new'))), ...fields }, files);
}

/** Sends a form with files that must be refused with `status` (and `message`): no library row, file row, stored contents or chunk written, no upload left waiting. */
export async function refusedUploadWritingNothing<R extends { statusCode: number; body: string }>(t: UploadTestApp, send: () => Promise<R>, status: number, message?: string): Promise<R> {
  const before = await fileRows(t.db);
  const response = await refusedWritingNothing(t.db, send, status, message && escapeLikeHandlebars(message));
  expect(await fileRows(t.db)).toEqual(before);
  await vi.waitFor(() => expect(temporaryUploads(t)).toEqual([]));
  return response;
}

/** A message as a page shows it: Handlebars escapes these characters. */
export function escapeLikeHandlebars(text: string): string {
  const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };
  return text.replace(/[&<>"'`=]/g, (character) => escapes[character]!);
}
