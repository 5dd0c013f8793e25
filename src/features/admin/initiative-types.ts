import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { slugify } from '../discussions/slug.js';
import type { Actor } from './actor.js';

/**
 * The initiative types members tag resources with, in the order administrators give them.
 * A type's slug names it in the library's filter links, so it is made once, from the name it
 * was added with, and kept through renames: a link someone shared keeps working.
 *
 * Every change locks the table against other writers (readers, and the foreign key checks of
 * resources being shared, are not held up), so two administrators adding the same name, or
 * moving types at once, are taken one after the other.
 */

export interface InitiativeType {
  id: number;
  slug: string;
  name: string;
  /** 1 for the first in the list, whatever the stored positions are. */
  position: number;
  /** Resources tagged with it (removed ones too: they still refer to it). */
  resources: number;
}

// The slug column allows 60 characters: room is left for a "-2" when a name's slug is taken.
const SLUG_BASE_MAX = 54;

function inOrder(db: Db) {
  return db.selectFrom('initiative_types as it').orderBy('it.position').orderBy(sql`lower(it.name)`).orderBy('it.id');
}

export async function listInitiativeTypes(db: Db): Promise<InitiativeType[]> {
  const rows = await inOrder(db)
    .select(['it.id', 'it.slug', 'it.name'])
    .select((eb) => eb.selectFrom('resource_initiative_types as rit').whereRef('rit.initiative_type_id', '=', 'it.id').select(eb.fn.countAll<number>().as('n')).as('resources'))
    .execute();
  return rows.map((row, index) => ({ id: row.id, slug: row.slug, name: row.name, position: index + 1, resources: Number(row.resources ?? 0) }));
}

export async function findInitiativeType(db: Db, id: number): Promise<InitiativeType | undefined> {
  return (await listInitiativeTypes(db)).find((type) => type.id === id);
}

export type AddResult = { ok: true; id: number; name: string; repeated: boolean } | { ok: false; reason: 'name-taken' };

/**
 * Adds a type at the end of the list. The form's token is kept in the audit row, so the same
 * form sent again (a double click, Back and resubmit) finds the type it added instead of
 * being told the name is taken.
 */
export async function addInitiativeType(deps: Pick<Deps, 'db'>, input: { name: string; formToken: string }, actor: Actor): Promise<AddResult> {
  return inTransaction(deps.db, async (trx) => {
    await lockTypes(trx);
    const existing = await findByName(trx, input.name);
    if (existing) {
      const sameForm = await trx
        .selectFrom('audit_events')
        .select('id')
        .where('target_type', '=', 'initiative_type')
        .where('target_id', '=', String(existing.id))
        .where('action', '=', 'initiative_type.added')
        .where(sql<string>`details->>'formToken'`, '=', input.formToken)
        .executeTakeFirst();
      return sameForm ? { ok: true, id: existing.id, name: existing.name, repeated: true } : { ok: false, reason: 'name-taken' };
    }
    const slug = await freeSlug(trx, slugify(input.name, { max: SLUG_BASE_MAX, fallback: 'initiative' }));
    const last = await trx.selectFrom('initiative_types').select((eb) => eb.fn.max('position').as('position')).executeTakeFirst();
    const position = (last?.position ?? 0) + 1;
    const created = await trx.insertInto('initiative_types').values({ slug, name: input.name, position }).returning('id').executeTakeFirstOrThrow();
    await insertAuditEvent(trx, { ...actor, action: 'initiative_type.added', targetType: 'initiative_type', targetId: created.id, details: { name: input.name, slug, formToken: input.formToken } });
    return { ok: true, id: created.id, name: input.name, repeated: false };
  });
}

export type RenameResult = { ok: true; from: string; to: string; changed: boolean } | { ok: false; reason: 'not-found' | 'name-taken' };

/** Renames a type (its slug stays); another type's name, in any case, is refused. */
export async function renameInitiativeType(deps: Pick<Deps, 'db'>, id: number, name: string, actor: Actor): Promise<RenameResult> {
  return inTransaction(deps.db, async (trx) => {
    await lockTypes(trx);
    const type = await trx.selectFrom('initiative_types').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
    if (!type) return { ok: false, reason: 'not-found' };
    const other = await findByName(trx, name);
    if (other && other.id !== id) return { ok: false, reason: 'name-taken' };
    if (type.name === name) return { ok: true, from: type.name, to: name, changed: false };
    await trx.updateTable('initiative_types').set({ name }).where('id', '=', id).execute();
    await insertAuditEvent(trx, { ...actor, action: 'initiative_type.renamed', targetType: 'initiative_type', targetId: id, details: { before: { name: type.name }, after: { name } } });
    return { ok: true, from: type.name, to: name, changed: true };
  });
}

