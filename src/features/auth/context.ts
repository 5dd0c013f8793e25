import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { DB } from '../../db/schema.js';
import type { Counters } from '../../lib/counters.js';
import type { Templates } from '../../lib/templates.js';
import type { PasswordHasher } from './password-hashing.js';

/** What the auth services need, made once in the routes plugin. */
export interface AuthContext {
  db: Kysely<DB>;
  config: Config;
  templates: Templates;
  hasher: PasswordHasher;
  counters: Counters;
  /** Tells the mail worker an email was committed. */
  nudgeMail: () => void;
  now: () => Date;
  /** Client addresses exempt from per-address request limits (RATE_LIMIT_TRUSTED). */
  isTrusted: (address: string) => boolean;
  /** Canonical forms of ADMIN_EMAILS. */
  adminEmails: ReadonlySet<string>;
}

/** An absolute link on this site: hosts always come from PUBLIC_URL, never from a request. */
export function siteLink(config: Config, path: string): string {
  return new URL(path, config.publicUrl).toString();
}
