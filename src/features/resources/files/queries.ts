import { sql, type Transaction } from 'kysely';
import type { DB } from '../../../db/schema.js';
import type { Db } from '../../../db/types.js';
import { HttpError } from '../../../lib/errors.js';
import { audiencesFor, isStaff, type Viewer } from '../../discussions/access.js';
import { heldThreadShownTo } from '../../moderation/queries/held-posts.js';
import { FILE_MESSAGES } from './messages.js';
import type { AllowedFileType, ReceivedFile } from './received-file.js';

/** What a file is attached to: a resource or a post, never both (files_one_owner). */
export type FileOwner = { resourceId: number } | { postId: number };

/** A received file to attach, with the alt text its member gave (images in posts). */
export type NewFile = Pick<ReceivedFile, 'name' | 'byteSize' | 'sha256' | 'contentType' | 'width' | 'height'> & { altText?: string | null };

function ownerColumns(owner: FileOwner) {
  return 'resourceId' in owner ? { resource_id: owner.resourceId, post_id: null } : { resource_id: null, post_id: owner.postId };
}

/** The column naming the owner, and its id. */
function ownerKey(owner: FileOwner): ['resource_id' | 'post_id', number] {
  return 'resourceId' in owner ? ['resource_id', owner.resourceId] : ['post_id', owner.postId];
}

/** Contents forgotten between storing and attaching: withStoredFiles stores them again, once, then it is a 503. */
export class StoredContentsMissing extends HttpError {
  constructor() {
    super(503, FILE_MESSAGES.storeBusy, { 'retry-after': '5' });
  }
}

/**
 * The stored contents of these files, locked until the transaction ends: the store forgets
 * contents no file names only after taking a lock this waits for, so a file row is never
 * committed naming contents that were just forgotten.
 */
async function lockStoredContents(trx: Transaction<DB>, keys: readonly string[]): Promise<void> {
  const distinct = [...new Set(keys)];
  const rows = await trx
    .selectFrom('file_blobs')
    .select('id')
    .where('sha256', 'in', distinct.map((key) => Buffer.from(key, 'hex')))
    .where('stored_at', 'is not', null)
    .orderBy('id')
    .forKeyShare()
    .execute();
  // Forgotten between storing and this transaction by a refused request in another process.
  if (rows.length !== distinct.length) throw new StoredContentsMissing();
}

