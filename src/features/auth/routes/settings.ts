import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { NotFound, RateLimited } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, type FieldErrors } from '../../../lib/forms.js';
import { approximateNetwork } from '../../../lib/network.js';
import { redirectTo } from '../../../lib/next-path.js';
import type { Deps } from '../../../deps.js';
import { recentAuthentication } from '../../../plugins/second-factor.js';
import { AUTH_MESSAGES } from '../messages.js';
import { PASSWORD_MESSAGES } from '../password-messages.js';
import { checkPassword, PASSWORD_LIMITS } from '../password-policy.js';
import { findMemberCredentials, findProfile, updateProfile } from '../queries.js';
import { checkCurrentPassword } from '../signin.js';
import { PasswordChangeForm, PROFILE_LIMITS, ProfileForm, SessionPublicId, TIME_ZONE_CHOICES } from '../schemas.js';
import { describeBrowser, listMemberSessions } from '../sessions.js';
import { changePassword, endSession, endSessionsElsewhere } from '../settings.js';

interface SettingsState {
  profileValues?: Record<string, string>;
  profileErrors?: FieldErrors;
  passwordErrors?: FieldErrors;
}

const settingsRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  async function showSettings(request: FastifyRequest, reply: FastifyReply, state: SettingsState = {}) {
    const member = request.member!;
    const profile = await findProfile(deps.db, member.id);
    const currentPublicId = request.session.get('publicId');
    const sessions = (await listMemberSessions(deps.db, member.id, deps.now()))
      .map((s) => ({
        publicId: s.publicId,
        browser: describeBrowser(s.userAgent),
        network: s.ipAddress && approximateNetwork(s.ipAddress),
        current: s.publicId === currentPublicId,
        startedAt: s.startedAt,
        lastSeenAt: s.lastSeenAt,
      }))
      // This browser's first: the one a person looks for.
      .sort((a, b) => Number(b.current) - Number(a.current));
    return reply.view('auth/settings', {
      title: 'Settings',
      csrfToken: reply.generateCsrf(),
      email: profile.email,
      handle: profile.handle,
      profile: state.profileValues ?? { display_name: profile.displayName, job_title: profile.jobTitle ?? '', bio: profile.bio ?? '', time_zone: profile.timeZone ?? '' },
      profileErrors: state.profileErrors,
      passwordErrors: state.passwordErrors,
      sessions,
      hasOtherSessions: sessions.some((s) => !s.current),
      limits: PROFILE_LIMITS,
      timeZones: TIME_ZONE_CHOICES,
      siteTimeZoneChoice: AUTH_MESSAGES.siteTimeZone(deps.settings.current.TIME_ZONE),
      passwordRule: PASSWORD_MESSAGES.rule(PASSWORD_LIMITS.min, PASSWORD_LIMITS.max),
    });
  }

  app.get('/settings', async (request, reply) => showSettings(request, reply));

  app.post('/settings/profile', async (request, reply) => {
    const form = parseForm(ProfileForm, request.body);
    if (!form.ok) return showSettings(request, reply.code(422), { profileValues: form.values, profileErrors: form.errors });
    await updateProfile(deps.db, request.member!.id, { displayName: form.data.display_name, jobTitle: form.data.job_title, bio: form.data.bio, timeZone: form.data.time_zone });
    setFlash(request, AUTH_MESSAGES.profileSaved);
    return redirectTo(reply, '/settings');
  });

  app.post('/settings/password', { preHandler: recentAuthentication(deps.now, '/settings') }, async (request, reply) => {
    const member = (await findMemberCredentials(deps.db, { id: request.member!.id }))!;
    const form = parseForm(PasswordChangeForm, request.body);
    // The raw values (formValues would drop a NUL that checkPassword must see and refuse).
    const current = form.ok ? await checkCurrentPassword(deps, member, form.data.current_password, request.clientAddress) : ({ ok: false, reason: 'wrong' } as const);
    if (!current.ok && current.reason === 'rate-limited') throw new RateLimited(current.retryAfterSeconds);
    if (!current.ok || !form.ok) return showSettings(request, reply.code(422), { passwordErrors: { current_password: AUTH_MESSAGES.currentPasswordWrong } });
    const password = checkPassword(form.data.new_password, { email: member.email, displayName: member.displayName, handle: member.handle });
    if (!password.ok) return showSettings(request, reply.code(422), { passwordErrors: { new_password: password.reason } });
    await changePassword(deps, member.id, password.password, request.session.get('publicId'), request.clientAddress);
    setFlash(request, AUTH_MESSAGES.passwordChanged);
    return redirectTo(reply, '/settings');
  });

  app.post<{ Params: { publicId: string } }>('/settings/sessions/:publicId/end', async (request, reply) => {
    if (!SessionPublicId.safeParse(request.params.publicId).success) throw new NotFound();
    const isCurrent = request.params.publicId === request.session.get('publicId');
    if (!(await endSession(deps, request.member!.id, request.params.publicId, request.clientAddress))) throw new NotFound();
    // Ending this very session is signing out: nothing of it may be saved again.
    if (isCurrent) {
      await request.session.destroy();
      return redirectTo(reply, '/');
    }
    setFlash(request, AUTH_MESSAGES.sessionEnded);
    return redirectTo(reply, '/settings');
  });

  app.post('/settings/sessions/end-others', async (request, reply) => {
    await endSessionsElsewhere(deps, request.member!.id, request.session.get('publicId'), request.clientAddress);
    setFlash(request, AUTH_MESSAGES.otherSessionsEnded);
    return redirectTo(reply, '/settings');
  });
};

export default settingsRoutes;
