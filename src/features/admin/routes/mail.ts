import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { BadRequest } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseFilterQuery, parseForm, parseParams, type FieldErrors } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { ButtonForm } from '../../auth/schemas.js';
import { administratorOf } from '../actor.js';
import { retryEmail } from '../mail.js';
import { ADMIN_MESSAGES as M } from '../messages.js';
import { listQueuedEmails, type QueuedEmail } from '../queries.js';
import { AdminItemParams, EMAILS_PER_PAGE, MAIL_STATE_NAMES, MAIL_STATES, MailListQuery } from '../schemas.js';

const LIST = '/admin/mail';

// An SMTP error can quote the address it refused: only its domain is shown, as in the list.
const ADDRESS_LOCAL_PART = /[^\s<>"'(),;:@]+@(?=[^\s@])/g;

function asShown(email: QueuedEmail) {
  return { ...email, stateName: MAIL_STATE_NAMES[email.state], failed: email.state === 'failed', lastError: email.lastError?.replace(ADDRESS_LOCAL_PART, '…@') ?? null };
}

function showMail(reply: FastifyReply, page: { state: string; problem?: FieldErrors; emails?: QueuedEmail[]; olderHref?: string; paged?: boolean; csrfToken: string }) {
  return reply.view('admin/mail', {
    title: 'Mail queue',
    state: page.state,
    states: MAIL_STATES.map((value) => ({ value, label: MAIL_STATE_NAMES[value] })),
    problem: page.problem,
    emails: (page.emails ?? []).map(asShown),
    olderHref: page.olderHref,
    paged: page.paged ?? false,
    csrfToken: page.csrfToken,
  });
}

/** /admin/mail: the emails not yet sent, and a Retry button for those the worker gave up on. */
const mailRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(LIST, async (request, reply) => {
    const parsed = parseFilterQuery(MailListQuery, request.query, ['state']);
    if (!parsed.ok) return showMail(reply.code(400), { state: parsed.typed.state ?? '', problem: { [parsed.field]: M.mailFilterProblem(parsed.message) }, csrfToken: reply.generateCsrf() });
    const { state, before } = parsed.data;
    const rows = await listQueuedEmails(deps.db, parsed.data, EMAILS_PER_PAGE + 1);
    const emails = rows.slice(0, EMAILS_PER_PAGE);
    const older = new URLSearchParams(state ? { state } : {});
    older.set('before', String(emails.at(-1)?.id));
    return showMail(reply, { state: state ?? '', emails, olderHref: rows.length > EMAILS_PER_PAGE ? `${LIST}?${older.toString()}` : undefined, paged: before !== undefined, csrfToken: reply.generateCsrf() });
  });

  app.post(`${LIST}/:id/retry`, async (request, reply) => {
    const form = parseForm(ButtonForm, request.body);
    if (!form.ok) throw new BadRequest(form.errors._form);
    const { id } = parseParams(AdminItemParams, request.params);
    // A second press finds the email queued already: the same page, saying so, nothing written.
    const { toDomain, retried } = await retryEmail(deps, id, administratorOf(request));
    setFlash(request, retried ? M.emailRetried(toDomain) : M.emailAlreadyQueued(toDomain));
    return redirectTo(reply, LIST);
  });
};

export default mailRoutes;
