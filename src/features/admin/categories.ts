import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { Refused } from '../../lib/errors.js';
import type { Audience } from '../discussions/access.js';
import { countContributions, lockThreads, settleCounts } from '../discussions/queries/counts.js';
import { LIBRARY_CATEGORY } from '../resources/sharing.js';
import type { Actor } from './actor.js';
import { ADMIN_MESSAGES as M } from './messages.js';
import { categoriesInOrder, findCategoryNamed, listThreadIdsIn, lockCategories, lockCategoriesById } from './queries.js';

/**
 * Categories as administrators keep them on /admin. A category's slug is its address (/c/slug),
 * in links members have shared and in the resource library's code (LIBRARY_CATEGORY), so it is
 * given once, when the category is added, and never changed: a link to a category keeps working
 * for as long as the category exists. Names, descriptions and who may see and start threads can
 * change at any time.
 */

export interface CategorySettings {
  name: string;
  description: string;
  visibleTo: Audience;
  threadsStartedBy: Audience;
}

type CategoryRow = Awaited<ReturnType<typeof lockCategoriesById>>[number];

function settingsOf(row: CategoryRow): CategorySettings {
  return { name: row.name, description: row.description, visibleTo: row.visible_to as Audience, threadsStartedBy: row.threads_started_by as Audience };
}

/** The resource library's category holds every resource's discussion: members must keep seeing it. */
function refuseHidingTheLibrary(row: CategoryRow, settings: CategorySettings): void {
  if (row.slug === LIBRARY_CATEGORY && settings.visibleTo !== 'members') throw new Refused(M.libraryForMembers, 'visible_to');
}

async function refuseTakenName(db: Db, name: string, except?: number): Promise<void> {
  if (await findCategoryNamed(db, name, except)) throw new Refused(M.categoryNameTaken(name), 'name');
}

/**
 * Adds a category at the end of the list. The form's token is kept in the audit row, so the same
 * form sent again (a double click, Back and resubmit) finds the category it added and writes
 * nothing.
 */
export async function addCategory(deps: Pick<Deps, 'db'>, input: CategorySettings & { slug: string; formToken: string }, actor: Actor): Promise<{ id: number; name: string; repeated: boolean }> {
  return inTransaction(deps.db, async (trx) => {
    await lockCategories(trx);
    const earlier = await trx
      .selectFrom('audit_events as a')
      .innerJoin('categories as c', (join) => join.on(sql<boolean>`c.id::text = a.target_id`))
      .select(['c.id', 'c.name'])
      .where('a.action', '=', 'category.added')
      .where(sql<string>`a.details->>'formToken'`, '=', input.formToken)
      .executeTakeFirst();
    if (earlier) return { id: earlier.id, name: earlier.name, repeated: true };
    await refuseTakenName(trx, input.name);
    if (await trx.selectFrom('categories').select('id').where('slug', '=', input.slug).executeTakeFirst()) throw new Refused(M.categorySlugTaken(input.slug), 'slug');
    const last = await trx.selectFrom('categories').select((eb) => eb.fn.max('position').as('position')).executeTakeFirst();
    const position = (last?.position ?? 0) + 1;
    const created = await trx
      .insertInto('categories')
      .values({ slug: input.slug, name: input.name, description: input.description, visible_to: input.visibleTo, threads_started_by: input.threadsStartedBy, position })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { formToken, ...after } = input;
    await insertAuditEvent(trx, { ...actor, action: 'category.added', targetType: 'category', targetId: created.id, details: { before: null, after: { ...after, position }, formToken } });
    return { id: created.id, name: input.name, repeated: false };
  });
}

/** Renames, redescribes, or changes who may see and start threads; saving what is there writes nothing. */
export async function changeCategory(deps: Pick<Deps, 'db'>, id: number, settings: CategorySettings, actor: Actor): Promise<{ name: string; changed: boolean }> {
  return inTransaction(deps.db, async (trx) => {
    await lockCategories(trx);
    const [row] = await lockCategoriesById(trx, [id]);
    if (!row) throw new Refused(M.categoryGone, '_form', 404);
    refuseHidingTheLibrary(row, settings);
    await refuseTakenName(trx, settings.name, id);
    const before = settingsOf(row);
    const changed = (Object.keys(before) as Array<keyof CategorySettings>).some((key) => before[key] !== settings[key]);
    if (changed) {
      await trx
        .updateTable('categories')
        .set({ name: settings.name, description: settings.description, visible_to: settings.visibleTo, threads_started_by: settings.threadsStartedBy, updated_at: sql`now()` })
        .where('id', '=', id)
        .execute();
      await insertAuditEvent(trx, { ...actor, action: 'category.changed', targetType: 'category', targetId: id, details: { slug: row.slug, before, after: settings } });
    }
    return { name: settings.name, changed };
  });
}

