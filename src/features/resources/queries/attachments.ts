import type { Db } from '../../../db/types.js';

export interface StoredFile {
  id: number;
  name: string;
  contentType: string;
  byteSize: number;
  /** The first version of the file this one replaced; null for a first version. */
  versionOf: number | null;
  replaced: boolean;
  uploadedAt: Date;
}

/** Every file of a resource, every version, in the order the resource lists them (files_resource_id). */
export async function listResourceFiles(db: Db, resourceId: number): Promise<StoredFile[]> {
  const rows = await db
    .selectFrom('files')
    .select(['id', 'name', 'content_type', 'byte_size', 'version_of', 'replaced_at', 'uploaded_at'])
    .where('resource_id', '=', resourceId)
    .orderBy('position')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    contentType: row.content_type,
    byteSize: row.byte_size,
    versionOf: row.version_of,
    replaced: row.replaced_at !== null,
    uploadedAt: row.uploaded_at,
  }));
}
