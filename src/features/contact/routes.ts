import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../deps.js';
import { setFlash } from '../../lib/flash.js';
import { formToken, parseForm, type FieldErrors } from '../../lib/forms.js';
import { redirectTo } from '../../lib/next-path.js';
import { CONTACT_MESSAGES } from './messages.js';
import { CONTACT_LIMITS, ContactForm } from './schemas.js';
import { sendContactMessage } from './service.js';

function showForm(reply: FastifyReply, values: Record<string, string> = {}, errors?: FieldErrors): FastifyReply {
  return reply.view('contact/form', {
    title: 'Contact the operators',
    csrfToken: reply.generateCsrf(),
    formToken: formToken.safeParse(values.form_token).data ?? randomUUID(),
    values,
    errors,
    limits: CONTACT_LIMITS,
    messageHint: `At most ${CONTACT_LIMITS.message.toLocaleString('en-AU')} characters.`,
  });
}

const contactRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/contact', { config: { access: 'public' } }, async (_request, reply) => showForm(reply));

  app.post('/contact', { config: { access: 'public', rateLimit: { max: deps.config.rateLimit.contactPerHour, timeWindow: 3_600_000 } } }, async (request, reply) => {
    const form = parseForm(ContactForm, request.body);
    if (!form.ok) return showForm(reply.code(422), form.values, form.errors);
    await sendContactMessage(deps, {
      formToken: form.data.form_token,
      name: form.data.name,
      email: form.data.email,
      subject: form.data.subject,
      message: form.data.message,
      ipAddress: request.clientAddress,
    });
    setFlash(request, CONTACT_MESSAGES.sent);
    return redirectTo(reply, '/contact');
  });
};

export default contactRoutes;
