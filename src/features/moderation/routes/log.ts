import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { ACTION_NAMES, MODERATION_MESSAGES as M } from '../messages.js';
import { findLogTargets, listLog, listLogActors, memberHref, type LogActor, type LogTarget, type RecordEntry } from '../record.js';
import { LogQuery } from '../schemas.js';

/** One part of a row's "About" cell: a name, linked where the moderator can open it. */
interface AboutPart {
  label?: string;
  name: string;
  href?: string;
  quoted?: boolean;
}

const TARGET_LABELS: Record<string, string> = { post: 'a post in', thread: 'the thread', resource: 'the resource', member_warning: 'a warning' };

function aboutOf(entry: RecordEntry, targets: Map<string, LogTarget>): AboutPart[] {
  const parts: AboutPart[] = [];
  if (entry.subjectId !== null && entry.subjectName !== null && entry.subjectHandle !== null) {
    parts.push({ name: entry.subjectName, href: memberHref({ id: entry.subjectId, handle: entry.subjectHandle, deactivated: entry.subjectDeactivated }) });
  }
  const type = entry.targetType;
  // The member an action is about is usually its target too: named once.
  if (type === null || (type === 'member' && entry.targetId === String(entry.subjectId))) return parts;
  const target = targets.get(`${type}:${entry.targetId}`);
  if (target) parts.push({ label: TARGET_LABELS[type], ...target, quoted: type !== 'member' });
  else if (type === 'member_warning') parts.push({ name: TARGET_LABELS[type]! });
  // Gone, out of sight, or an administrator's object (an agency, a domain rule): its kind and id, as recorded.
  else parts.push({ name: `${type.replace(/_/g, ' ')} ${entry.targetId ?? ''}`.trim() });
  return parts;
}

const actorOption = (actor: LogActor) => ({ value: String(actor.id), label: `${actor.displayName} (${actor.role === 'member' ? 'former staff' : actor.role})` });

const FILTER_FIELDS: readonly string[] = ['actor', 'member', 'action', 'from', 'to'];

/** The query as typed, to re-fill the filters beside a message about them: only single strings. */
function typedFilters(query: unknown): Record<string, string> {
  const raw = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  return Object.fromEntries(FILTER_FIELDS.map((field) => [field, typeof raw[field] === 'string' ? raw[field] : '']));
}

function showLog(reply: FastifyReply, page: { actors: LogActor[]; filters: Record<string, string>; problem?: { field: unknown; message: string }; entries?: (RecordEntry & { actionName: string; about: AboutPart[]; actorFiltered: boolean })[]; olderHref?: string; paged?: boolean }) {
  return reply.view('moderation/log', {
    title: 'Moderation log',
    filters: page.filters,
    actors: page.actors.map(actorOption),
    actions: Object.entries(ACTION_NAMES).map(([value, label]) => ({ value, label })),
    // Keyed by the field it is about, so the summary links to it and the field says it too.
    problem: page.problem && { [FILTER_FIELDS.includes(String(page.problem.field)) ? String(page.problem.field) : '_form']: page.problem.message },
    entries: page.entries ?? [],
    olderHref: page.olderHref,
    paged: page.paged ?? false,
  });
}

/** /mod/log: the audit log, newest first, filtered by moderator, action, member and dates. */
const logRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/mod/log', async (request, reply) => {
    const actors = await listLogActors(deps.db);
    const parsed = LogQuery.safeParse(request.query ?? {});
    const unknownActor = parsed.success && parsed.data.actor !== undefined && !actors.some((actor) => actor.id === parsed.data.actor);
    if (!parsed.success || unknownActor) {
      const issue = parsed.success ? { path: ['actor'], message: M.unknownActor } : parsed.error.issues[0];
      return showLog(reply.code(400), { actors, filters: typedFilters(request.query), problem: { field: issue?.path[0], message: M.logFilterProblem(issue?.message ?? '') } });
    }
    const filters = parsed.data;
    const { entries, more } = await listLog(deps.db, filters, deps.settings.current.TIME_ZONE);
    const targets = await findLogTargets(deps.db, request.member!, entries);
    const staff = new Set(actors.map((actor) => actor.id));
    const shown = { actor: filters.actor?.toString() ?? '', member: filters.member?.toString() ?? '', action: filters.action ?? '', from: filters.from ?? '', to: filters.to ?? '' };
    const kept = new URLSearchParams(Object.entries(shown).filter(([, value]) => value !== ''));
    const last = entries.at(-1);
    if (more && last) kept.set('before', last.cursor);
    return showLog(reply, {
      actors,
      filters: shown,
      entries: entries.map((entry) => ({ ...entry, actionName: ACTION_NAMES[entry.action] ?? entry.action, about: aboutOf(entry, targets), actorFiltered: entry.actorId !== null && staff.has(entry.actorId) })),
      olderHref: more ? `/mod/log?${kept.toString()}` : undefined,
      paged: filters.before !== undefined,
    });
  });
};

export default logRoutes;
