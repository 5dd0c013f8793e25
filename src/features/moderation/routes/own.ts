import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, parseParams } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { ButtonForm } from '../../auth/schemas.js';
import { ACTION_NAMES, MODERATION_MESSAGES as M } from '../messages.js';
import { listUnacknowledgedWarnings } from '../queries/members.js';
import { listActionsAbout } from '../record.js';
import { WarningParams } from '../schemas.js';
import { acknowledgeWarning, WARNINGS_PATH } from '../warnings.js';

/**
 * A member's own side of moderation (members' routes, outside /mod): the warnings they must
 * read before posting again, and the record of what staff did about them and their content.
 */
const ownModerationRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(WARNINGS_PATH, async (request, reply) => {
    const warnings = await listUnacknowledgedWarnings(deps.db, request.member!.id);
    return reply.view('moderation/warnings', { title: 'Warnings from the moderators', warnings });
  });

  app.post(`${WARNINGS_PATH}/:id/acknowledge`, async (request, reply) => {
    const { id } = parseParams(WarningParams, request.params);
    const form = parseForm(ButtonForm, request.body);
    if (!form.ok) throw new BadRequest(form.errors._form);
    await acknowledgeWarning(deps, { id: request.member!.id, ipAddress: request.clientAddress }, id);
    setFlash(request, M.acknowledged);
    return redirectTo(reply, WARNINGS_PATH);
  });

  app.get('/settings/moderation', async (request, reply) => {
    const entries = await listActionsAbout(deps.db, request.member!.id);
    return reply.view('moderation/own-record', {
      title: 'Moderation of your account and content',
      entries: entries.map((entry) => ({
        occurredAt: entry.occurredAt,
        actionName: ACTION_NAMES[entry.action] ?? entry.action,
        by: deps.settings.current.MODERATOR_NAMES_SHOWN ? entry.actorName : M.aModerator,
        reason: entry.reason,
      })),
    });
  });
};

export default ownModerationRoutes;
