import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formToken, formValues, parseForm, parseParams, refusalAsFieldErrors, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import type { Audience } from '../../discussions/access.js';
import { LIBRARY_CATEGORY } from '../../resources/sharing.js';
import { administratorOf } from '../actor.js';
import { addCategory, changeCategory, moveCategory, removeCategory, type CategorySettings } from '../categories.js';
import { ADMIN_MESSAGES as M } from '../messages.js';
import { findCategoryListing, listCategoryListings, type CategoryListing } from '../queries.js';
import { AdminItemParams, CATEGORY_LIMITS, EditCategoryForm, MoveToPositionForm, NewCategoryForm, RemoveCategoryForm } from '../schemas.js';

const LIST = '/admin/categories';
const AUDIENCE_NAMES: Record<Audience, string> = { members: 'Members', moderators: 'Moderators and administrators' };
const HINTS = {
  name: `At most ${CATEGORY_LIMITS.name} characters.`,
  slug: `Its address: /c/ followed by this. Lower-case letters, digits and hyphens, at most ${CATEGORY_LIMITS.slug} characters. It cannot be changed later, so links to the category keep working.`,
  description: `Optional, on one line, at most ${CATEGORY_LIMITS.description} characters. Members read it on the categories page.`,
};

function audienceChoices(values: Record<string, string>) {
  return {
    visibleTo: [
      { value: 'members', label: 'Members (and staff)', checked: values.visible_to === 'members' },
      { value: 'moderators', label: 'Only moderators and administrators', checked: values.visible_to === 'moderators' },
    ],
    threadsStartedBy: [
      { value: 'members', label: 'Anyone who can see it', checked: values.threads_started_by === 'members' },
      { value: 'moderators', label: 'Only moderators and administrators', checked: values.threads_started_by === 'moderators' },
    ],
  };
}

function settingsOf(form: EditCategoryForm): CategorySettings {
  return { name: form.name, description: form.description, visibleTo: form.visible_to, threadsStartedBy: form.threads_started_by };
}

function valuesOf(category: CategoryListing): Record<string, string> {
  return { name: category.name, description: category.description, visible_to: category.visibleTo, threads_started_by: category.threadsStartedBy };
}

async function showList(deps: Deps, reply: FastifyReply, add: { values?: Record<string, string>; errors?: FieldErrors } = {}): Promise<FastifyReply> {
  const categories = await listCategoryListings(deps.db);
  const values = add.values ?? { visible_to: 'members', threads_started_by: 'members' };
  return reply.view('admin/categories', {
    title: 'Categories',
    categories: categories.map((category) => ({
      ...category,
      visibleToName: AUDIENCE_NAMES[category.visibleTo],
      threadsStartedByName: AUDIENCE_NAMES[category.threadsStartedBy],
      // The place each button moves the category to: a second press of the same button changes nothing.
      up: category.position > 1 ? category.position - 1 : undefined,
      down: category.position < categories.length ? category.position + 1 : undefined,
    })),
    csrfToken: reply.generateCsrf(),
    formToken: formToken.safeParse(values.form_token).data ?? randomUUID(),
    values,
    errors: add.errors,
    choices: audienceChoices(values),
    hints: HINTS,
    limits: CATEGORY_LIMITS,
  });
}

/** Which of the category page's two forms was sent, with its values and messages after a refusal. */
interface CategoryPageState {
  form?: 'edit' | 'remove';
  values?: Record<string, string>;
  errors?: FieldErrors;
}

async function showCategory(deps: Deps, reply: FastifyReply, category: CategoryListing, { form, values = {}, errors }: CategoryPageState = {}): Promise<FastifyReply> {
  const edit = form === 'edit' ? values : valuesOf(category);
  const others = (await listCategoryListings(deps.db)).filter((other) => other.id !== category.id).map((other) => ({ value: String(other.id), label: other.name }));
  return reply.view('admin/category', {
    title: `Category: ${category.name}`,
    category,
    library: category.slug === LIBRARY_CATEGORY,
    threadsHeld: M.threadsHeld(category.threadsHeld),
    counts: M.categoryCounts(category.threadCount, category.postCount),
    csrfToken: reply.generateCsrf(),
    values: edit,
    remove: form === 'remove' ? values : {},
    errors,
    choices: audienceChoices(edit),
    others,
    hints: HINTS,
    limits: CATEGORY_LIMITS,
  });
}

const categoryRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function categoryFor(request: FastifyRequest): Promise<CategoryListing> {
    const { id } = parseParams(AdminItemParams, request.params);
    const category = await findCategoryListing(deps.db, id);
    if (!category) throw new NotFound(M.categoryGone);
    return category;
  }

  app.get(LIST, async (_request, reply) => showList(deps, reply));

  app.post(LIST, async (request, reply) => {
    const form = parseForm(NewCategoryForm, request.body);
    if (!form.ok) return showList(deps, reply.code(422), form);
    try {
      const added = await addCategory(deps, { ...settingsOf(form.data), slug: form.data.slug, formToken: form.data.form_token }, administratorOf(request));
      setFlash(request, added.repeated ? M.categoryAlreadyAdded(added.name) : M.categoryAdded(added.name));
      return redirectTo(reply, LIST);
    } catch (error) {
      return showList(deps, reply.code(422), { values: formValues(request.body), errors: refusalAsFieldErrors(error) });
    }
  });

  app.get(`${LIST}/:id`, async (request, reply) => showCategory(deps, reply, await categoryFor(request)));

  app.post(`${LIST}/:id`, async (request, reply) => {
    const category = await categoryFor(request);
    const form = parseForm(EditCategoryForm, request.body);
    if (!form.ok) return showCategory(deps, reply.code(422), category, { form: 'edit', ...form });
    try {
      const change = await changeCategory(deps, category.id, settingsOf(form.data), administratorOf(request));
      setFlash(request, change.changed ? M.categorySaved(change.name) : M.categoryUnchanged(change.name));
      return redirectTo(reply, LIST);
    } catch (error) {
      return showCategory(deps, reply.code(422), category, { form: 'edit', values: formValues(request.body), errors: refusalAsFieldErrors(error) });
    }
  });

  app.post(`${LIST}/:id/position`, async (request, reply) => {
    const { id } = parseParams(AdminItemParams, request.params);
    // The buttons send only places in the list: anything else is a stale page or a made-up form.
    const form = parseForm(MoveToPositionForm, request.body);
    if (!form.ok) return showList(deps, reply.code(422), { errors: { _form: M.badPosition } });
    try {
      const moved = await moveCategory(deps, id, form.data.position, administratorOf(request));
      setFlash(request, M.categoryMoved(moved.name, moved.position));
      return redirectTo(reply, LIST);
    } catch (error) {
      return showList(deps, reply.code(422), { errors: refusalAsFieldErrors(error) });
    }
  });

  app.post(`${LIST}/:id/remove`, async (request, reply) => {
    const { id } = parseParams(AdminItemParams, request.params);
    const form = parseForm(RemoveCategoryForm, request.body);
    if (!form.ok) return showCategory(deps, reply.code(422), await categoryFor(request), { form: 'remove', ...form });
    try {
      const removed = await removeCategory(deps, id, form.data.move_to, administratorOf(request));
      setFlash(request, removed.alreadyRemoved ? M.categoryAlreadyRemoved : M.categoryRemoved(removed.name, removed.threadsMoved, removed.into));
      return redirectTo(reply, LIST);
    } catch (error) {
      const errors = refusalAsFieldErrors(error);
      return showCategory(deps, reply.code(422), await categoryFor(request), { form: 'remove', values: formValues(request.body), errors });
    }
  });
};

export default categoryRoutes;
