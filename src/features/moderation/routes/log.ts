import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { parseFilterQuery, typedFilters } from '../../../lib/forms.js';
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

const FILTER_FIELDS: readonly string[] = ['actor', 'member', 'action', 'target_type', 'from', 'to'];

/** What a log's page is: where it lives, what it is called, and the actions its filter names. */
export interface LogPage {
  path: string;
  title: string;
  lead: string;
  actionNames: Record<string, string>;
  /** The log holds only the actions it names: moderators see moderation, not sign-ins (with their addresses) or administration. */
  onlyNamedActions: boolean;
}

export const MODERATION_LOG: LogPage = {
  path: '/mod/log',
  title: 'Moderation log',
  lead: 'Every moderation action, newest first. The log cannot be changed.',
  actionNames: ACTION_NAMES,
  onlyNamedActions: true,
};

const TARGET_TYPES: Record<string, string> = { member: 'Member', post: 'Post', thread: 'Thread', resource: 'Resource', member_warning: 'Warning' };

function showLog(reply: FastifyReply, log: LogPage, page: { actors: LogActor[]; filters: Record<string, string>; problem?: { field: string; message: string }; entries?: (RecordEntry & { actionName: string; about: AboutPart[]; actorFiltered: boolean })[]; olderHref?: string; paged?: boolean; targetTypes: Record<string, string> }) {
  return reply.view('moderation/log', {
    title: log.title,
    lead: log.lead,
    path: log.path,
    filters: page.filters,
    actors: page.actors.map(actorOption),
    actions: Object.entries(log.actionNames).map(([value, label]) => ({ value, label })),
    targetTypes: Object.entries(page.targetTypes).map(([value, label]) => ({ value, label })),
    // Keyed by the field it is about, so the summary links to it and the field says it too.
    problem: page.problem && { [page.problem.field]: page.problem.message },
    entries: page.entries ?? [],
    olderHref: page.olderHref,
    paged: page.paged ?? false,
  });
}

/**
 * A page of the audit log, newest first, filtered by actor, action, member acted on, kind of
 * thing acted on and dates: /mod/log here, /admin/audit with administration's names for actions
 * and the things they act on.
 */
export function logHandler(deps: Deps, log: LogPage, extraTargetTypes: Record<string, string> = {}) {
  const targetTypes = { ...TARGET_TYPES, ...extraTargetTypes };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const actors = await listLogActors(deps.db);
    const parsed = parseFilterQuery(LogQuery, request.query, FILTER_FIELDS);
    const unknownActor = parsed.ok && parsed.data.actor !== undefined && !actors.some((actor) => actor.id === parsed.data.actor);
    if (!parsed.ok || unknownActor) {
      const problem = parsed.ok ? { field: 'actor', message: M.logFilterProblem(M.unknownActor) } : { field: parsed.field, message: M.logFilterProblem(parsed.message) };
      return showLog(reply.code(400), log, { actors, filters: parsed.ok ? typedFilters(request.query, FILTER_FIELDS) : parsed.typed, problem, targetTypes });
    }
    const filters = parsed.data;
    const { entries, more } = await listLog(deps.db, filters, deps.settings.current.TIME_ZONE, log.onlyNamedActions ? Object.keys(log.actionNames) : undefined);
    const targets = await findLogTargets(deps.db, request.member!, entries);
    const staff = new Set(actors.map((actor) => actor.id));
    const shown = { actor: filters.actor?.toString() ?? '', member: filters.member?.toString() ?? '', action: filters.action ?? '', target_type: filters.target_type ?? '', from: filters.from ?? '', to: filters.to ?? '' };
    const kept = new URLSearchParams(Object.entries(shown).filter(([, value]) => value !== ''));
    const last = entries.at(-1);
    if (more && last) kept.set('before', last.cursor);
    return showLog(reply, log, {
      actors,
      filters: shown,
      entries: entries.map((entry) => ({ ...entry, actionName: log.actionNames[entry.action] ?? entry.action, about: aboutOf(entry, targets), actorFiltered: entry.actorId !== null && staff.has(entry.actorId) })),
      olderHref: more ? `${log.path}?${kept.toString()}` : undefined,
      paged: filters.before !== undefined,
      targetTypes,
    });
  };
}

const logRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(MODERATION_LOG.path, logHandler(deps, MODERATION_LOG));
};

export default logRoutes;
