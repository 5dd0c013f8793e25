import { sql, type Kysely } from 'kysely';
import { parseSiteSetting, SITE_SETTINGS, type SiteSettingName, type SiteSettingValues } from './config.js';
import type { Db } from './db/types.js';
import type { DB } from './db/schema.js';

/**
 * The editable settings in force (config.ts SITE_SETTINGS): a row in setting_overrides where an
 * administrator saved one, else the environment's value or the default. A change is announced on
 * SITE_SETTINGS_CHANNEL as it commits; every instance listening (app.ts) reads the table again
 * before its next request, so a change made on one applies on all at once. An instance that
 * cannot listen (its listening connection lost) reads it again when its copy is MAX_AGE_MS old.
 */
export const SITE_SETTINGS_MAX_AGE_MS = 5_000;
export const SITE_SETTINGS_CHANNEL = 'commons_site_settings';

/** Tells every instance, as the transaction commits, that the settings changed. */
export async function announceSiteSettingsChanged(db: Db): Promise<void> {
  await sql`select pg_notify(${SITE_SETTINGS_CHANNEL}, '')`.execute(db);
}

export interface StoredSiteSetting {
  name: string;
  value: string;
  updatedAt: Date;
  updatedBy: number | null;
}

export async function listStoredSiteSettings(db: Db): Promise<StoredSiteSetting[]> {
  const rows = await db.selectFrom('setting_overrides').select(['name', 'value', 'updated_at', 'updated_by']).execute();
  return rows.map((row) => ({ name: row.name, value: row.value, updatedAt: row.updated_at, updatedBy: row.updated_by }));
}

export function isSiteSettingName(name: string): name is SiteSettingName {
  return Object.hasOwn(SITE_SETTINGS, name);
}

/**
 * The values in force given the stored rows. A row that no longer parses (a rule tightened since
 * it was saved) or names a setting this version does not let administrators change is passed over:
 * the environment's value applies, as it does at start-up.
 */
export function effectiveSiteSettings(environment: SiteSettingValues, stored: StoredSiteSetting[]): SiteSettingValues {
  const values: Record<string, unknown> = { ...environment };
  for (const row of stored) {
    if (!isSiteSettingName(row.name)) continue;
    const parsed = parseSiteSetting(row.name, row.value);
    if (parsed.ok) values[row.name] = parsed.value;
  }
  return values as SiteSettingValues;
}

export class SiteSettings {
  #current: SiteSettingValues;
  #loadedAt = Number.NEGATIVE_INFINITY;
  // Counts the changes heard of; a read begun before the latest one may have missed it.
  #changesHeard = 0;
  // The count when the read now in force began: an older read finishing later is not applied.
  #readAfter = 0;
  #loading: { after: number; done: Promise<void> } | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly environment: SiteSettingValues,
    private readonly now: () => Date,
  ) {
    this.#current = environment;
  }

  /** The values in force as this instance last read them. */
  get current(): Readonly<SiteSettingValues> {
    return this.#current;
  }

  /** Another instance changed them (or one may have, unheard): the next request reads them again. */
  changed(): void {
    this.#changesHeard += 1;
    this.#loadedAt = Number.NEGATIVE_INFINITY;
  }

  /** Reads the table now; requests that arrive meanwhile wait for the same read, unless a change was heard since it began. */
  refresh(): Promise<void> {
    if (this.#loading?.after !== this.#changesHeard) {
      const loading = { after: this.#changesHeard, done: Promise.resolve() };
      loading.done = this.#read(loading.after).finally(() => {
        if (this.#loading === loading) this.#loading = undefined;
      });
      this.#loading = loading;
    }
    return this.#loading.done;
  }

  async #read(after: number): Promise<void> {
    const startedAt = this.now().getTime();
    const current = effectiveSiteSettings(this.environment, await listStoredSiteSettings(this.db));
    if (after < this.#readAfter) return;
    this.#current = current;
    this.#readAfter = after;
    if (after === this.#changesHeard) this.#loadedAt = startedAt;
  }

  /** One cheap query per change heard of, or per MAX_AGE_MS at most: what every request and each mail batch calls first. */
  async refreshIfStale(): Promise<void> {
    if (this.now().getTime() - this.#loadedAt >= SITE_SETTINGS_MAX_AGE_MS) await this.refresh();
  }
}
