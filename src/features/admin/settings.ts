import { parseSiteSetting, SITE_SETTING_NAMES, type SiteSettingName, type SiteSettingValues } from '../../config.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { announceSiteSettingsChanged } from '../../site-settings.js';
import type { Actor } from './actor.js';
import { deleteSettingOverride, listSettingOverrides, lockSettingOverrides, upsertSettingOverride, type SettingOverride } from './queries.js';

/**
 * The settings administrators change at /admin/settings (config.ts SITE_SETTINGS): a saved value
 * overrides the environment's until it is reset. Each change is one transaction with its audit
 * row and its announcement to the other instances (site-settings.ts); each reads it again at once.
 */

export type SettingSource = { kind: 'default' } | { kind: 'environment' } | { kind: 'changed'; by: string | null; at: Date };

export interface SettingState<K extends SiteSettingName = SiteSettingName> {
  name: K;
  value: SiteSettingValues[K];
  source: SettingSource;
}

type SettingDeps = Pick<Deps, 'db' | 'config' | 'settings'>;

function fromEnvironment<K extends SiteSettingName>(deps: Pick<Deps, 'config'>, name: K): SettingState<K> {
  return { name, value: deps.config.site[name], source: { kind: deps.config.siteFromEnvironment.has(name) ? 'environment' : 'default' } };
}

function stateOf<K extends SiteSettingName>(deps: Pick<Deps, 'config'>, name: K, override: SettingOverride | undefined): SettingState<K> {
  const parsed = override && parseSiteSetting(name, override.value);
  if (!parsed?.ok) return fromEnvironment(deps, name);
  return { name, value: parsed.value, source: { kind: 'changed', by: override!.updatedByName, at: override!.updatedAt } };
}

/** Every editable setting as it stands in the database, and where its value comes from. */
export async function listSettingStates(deps: Pick<Deps, 'db' | 'config'>): Promise<SettingState[]> {
  const overrides = new Map((await listSettingOverrides(deps.db)).map((row) => [row.name, row]));
  return SITE_SETTING_NAMES.map((name) => stateOf(deps, name, overrides.get(name)));
}

/** The audit log's view of a value: where it came from, and JSON's null for "none". */
function recorded(state: SettingState): { value: unknown; source: SettingSource['kind'] } {
  return { value: state.value ?? null, source: state.source.kind };
}

/** This instance applies its own change before it answers, not when it hears of it. */
async function readAgain(deps: SettingDeps): Promise<void> {
  deps.settings.changed();
  await deps.settings.refresh();
}

function actorMemberId(actor: Actor): number | null {
  return 'actorMemberId' in actor ? actor.actorMemberId : null;
}

/**
 * Saves settings given in their environment text form (parsed by SiteSettingsForm), one audit row
 * `setting.changed` each. A value equal to the one in force is left alone, so a form sent twice is
 * recorded once. Returns the names that changed.
 */
export async function changeSettings(deps: SettingDeps, values: Partial<Record<SiteSettingName, string>>, actor: Actor): Promise<SiteSettingName[]> {
  const changed = await inTransaction(deps.db, async (trx) => {
    await lockSettingOverrides(trx);
    const overrides = new Map((await listSettingOverrides(trx)).map((row) => [row.name, row]));
    const names: SiteSettingName[] = [];
    for (const name of SITE_SETTING_NAMES) {
      const text = values[name];
      if (text === undefined) continue;
      const before = stateOf(deps, name, overrides.get(name));
      const parsed = parseSiteSetting(name, text);
      if (!parsed.ok || parsed.value === before.value) continue;
      await upsertSettingOverride(trx, name, text, actorMemberId(actor));
      const after = { value: parsed.value ?? null, source: 'changed' };
      await insertAuditEvent(trx, { ...actor, action: 'setting.changed', targetType: 'setting', targetId: name, details: { name, before: recorded(before), after } });
      names.push(name);
    }
    if (names.length > 0) await announceSiteSettingsChanged(trx);
    return names;
  });
  if (changed.length > 0) await readAgain(deps);
  return changed;
}

/**
 * Takes back an administrator's value: the environment's (or the default) applies again. Returns
 * the setting as it now stands, or undefined when it was not changed here (nothing written).
 */
export async function resetSetting<K extends SiteSettingName>(deps: SettingDeps, name: K, actor: Actor): Promise<SettingState<K> | undefined> {
  const reset = await inTransaction(deps.db, async (trx) => {
    await lockSettingOverrides(trx);
    const override = (await listSettingOverrides(trx)).find((row) => row.name === name);
    if (!override) return undefined;
    const before = stateOf(deps, name, override);
    const after = fromEnvironment(deps, name);
    await deleteSettingOverride(trx, name);
    await insertAuditEvent(trx, { ...actor, action: 'setting.changed', targetType: 'setting', targetId: name, details: { name, before: recorded(before), after: recorded(after) } });
    await announceSiteSettingsChanged(trx);
    return after;
  });
  if (reset) await readAgain(deps);
  return reset;
}
