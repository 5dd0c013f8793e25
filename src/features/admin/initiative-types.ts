import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { slugify } from '../discussions/slug.js';
import type { Actor } from './actor.js';
import { findInitiativeTypeByName, freeInitiativeTypeSlug, initiativeTypesInOrder, lockInitiativeTypes } from './queries.js';

/**
 * The initiative types members tag resources with, in the order administrators give them.
 * A type's slug names it in the library's filter links, so it is made once, from the name it
 * was added with, and kept through renames: a link someone shared keeps working.
 *
 * Every change locks the table against other writers (readers, and the foreign key checks of
 * resources being shared, are not held up), so two administrators adding the same name, or
 * moving types at once, are taken one after the other.
 */

// The slug column allows 60 characters: room is left for a "-2" when a name's slug is taken.
const SLUG_BASE_MAX = 54;

export type AddResult = { ok: true; id: number; name: string; repeated: boolean } | { ok: false; reason: 'name-taken' };

/**
 * Adds a type at the end of the list. The form's token is kept in the audit row, so the same
 * form sent again (a double click, Back and resubmit) finds the type it added instead of
 * being told the name is taken.
 */
export async function addInitiativeType(deps: Pick<Deps, 'db'>, input: { name: string; formToken: string }, actor: Actor): Promise<AddResult> {
  return inTransaction(deps.db, async (trx) => {
    await lockInitiativeTypes(trx);
    const existing = await findInitiativeTypeByName(trx, input.name);
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
    const slug = await freeInitiativeTypeSlug(trx, slugify(input.name, { max: SLUG_BASE_MAX, fallback: 'initiative' }));
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
    await lockInitiativeTypes(trx);
    const type = await trx.selectFrom('initiative_types').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
    if (!type) return { ok: false, reason: 'not-found' };
    const other = await findInitiativeTypeByName(trx, name);
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
    await lockInitiativeTypes(trx);
    const types = await initiativeTypesInOrder(trx).select(['it.id', 'it.name', 'it.position']).execute();
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
    await lockInitiativeTypes(trx);
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
