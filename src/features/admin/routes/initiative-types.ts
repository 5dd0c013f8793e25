import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { formToken, parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { ButtonForm } from '../../auth/schemas.js';
import { administratorOf } from '../actor.js';
import { addInitiativeType, moveInitiativeType, removeInitiativeType, renameInitiativeType } from '../initiative-types.js';
import { findInitiativeType, listInitiativeTypes, type InitiativeType } from '../queries.js';
import { ADMIN_MESSAGES as M } from '../messages.js';
import { AdminItemParams, INITIATIVE_TYPE_LIMITS, MoveToPositionForm, NewInitiativeTypeForm, RenameInitiativeTypeForm } from '../schemas.js';

const LIST = '/admin/initiative-types';
const NAME_HINT = `At most ${INITIATIVE_TYPE_LIMITS.name} characters.`;

interface ListState {
  /** The add form's values, after it was refused. */
  values?: Record<string, string>;
  errors?: FieldErrors;
}

async function showList(deps: Deps, reply: FastifyReply, { values = {}, errors }: ListState = {}): Promise<FastifyReply> {
  const types = await listInitiativeTypes(deps.db);
  return reply.view('admin/initiative-types', {
    title: 'Initiative types',
    types: types.map((type) => ({
      ...type,
      // The place each button moves the type to: a second press of the same button changes nothing.
      up: type.position > 1 ? type.position - 1 : undefined,
      down: type.position < types.length ? type.position + 1 : undefined,
    })),
    csrfToken: reply.generateCsrf(),
    formToken: formToken.safeParse(values.form_token).data ?? randomUUID(),
    values,
    errors,
    limits: INITIATIVE_TYPE_LIMITS,
    nameHint: NAME_HINT,
  });
}

function showRename(reply: FastifyReply, type: InitiativeType, values: Record<string, string>, errors?: FieldErrors): FastifyReply {
  return reply.view('admin/initiative-type', { title: `Rename “${type.name}”`, type, csrfToken: reply.generateCsrf(), values, errors, limits: INITIATIVE_TYPE_LIMITS, nameHint: NAME_HINT });
}

const initiativeTypeRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(LIST, async (_request, reply) => showList(deps, reply));

  app.post(LIST, async (request, reply) => {
    const form = parseForm(NewInitiativeTypeForm, request.body);
    if (!form.ok) return showList(deps, reply.code(422), form);
    const added = await addInitiativeType(deps, { name: form.data.name, formToken: form.data.form_token }, administratorOf(request));
    if (!added.ok) return showList(deps, reply.code(422), { values: { name: form.data.name }, errors: { name: M.initiativeTypeNameTaken(form.data.name) } });
    setFlash(request, M.initiativeTypeAdded(added.name));
    return redirectTo(reply, LIST);
  });

  app.get('/admin/initiative-types/:id', async (request, reply) => {
    const { id } = parseParams(AdminItemParams, request.params);
    const type = await findInitiativeType(deps.db, id);
    if (!type) throw new NotFound();
    return showRename(reply, type, { name: type.name });
  });

  app.post('/admin/initiative-types/:id', async (request, reply) => {
    const { id } = parseParams(AdminItemParams, request.params);
    const type = await findInitiativeType(deps.db, id);
    if (!type) throw new NotFound();
    const form = parseForm(RenameInitiativeTypeForm, request.body);
    if (!form.ok) return showRename(reply.code(422), type, form.values, form.errors);
    const renamed = await renameInitiativeType(deps, id, form.data.name, administratorOf(request));
    if (!renamed.ok && renamed.reason === 'not-found') throw new NotFound();
    if (!renamed.ok) return showRename(reply.code(422), type, { name: form.data.name }, { name: M.initiativeTypeNameTaken(form.data.name) });
    setFlash(request, renamed.changed ? M.initiativeTypeRenamed(renamed.from, renamed.to) : M.initiativeTypeUnchanged(renamed.to));
    return redirectTo(reply, LIST);
  });

  app.post('/admin/initiative-types/:id/position', async (request, reply) => {
    const { id } = parseParams(AdminItemParams, request.params);
    // The buttons send only places in the list: anything else is a stale page or a made-up form.
    const refuse = () => showList(deps, reply.code(422), { errors: { _form: M.badPosition } });
    const form = parseForm(MoveToPositionForm, request.body);
    if (!form.ok) return refuse();
    const moved = await moveInitiativeType(deps, id, form.data.position, administratorOf(request));
    if (!moved.ok && moved.reason === 'not-found') throw new NotFound();
    if (!moved.ok) return refuse();
    setFlash(request, M.initiativeTypeMoved(moved.name, moved.position));
    return redirectTo(reply, LIST);
  });

  app.post('/admin/initiative-types/:id/remove', async (request, reply) => {
    const { id } = parseParams(AdminItemParams, request.params);
    const form = parseForm(ButtonForm, request.body);
    if (!form.ok) return showList(deps, reply.code(422), { errors: form.errors });
    const removed = await removeInitiativeType(deps, id, administratorOf(request));
    if (!removed.ok && removed.reason === 'not-found') throw new NotFound();
    if (!removed.ok && removed.reason === 'in-use') return showList(deps, reply.code(409), { errors: { _form: M.initiativeTypeInUse(removed.name, removed.resources) } });
    setFlash(request, removed.ok ? M.initiativeTypeRemoved(removed.name) : M.initiativeTypeAlreadyRemoved);
    return redirectTo(reply, LIST);
  });
};

export default initiativeTypeRoutes;
