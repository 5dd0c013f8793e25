import type { Kysely } from 'kysely';
import { parseSiteSetting, SITE_SETTINGS, type SiteSettingName, type SiteSettingValues } from './config.js';
import type { Db } from './db/types.js';
import type { DB } from './db/schema.js';

/**
 * The editable settings in force (config.ts SITE_SETTINGS): a row in setting_overrides where an
 * administrator saved one, else the environment's value or the default. Every instance reads the
 * table again when its copy is more than MAX_AGE_MS old, so a change made on another instance
 * applies there within five seconds; the instance that saved it reads it at once.
 */
export const SITE_SETTINGS_MAX_AGE_MS = 5_000;

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
  #loading: Promise<void> | undefined;

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

  /** Reads the table now; requests that arrive meanwhile wait for the same read. */
  refresh(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const startedAt = this.now().getTime();
        this.#current = effectiveSiteSettings(this.environment, await listStoredSiteSettings(this.db));
        this.#loadedAt = startedAt;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  /** One cheap query per MAX_AGE_MS at most: what every request and each mail batch calls first. */
  async refreshIfStale(): Promise<void> {
    if (this.now().getTime() - this.#loadedAt >= SITE_SETTINGS_MAX_AGE_MS) await this.refresh();
  }
}
