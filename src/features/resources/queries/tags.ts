import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';

/** A resource's tags (slugs, resource_tags) and initiative types (resource_initiative_types). */

export interface InitiativeTypeRef {
  slug: string;
  name: string;
}

// A resource's tags and initiative types (`r` is the resource), each a lookup by its key.
export const tagsOf = sql<string[]>`array(select rt.tag from resource_tags rt where rt.resource_id = r.id order by rt.tag)`;
export const initiativeTypesOf = sql<InitiativeTypeRef[]>`coalesce((
  select json_agg(json_build_object('slug', it.slug, 'name', it.name) order by it.position, it.id)
  from resource_initiative_types rit join initiative_types it on it.id = rit.initiative_type_id
  where rit.resource_id = r.id
), '[]'::json)`;

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