/** Moves a category to a place in the list (1 is first); the others close up around it. */
export async function moveCategory(deps: Pick<Deps, 'db'>, id: number, position: number, actor: Actor): Promise<{ name: string; position: number; changed: boolean }> {
  return inTransaction(deps.db, async (trx) => {
    await lockCategories(trx);
    const categories = await categoriesInOrder(trx).select(['c.id', 'c.name', 'c.position']).execute();
    const from = categories.findIndex((category) => category.id === id);
    if (from === -1) throw new Refused(M.categoryGone, '_form', 404);
    const moving = categories[from]!;
    if (position > categories.length) throw new Refused(M.positionBeyondList(categories.length));
    if (from === position - 1) return { name: moving.name, position, changed: false };
    const order = categories.filter((category) => category.id !== id);
    order.splice(position - 1, 0, moving);
    for (const [index, category] of order.entries()) {
      if (category.position !== index + 1) await trx.updateTable('categories').set({ position: index + 1, updated_at: sql`now()` }).where('id', '=', category.id).execute();
    }
    await insertAuditEvent(trx, { ...actor, action: 'category.moved', targetType: 'category', targetId: id, details: { name: moving.name, before: { position: from + 1 }, after: { position } } });
    return { name: moving.name, position, changed: true };
  });
}

export type Removal = { alreadyRemoved: false; name: string; threadsMoved: number; into: string | null } | { alreadyRemoved: true };

/**
 * Removes a category. One that holds threads (deleted, hidden and waiting ones too, which still
 * belong to it) needs another to move them to: they move, and both categories' counts are settled
 * from the threads' rows, in the same transaction as the removal. Members' watches of the
 * category go with it. A second press finds the category gone and writes nothing.
 */
export async function removeCategory(deps: Pick<Deps, 'db'>, id: number, moveTo: number | null, actor: Actor): Promise<Removal> {
  return inTransaction(deps.db, async (trx) => {
    // Threads before categories, in the order posting takes them (a reply locks its thread, then
    // updates its category's counts), so a reply at this moment waits instead of deadlocking.
    let threadIds = await listThreadIdsIn(trx, id);
    if (threadIds.length > 0) await lockThreads(trx, threadIds);
    const locked = await lockCategoriesById(trx, moveTo === null || moveTo === id ? [id] : [id, moveTo]);
    const category = locked.find((row) => row.id === id);
    if (!category) {
      if (await wasRemoved(trx, id)) return { alreadyRemoved: true };
      throw new Refused(M.categoryGone, '_form', 404);
    }
    if (category.slug === LIBRARY_CATEGORY) throw new Refused(M.libraryKept);
    // A thread started before the category's row was locked, after the first look.
    const latecomers = (await listThreadIdsIn(trx, id)).filter((threadId) => !threadIds.includes(threadId));
    if (latecomers.length > 0) await lockThreads(trx, latecomers);
    threadIds = [...threadIds, ...latecomers];

    let into: CategoryRow | undefined;
    if (threadIds.length > 0) {
      if (moveTo === null) throw new Refused(M.moveTargetNeeded(threadIds.length), 'move_to');
      if (moveTo === id) throw new Refused(M.moveIntoItself, 'move_to');
      into = locked.find((row) => row.id === moveTo);
      if (!into) throw new Refused(M.moveTargetGone, 'move_to');
      const before = await countContributions(trx, threadIds);
      // The version moves on, so a moderator's form opened on a thread before the move is stale.
      await trx
        .updateTable('threads')
        .set((eb) => ({ category_id: moveTo, version: eb('version', '+', 1), updated_at: sql`now()` }))
        .where('id', 'in', threadIds)
        .execute();
      await settleCounts(trx, before, threadIds);
    }
    await trx.deleteFrom('categories').where('id', '=', id).execute();
    const movedTo = into ? { id: into.id, slug: into.slug, name: into.name } : null;
    await insertAuditEvent(trx, {
      ...actor,
      action: 'category.removed',
      targetType: 'category',
      targetId: id,
      details: { before: { slug: category.slug, ...settingsOf(category), position: category.position }, after: null, threadsMoved: threadIds.length, movedTo },
    });
    return { alreadyRemoved: false, name: category.name, threadsMoved: threadIds.length, into: into?.name ?? null };
  });
}

async function wasRemoved(db: Db, id: number): Promise<boolean> {
  const row = await db.selectFrom('audit_events').select('id').where('target_type', '=', 'category').where('target_id', '=', String(id)).where('action', '=', 'category.removed').executeTakeFirst();
  return row !== undefined;
}