export type MoveResult = { ok: true; name: string; position: number; changed: boolean } | { ok: false; reason: 'not-found' | 'bad-position' };

/** Moves a type to a place in the list (1 is first); the others close up around it. */
export async function moveInitiativeType(deps: Pick<Deps, 'db'>, id: number, position: number, actor: Actor): Promise<MoveResult> {
  return inTransaction(deps.db, async (trx) => {
    await lockTypes(trx);
    const types = await inOrder(trx).select(['it.id', 'it.name', 'it.position']).execute();
    const from = types.findIndex((type) => type.id === id);
    if (from === -1) return { ok: false, reason: 'not-found' };
    const moving = types[from]!;
    if (position > types.length) return { ok: false, reason: 'bad-position' };
    if (from === position - 1) return { ok: true, name: moving.name, position, changed: false };
    const order = types.filter((type) => type.id !== id);
    order.splice(position - 1, 0, moving);
    for (const [index, type] of order.entries()) {
      if (type.position !== index + 1) await trx.updateTable('initiative_types').set({ position: index + 1 }).where('id', '=', type.id).execute();
    }
    await insertAuditEvent(trx, { ...actor, action: 'initiative_type.moved', targetType: 'initiative_type', targetId: id, details: { name: moving.name, before: { position: from + 1 }, after: { position } } });
    return { ok: true, name: moving.name, position, changed: true };
  });
}

export type RemoveResult = { ok: true; name: string } | { ok: false; reason: 'not-found' } | { ok: false; reason: 'already-removed' } | { ok: false; reason: 'in-use'; name: string; resources: number };

/** Removes a type no resource uses; the audit log tells a second press of Remove from a wrong id. */
export async function removeInitiativeType(deps: Pick<Deps, 'db'>, id: number, actor: Actor): Promise<RemoveResult> {
  return inTransaction(deps.db, async (trx) => {
    await lockTypes(trx);
    // Locked, so a resource being shared with this type either committed before (and is
    // counted) or waits and then fails its foreign key check.
    const type = await trx.selectFrom('initiative_types').select(['id', 'slug', 'name']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!type) {
      const removed = await trx.selectFrom('audit_events').select('id').where('target_type', '=', 'initiative_type').where('target_id', '=', String(id)).where('action', '=', 'initiative_type.removed').executeTakeFirst();
      return removed ? { ok: false, reason: 'already-removed' } : { ok: false, reason: 'not-found' };
    }
    const used = await trx.selectFrom('resource_initiative_types').select((eb) => eb.fn.countAll<number>().as('n')).where('initiative_type_id', '=', id).executeTakeFirstOrThrow();
    if (Number(used.n) > 0) return { ok: false, reason: 'in-use', name: type.name, resources: Number(used.n) };
    await trx.deleteFrom('initiative_types').where('id', '=', id).execute();
    await insertAuditEvent(trx, { ...actor, action: 'initiative_type.removed', targetType: 'initiative_type', targetId: id, details: { name: type.name, slug: type.slug } });
    return { ok: true, name: type.name };
  });
}

async function lockTypes(trx: Transaction<DB>): Promise<void> {
  await sql`lock table initiative_types in share row exclusive mode`.execute(trx);
}

/** The type with this name, compared without regard to case. */
async function findByName(trx: Transaction<DB>, name: string) {
  return trx.selectFrom('initiative_types').select(['id', 'name']).where(sql<boolean>`lower(name) = lower(${name})`).executeTakeFirst();
}

/** The slug, or the first of slug-2, slug-3, … that no type has (slugs hold no LIKE wildcards). */
async function freeSlug(trx: Transaction<DB>, base: string): Promise<string> {
  const rows = await trx
    .selectFrom('initiative_types')
    .select('slug')
    .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', `${base}-%`)]))
    .execute();
  const taken = new Set(rows.map((row) => row.slug));
  let slug = base;
  for (let n = 2; taken.has(slug); n += 1) slug = `${base}-${n}`;
  return slug;
}
