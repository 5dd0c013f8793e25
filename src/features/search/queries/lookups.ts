import { sql } from 'kysely';
import { fixedLimit } from '../../../db/fixed-limit.js';
import type { Db } from '../../../db/types.js';
import { containsPattern } from '../../../lib/like-pattern.js';
import { audiencesFor, isStaff, type Viewer } from '../../discussions/access.js';

/* What a search's page looks up besides the results: what its filters name, and the members and tags its words name. */

/** What the filters name, looked up in one round trip: each undefined when it names nothing the viewer may see. */
export interface FilterTargets {
  category: { id: number; name: string } | undefined;
  initiative: { id: number; name: string } | undefined;
  agency: { id: number; name: string } | undefined;
  author: { id: number; name: string; handle: string } | undefined;
}

export async function findFilterTargets(db: Db, viewer: Viewer, names: { category?: string | undefined; initiative?: string | undefined; agencyId?: number | undefined; author?: string | undefined }): Promise<FilterTargets> {
  const { rows } = await sql<{ target: keyof FilterTargets; id: number; name: string; handle: string | null }>`
    select 'category' as target, id, name, null as handle from categories where slug = ${names.category ?? null}::text and visible_to = any(${audiencesFor(viewer)}::text[])
    union all
    select 'initiative', id, name, null from initiative_types where slug = ${names.initiative ?? null}::text
    union all
    select 'agency', id, name, null from agencies where id = ${names.agencyId ?? null}::bigint
    union all
    select 'author', id, display_name, handle from members where lower(handle) = lower(${names.author ?? null}::text)
      ${isStaff(viewer.role) ? sql`` : sql`and deactivated_at is null`}
  `.execute(db);
  const found = (target: keyof FilterTargets) => rows.find((row) => row.target === target);
  const ref = (target: keyof FilterTargets) => {
    const row = found(target);
    return row && { id: Number(row.id), name: row.name };
  };
  const author = found('author');
  return { category: ref('category'), initiative: ref('initiative'), agency: ref('agency'), author: author && { id: Number(author.id), name: author.name, handle: author.handle! } };
}

export interface MemberMatch {
  displayName: string;
  handle: string;
  agencyName: string | null;
}

const MEMBERS_SHOWN = 5;
const TAGS_SHOWN = 8;

/**
 * Active members whose name or handle holds the words, or nearly does (pg_trgm's `<%`: a word
 * similarity of at least pg_trgm.word_similarity_threshold, 0.6 by default, so "jon smth" finds
 * Jon Smith): the trigram index members_search_names answers both tests. Best match first.
 */
export async function findMembersLike(db: Db, text: string): Promise<MemberMatch[]> {
  const { rows } = await sql<{ display_name: string; handle: string; agency_name: string | null }>`
    select m.display_name, m.handle, ag.name as agency_name
    from members m left join agencies ag on ag.id = m.agency_id
    where m.deactivated_at is null
      and ((m.display_name || ' ' || m.handle) ilike ${containsPattern(text)}::text or ${text}::text <% (m.display_name || ' ' || m.handle))
    order by word_similarity(${text}::text, m.display_name || ' ' || m.handle) desc, m.display_name, m.id
    limit ${fixedLimit(MEMBERS_SHOWN)}
  `.execute(db);
  return rows.map((row) => ({ displayName: row.display_name, handle: row.handle, agencyName: row.agency_name }));
}

/**
 * Tags of resources the viewer may see that are the words as a tag or, for one word, nearly (a
 * trigram similarity, by resource_tags_similar), with how many resources carry each. Near misses
 * are for one word only: PostgreSQL reckons the similarity test cheap and so tests every tag row
 * rather than use the index (28 ms for a three-word search against 12,400 tag rows, where the
 * exact tag is an index lookup), and several words as one tag rarely come near a tag but as it is.
 */
export async function findTagsLike(db: Db, viewer: Viewer, tag: string, nearMisses: boolean): Promise<{ tag: string; count: number }[]> {
  const { rows } = await sql<{ tag: string; count: number }>`
    select rt.tag, count(*)::int as count
    from resource_tags rt join resources r on r.id = rt.resource_id
    where ${nearMisses ? sql`rt.tag % ${tag}::text` : sql`rt.tag = ${tag}::text`}
      and r.removed_at is null ${isStaff(viewer.role) ? sql`` : sql`and r.hidden_at is null`}
    group by rt.tag
    order by similarity(rt.tag, ${tag}::text) desc, count(*) desc, rt.tag
    limit ${fixedLimit(TAGS_SHOWN)}
  `.execute(db);
  return rows;
}

/** The categories the viewer may see, in the administrators' order: the filter form's list. */
export async function listCategoryChoices(db: Db, viewer: Viewer): Promise<{ value: string; label: string }[]> {
  const rows = await db.selectFrom('categories').select(['slug', 'name']).where('visible_to', 'in', audiencesFor(viewer)).orderBy('position').orderBy('id').execute();
  return rows.map((row) => ({ value: row.slug, label: row.name }));
}
