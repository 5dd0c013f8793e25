import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { DB } from './db/schema.js';
import { ConcurrencyLimit, HASHES_AT_ONCE, PasswordHasher } from './features/auth/password-hashing.js';
import { S3FileStore } from './features/resources/files/s3-store.js';
import { PostgresFileStore, type FileStore } from './features/resources/files/storage.js';
import { addressList } from './lib/address-list.js';
import { memoryCounters, redisCounters, type Counters } from './lib/counters.js';
import { loadTemplates, type Templates } from './lib/templates.js';
import { createMail, type Mail } from './mail/mail.js';
import { SiteSettings } from './site-settings.js';

/**
 * What every feature's services are given, built once (in app.ts for the site, in cli/run.ts
 * for the commands): a service takes `deps` and plain values, never a request or a reply.
 */
export interface Deps {
  db: Kysely<DB>;
  config: Config;
  templates: Templates;
  mail: Mail;
  hasher: PasswordHasher;
  /** Where uploaded files' contents live: PostgreSQL, or an S3-compatible store when configured. */
  fileStore: FileStore;
  /** Request counters for the per-account and per-address limits (Redis when configured). */
  counters: Counters;
  /** Client addresses exempt from per-address request limits (RATE_LIMIT_TRUSTED). */
  isTrustedAddress: (address: string) => boolean;
  /** The clock sessions, locks and emails use; tests move it forward. */
  now: () => Date;
  /** The settings administrators may change, as in force now (site-settings.ts): read them here, not from config. */
  settings: SiteSettings;
}

export interface DepsOptions {
  db: Kysely<DB>;
  config: Config;
  templates?: Templates;
  /** Tells the mail worker an email was committed; commands without a worker leave it out. */
  nudgeMail?: () => void;
  redis?: Redis | undefined;
  now?: () => Date;
  /** The hashing slots and their queue; tests hold them to see what waits. */
  hashingLimit?: ConcurrencyLimit;
  /** Where a Redis outage is reported. */
  warn?: (error: unknown, message: string) => void;
  /** The site settings in force, when the app made them before its deps (its error pages read them). */
  settings?: SiteSettings;
}

export function createDeps({ db, config, templates = loadTemplates(), nudgeMail = () => {}, redis, now = () => new Date(), hashingLimit, warn = () => {}, settings = new SiteSettings(db, config.site, now) }: DepsOptions): Deps {
  return {
    db,
    config,
    templates,
    mail: createMail(templates, config, nudgeMail),
    hasher: new PasswordHasher(config.passwordHash, hashingLimit ?? new ConcurrencyLimit(HASHES_AT_ONCE, config.passwordHashQueue)),
    fileStore: createFileStore(db, config),
    counters: redis ? redisCounters(redis, (error) => warn(error, 'Redis is unreachable; sign-in limits are not being counted'), `${config.redisKeyPrefix}count:`) : memoryCounters(() => now().getTime()),
    isTrustedAddress: addressList(config.rateLimit.trusted),
    now,
    settings,
  };
}

export function createFileStore(db: Kysely<DB>, config: Config): FileStore {
  const storage = config.objectStorage;
  return storage ? new S3FileStore(db, storage) : new PostgresFileStore(db);
}
