import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { SETTING_DOCS } from '../../../config-docs.js';
import { SITE_SETTING_GROUPS, SITE_SETTINGS, siteSettingText } from '../../../config.js';
import type { Deps } from '../../../deps.js';
import { setFlash } from '../../../lib/flash.js';
import { parseForm, type FieldErrors } from '../../../lib/forms.js';
import { plainText } from '../../../lib/generated-docs.js';
import { redirectTo } from '../../../lib/next-path.js';
import { administratorOf } from '../actor.js';
import { ADMIN_MESSAGES as M } from '../messages.js';
import { ResetSettingForm, SETTING_VALUE_MAX, settingInput, SiteSettingsForm } from '../schemas.js';
import { changeSettings, listSettingStates, resetSetting, type SettingSource, type SettingState } from '../settings.js';

const PAGE = '/admin/settings';

function sourceText(source: SettingSource): string {
  if (source.kind === 'default') return 'the default';
  if (source.kind === 'environment') return 'the value set in the environment';
  return 'changed here';
}

/** One setting as the page shows it: its value in the form's terms, and what it would be reset to. */
function shownSetting(deps: Deps, state: SettingState, values: Record<string, string>, errors: FieldErrors | undefined) {
  const spec = SITE_SETTINGS[state.name];
  const input = settingInput(state.name);
  const value = values[state.name] ?? siteSettingText(state.value);
  return {
    name: state.name,
    label: spec.label,
    help: plainText(SETTING_DOCS[state.name].description),
    error: errors?.[state.name],
    value,
    input,
    isBoolean: input.kind === 'boolean',
    isNumber: input.kind === 'number',
    choices: input.kind === 'choice' ? input.choices.map((choice) => ({ value: choice, label: choice })) : undefined,
    booleanChoices: input.kind === 'boolean' ? [{ value: 'true', label: 'Yes', checked: value === 'true' }, { value: 'false', label: 'No', checked: value === 'false' }] : undefined,
    textMax: SETTING_VALUE_MAX,
    source: state.source,
    changedHere: state.source.kind === 'changed',
    sourceText: sourceText(state.source),
    resetText: deps.config.siteFromEnvironment.has(state.name) ? 'Reset to the environment’s value' : 'Reset to the default',
  };
}

async function showSettings(deps: Deps, reply: FastifyReply, submitted: { values?: Record<string, string>; errors?: FieldErrors } = {}): Promise<FastifyReply> {
  const states = await listSettingStates(deps);
  const values = submitted.values ?? {};
  const groups = SITE_SETTING_GROUPS.map((title, index) => ({
    title,
    id: `group-${index + 1}`,
    settings: states.filter((state) => SITE_SETTINGS[state.name].group === title).map((state) => shownSetting(deps, state, values, submitted.errors)),
    saveText: `Save these settings (${title.toLowerCase()})`,
  }));
  return reply.view('admin/settings', { title: 'Settings', groups, errors: submitted.errors, csrfToken: reply.generateCsrf() });
}

const settingRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(PAGE, async (_request, reply) => showSettings(deps, reply));

  app.post(PAGE, async (request, reply) => {
    const form = parseForm(SiteSettingsForm, request.body);
    if (!form.ok) return showSettings(deps, reply.code(422), form);
    const changed = await changeSettings(deps, form.data, administratorOf(request));
    setFlash(request, changed.length > 0 ? M.settingsSaved(changed.map((name) => SITE_SETTINGS[name].label)) : M.settingsUnchanged);
    return redirectTo(reply, PAGE);
  });

  app.post(`${PAGE}/reset`, async (request, reply) => {
    const form = parseForm(ResetSettingForm, request.body);
    if (!form.ok) return showSettings(deps, reply.code(422), { errors: form.errors });
    const { name } = form.data;
    const reset = await resetSetting(deps, name, administratorOf(request));
    setFlash(request, reset ? M.settingReset(SITE_SETTINGS[name].label, sourceText(reset.source)) : M.settingNotChanged(SITE_SETTINGS[name].label));
    return redirectTo(reply, PAGE);
  });
};

export default settingRoutes;
