import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { setFlash } from '../../lib/flash.js';
import { parseForm, parseParams, type FieldErrors } from '../../lib/forms.js';
import { redirectTo } from '../../lib/next-path.js';
import { DELIVERY_LABELS, DIGEST_LABEL, KIND_LABELS, NOTIFICATION_MESSAGES } from './messages.js';
import { DELIVERIES, findNotificationPreferences, PREFERENCE_KINDS } from './preferences.js';
import { DIGEST_HOURS, NotificationPreferencesForm, UnsubscribeParams } from './schemas.js';
import { saveNotificationPreferences } from './service.js';
import { isUnsubscribeCurrent, unsubscribe, type UnsubscribeClaim, type UnsubscribeTokens } from './unsubscribe.js';

const SETTINGS_PAGE = '/settings/notifications';

// The signed token in the link is the authority: no session, no Origin check and no form token,
// so a mail provider's one-click POST (RFC 8058) works, and a forged request can do no more than
// the link's holder could by clicking it: turn off that one kind for that one member, once.
const labelsOf = (claim: UnsubscribeClaim) => claim.choices.map(({ kind }) => (kind === 'digest' ? DIGEST_LABEL : KIND_LABELS[kind]));

const unsubscribeRoute = { config: { access: 'public' as const, signedLink: true } };

const notificationRoutes: FastifyPluginAsync<{ deps: Deps; unsubscribeTokens: UnsubscribeTokens }> = async (app, { deps, unsubscribeTokens }) => {
  async function showSettings(request: FastifyRequest, reply: FastifyReply, values?: Record<string, string>, errors?: FieldErrors) {
    const saved = await findNotificationPreferences(deps.db, request.member!.id);
    const chosen = (kind: string) => values?.[kind] ?? saved.deliveries[kind as keyof typeof saved.deliveries];
    const hour = values?.digest_hour ?? String(saved.digestHour);
    return reply.view('notifications/settings', {
      title: 'Email notifications',
      csrfToken: reply.generateCsrf(),
      errors,
      kinds: PREFERENCE_KINDS.map((kind) => ({
        kind,
        label: KIND_LABELS[kind],
        error: errors?.[kind],
        choices: DELIVERIES.map((delivery) => ({ value: delivery, label: DELIVERY_LABELS[delivery], checked: chosen(kind) === delivery })),
      })),
      hours: DIGEST_HOURS.map((value) => ({ value: String(value), label: `${String(value).padStart(2, '0')}:00` })),
      hour,
      hourError: errors?.digest_hour,
    });
  }

  app.get(SETTINGS_PAGE, async (request, reply) => showSettings(request, reply));

  app.post(SETTINGS_PAGE, async (request, reply) => {
    const form = parseForm(NotificationPreferencesForm, request.body);
    if (!form.ok) return showSettings(request, reply.code(422), form.values, form.errors);
    await saveNotificationPreferences(deps, request.member!.id, form.data);
    setFlash(request, NOTIFICATION_MESSAGES.saved);
    return redirectTo(reply, SETTINGS_PAGE);
  });

  /** Verifies the link: the claim it makes, or the page that refuses it (400 forged or altered, 410 used). */
  async function claimOf(request: FastifyRequest, reply: FastifyReply) {
    const { token } = parseParams(UnsubscribeParams, request.params);
    const claim = unsubscribeTokens.verify(token);
    if (!claim) return { refused: reply.code(400).view('notifications/unsubscribe-refused', { title: 'Unsubscribe link not valid', message: NOTIFICATION_MESSAGES.unsubscribeRefused }) };
    if (!(await isUnsubscribeCurrent(deps, claim))) return { refused: showUsed(reply) };
    return { claim, token };
  }

  function showUsed(reply: FastifyReply) {
    return reply.code(410).view('notifications/unsubscribe-refused', { title: 'Unsubscribe link already used', message: NOTIFICATION_MESSAGES.unsubscribeUsed });
  }

  app.get('/unsubscribe/:token', unsubscribeRoute, async (request, reply) => {
    const checked = await claimOf(request, reply);
    if (!checked.claim) return checked.refused;
    return reply.view('notifications/unsubscribe', { title: 'Stop these emails', labels: labelsOf(checked.claim), several: checked.claim.choices.length > 1, action: `/unsubscribe/${checked.token}` });
  });

  app.post('/unsubscribe/:token', unsubscribeRoute, async (request, reply) => {
    const checked = await claimOf(request, reply);
    if (!checked.claim) return checked.refused;
    if (!(await unsubscribe(deps, checked.claim))) return showUsed(reply);
    return reply.view('notifications/unsubscribed', { title: 'You have unsubscribed', message: NOTIFICATION_MESSAGES.unsubscribed(labelsOf(checked.claim)) });
  });
};

export default notificationRoutes;
