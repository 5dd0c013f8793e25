import { sql } from 'kysely';
import type { Db } from '../../../db/types.js';
import type { InitiativeTypeRef } from './tags.js';

/** Every initiative type, in the administrators' order: the form's checkboxes. */
export async function listInitiativeTypes(db: Db): Promise<InitiativeTypeRef[]> {
  return db.selectFrom('initiative_types').select(['slug', 'name']).orderBy('position').orderBy('id').execute();
}

export interface AgencyChoice {
  id: number;
  name: string;
  jurisdiction: string | null;
}

/** Every agency a resource may come from, by name: the form's list. */
export async function listAgencyChoices(db: Db): Promise<AgencyChoice[]> {
  return db.selectFrom('agencies').select(['id', 'name', 'jurisdiction']).orderBy(sql`lower(name)`).orderBy('id').execute();
}

/** Whether the agency exists, and how many of the initiative types named by these slugs do, in one round trip. */
export async function checkChoices(db: Db, agencyId: number, initiativeSlugs: string[]): Promise<{ agencyExists: boolean; initiativeTypesFound: number }> {
  const { rows } = await sql<{ agency_exists: boolean; initiative_types_found: number }>`
    select exists (select from agencies where id = ${agencyId}) as agency_exists,
      (select count(*)::int from initiative_types where slug = any(${initiativeSlugs}::text[])) as initiative_types_found
  `.execute(db);
  return { agencyExists: rows[0]!.agency_exists, initiativeTypesFound: rows[0]!.initiative_types_found };
}

/** The agency a member belongs to: where what they share comes from unless they say otherwise. */
export async function findMemberAgencyId(db: Db, memberId: number): Promise<number | null> {
  const row = await db.selectFrom('members').select('agency_id').where('id', '=', memberId).executeTakeFirst();
  return row?.agency_id ?? null;
}
