import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest } from '../../../lib/errors.js';
import { ACTION_NAMES, MODERATION_MESSAGES as M } from '../messages.js';
import { listLog } from '../record.js';
import { LogQuery } from '../schemas.js';

/** /mod/log: the audit log, newest first, filtered by moderator, action, member and dates. */
const logRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/mod/log', async (request, reply) => {
    const parsed = LogQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw new BadRequest(M.logFilterProblem(parsed.error.issues[0]?.message ?? ''));
    const filters = parsed.data;
    const { entries, more } = await listLog(deps.db, filters, deps.config.timeZone);
    const shown = { actor: filters.actor?.toString() ?? '', member: filters.member?.toString() ?? '', action: filters.action ?? '', from: filters.from ?? '', to: filters.to ?? '' };
    const kept = new URLSearchParams(Object.entries(shown).filter(([, value]) => value !== ''));
    const last = entries.at(-1);
    if (more && last) kept.set('before', last.cursor);
    return reply.view('moderation/log', {
      title: 'Moderation log',
      filters: shown,
      actions: Object.entries(ACTION_NAMES).map(([value, label]) => ({ value, label })),
      entries: entries.map((entry) => ({ ...entry, actionName: ACTION_NAMES[entry.action] ?? entry.action })),
      olderHref: more ? `/mod/log?${kept.toString()}` : undefined,
      paged: filters.before !== undefined,
    });
  });
};

export default logRoutes;