/** Attaches files (already in the store: see withStoredFiles) after the owner's others; their ids, in order. */
export async function insertFiles(trx: Transaction<DB>, files: readonly NewFile[], owner: FileOwner, uploadedBy: number): Promise<number[]> {
  if (files.length === 0) return [];
  await lockStoredContents(trx, files.map((file) => file.sha256));
  const [column, ownerId] = ownerKey(owner);
  const last = await trx
    .selectFrom('files')
    .select((eb) => eb.fn.max('position').as('position'))
    .where(column, '=', ownerId)
    .executeTakeFirst();
  const first = (last?.position ?? 0) + 1;
  const rows = await trx
    .insertInto('files')
    .values(files.map((file, index) => ({ ...fileColumns(file), ...ownerColumns(owner), position: first + index, uploaded_by: uploadedBy })))
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

function fileColumns(file: NewFile) {
  return { storage_key: file.sha256, byte_size: file.byteSize, content_type: file.contentType, name: file.name, alt_text: file.altText ?? null, width: file.width, height: file.height };
}

/**
 * A new version of one of the owner's current files: a row in its place naming the first
 * version, the old one marked replaced (it stays listed and downloadable). Undefined when the
 * owner has no such current file (replaced meanwhile, or someone else's).
 */
export async function replaceFile(trx: Transaction<DB>, previousId: number, file: NewFile, owner: FileOwner, uploadedBy: number): Promise<number | undefined> {
  const [column, ownerId] = ownerKey(owner);
  const previous = await trx
    .selectFrom('files')
    .select(['id', 'version_of', 'position', 'alt_text'])
    .where('id', '=', previousId)
    .where(column, '=', ownerId)
    .where('replaced_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!previous) return undefined;
  await lockStoredContents(trx, [file.sha256]);
  const row = await trx
    .insertInto('files')
    .values({ ...fileColumns(file), alt_text: file.altText ?? previous.alt_text, ...ownerColumns(owner), version_of: previous.version_of ?? previous.id, position: previous.position, uploaded_by: uploadedBy })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx.updateTable('files').set({ replaced_at: sql`now()` }).where('id', '=', previous.id).execute();
  return row.id;
}

export interface AttachedFile {
  id: number;
  name: string;
  contentType: AllowedFileType;
  byteSize: number;
  width: number | null;
  height: number | null;
  altText: string | null;
  resourceId: number | null;
  postId: number | null;
  /** The first version's id, for every later one. */
  versionOf: number | null;
  replacedAt: Date | null;
  uploadedAt: Date;
  downloadCount: number;
}

const attachedColumns = ['id', 'name', 'content_type', 'byte_size', 'width', 'height', 'alt_text', 'resource_id', 'post_id', 'version_of', 'replaced_at', 'uploaded_at', 'download_count'] as const;

/** A resource's files, or those of a page of posts (post by post): current and earlier versions, in their places, newest version first. */
export async function listAttachedFiles(db: Db, owners: { resourceId: number } | { postIds: readonly number[] }): Promise<AttachedFile[]> {
  if ('postIds' in owners && owners.postIds.length === 0) return [];
  const rows = await db
    .selectFrom('files')
    .select(attachedColumns)
    .$call((qb) => ('resourceId' in owners ? qb.where('resource_id', '=', owners.resourceId) : qb.where('post_id', '=', sql<number>`any(${[...owners.postIds]}::bigint[])`)))
    .orderBy('post_id')
    .orderBy('position')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toAttachedFile);
}

/** A file's row, its times as Dates or (from JSON) as milliseconds since the epoch. */
interface AttachedFileRow {
  id: number;
  name: string;
  content_type: string;
  byte_size: number;
  width: number | null;
  height: number | null;
  alt_text: string | null;
  resource_id: number | null;
  post_id: number | null;
  version_of: number | null;
  replaced_at: Date | number | null;
  uploaded_at: Date | number;
  download_count: number;
}

/**
 * A resource's (`r`) files as listAttachedFiles lists them, as one JSON column of the statement
 * that reads the resource: the resource page reads both in one round trip. Map with filesFromJson.
 */
export const resourceFilesOf = sql<AttachedFileRow[]>`coalesce((
  select json_agg(json_build_object('id', f.id, 'name', f.name, 'content_type', f.content_type, 'byte_size', f.byte_size,
    'width', f.width, 'height', f.height, 'alt_text', f.alt_text, 'resource_id', f.resource_id, 'post_id', f.post_id,
    'version_of', f.version_of, 'replaced_at', extract(epoch from f.replaced_at) * 1000, 'uploaded_at', extract(epoch from f.uploaded_at) * 1000,
    'download_count', f.download_count) order by f.position, f.id desc)
  from files f where f.resource_id = r.id
), '[]'::json)`;

export function filesFromJson(rows: AttachedFileRow[]): AttachedFile[] {
  return rows.map(toAttachedFile);
}

function toAttachedFile(row: AttachedFileRow): AttachedFile {
  return {
    id: row.id,
    name: row.name,
    contentType: row.content_type as AllowedFileType,
    byteSize: row.byte_size,
    width: row.width,
    height: row.height,
    altText: row.alt_text,
    resourceId: row.resource_id,
    postId: row.post_id,
    versionOf: row.version_of,
    replacedAt: row.replaced_at === null ? null : new Date(row.replaced_at),
    uploadedAt: new Date(row.uploaded_at),
    downloadCount: row.download_count,
  };
}

export interface DownloadableFile {
  id: number;
  name: string;
  contentType: AllowedFileType;
  byteSize: number;
  storageKey: string;
}

/**
 * A file and whether the viewer may download it, judged now from what it is attached to: a
 * resource not removed, or a post (and thread) neither hidden nor deleted in a category the
 * viewer may see. Moderators and administrators may download any.
 */
export async function findDownloadableFile(db: Db, viewer: Viewer, id: number): Promise<{ file: DownloadableFile; mayDownload: boolean } | undefined> {
  const row = await db
    .selectFrom('files as f')
    .leftJoin('resources as r', 'r.id', 'f.resource_id')
    .leftJoin('posts as p', 'p.id', 'f.post_id')
    // A resource's file is seen where its discussion is: the library's category decides who.
    .leftJoin('threads as t', (join) => join.on((eb) => eb.or([eb('t.id', '=', eb.ref('p.thread_id')), eb('t.id', '=', eb.ref('r.thread_id'))])))
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .select(['f.id', 'f.name', 'f.content_type', 'f.byte_size', 'f.storage_key', 'f.resource_id', 'r.removed_at', 'r.hidden_at as resource_hidden_at', 'p.hidden_at', 'p.deleted_at', 'p.held_at', 'p.author_id', 't.hidden_at as thread_hidden_at', 't.deleted_at as thread_deleted_at', 'c.visible_to'])
    // A moderator may reply in a thread whose first post waits for approval: until then the
    // thread, and every file in it, is its author's and staff's alone.
    .select(heldThreadShownTo(viewer).as('thread_shown'))
    .where('f.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const file = { id: row.id, name: row.name, contentType: row.content_type as AllowedFileType, byteSize: row.byte_size, storageKey: row.storage_key };
  if (isStaff(viewer.role)) return { file, mayDownload: true };
  const inCategory = (audiencesFor(viewer) as string[]).includes(row.visible_to ?? '');
  const mayDownload =
    row.resource_id !== null
      ? row.removed_at === null && row.resource_hidden_at === null && inCategory
      : row.hidden_at === null && row.deleted_at === null && (row.held_at === null || row.author_id === viewer.id) && row.thread_shown && row.thread_hidden_at === null && row.thread_deleted_at === null && inCategory;
  return { file, mayDownload };
}

/** Counts a download once per member per file per day (`day` as YYYY-MM-DD in the site's zone), and its resource's with it. */
export async function countDownload(db: Db, fileId: number, memberId: number, day: string): Promise<void> {
  await sql`
    with new_download as (
      insert into file_downloads (file_id, member_id, day) values (${fileId}, ${memberId}, ${day}::date)
      on conflict do nothing
      returning file_id
    ), counted_file as (
      update files set download_count = download_count + 1 where id in (select file_id from new_download) returning resource_id
    )
    update resources set download_count = download_count + 1 where id in (select resource_id from counted_file)
  `.execute(db);
}
