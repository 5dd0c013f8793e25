import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';

/** A resource's files as its versions keep them: attaching, listing and downloading are files/queries.ts's. */

export interface CurrentFile {
  id: number;
  name: string;
}

// A resource's current files (`r` is the resource), in the order it lists them.
export const currentFilesOf = sql<CurrentFile[]>`coalesce((
  select json_agg(json_build_object('id', f.id, 'name', f.name) order by f.position, f.id)
  from files f where f.resource_id = r.id and f.replaced_at is null
), '[]'::json)`;

/**
 * Takes current files off a resource: marked replaced with nothing in their place, so the page no
 * longer lists them while the revision that had them still names them. How many were current.
 */
export async function retireResourceFiles(db: Db, resourceId: number, fileIds: readonly number[]): Promise<number> {
  if (fileIds.length === 0) return 0;
  const result = await db
    .updateTable('files')
    .set({ replaced_at: sql`now()` })
    .where('resource_id', '=', resourceId)
    .where('id', '=', sql<number>`any(${[...fileIds]}::bigint[])`)
    .where('replaced_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
