import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { isTimeZone, TIME_ZONES } from './lib/time.js';

/**
 * Everything Commons reads from its environment, validated once at start-up. A bad value
 * stops the process with one line per variable, so an operator fixes them all in one pass.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return LOOPBACK_HOSTS.has(bare) || (isIP(bare) === 4 && bare.startsWith('127.'));
}

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = (max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`);

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

function urlWithProtocols(protocols: string[], what: string) {
  return z.string().trim().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be a ${what} URL` });
      return;
    }
    if (!protocols.includes(url.protocol)) {
      ctx.addIssue({ code: 'custom', message: `must start with ${protocols.map((p) => `${p}//`).join(' or ')}` });
    }
  });
}

const publicUrl = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an origin such as https://commons.example.gov.au' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// origin' });
    } else if (url.origin !== value.replace(/\/$/, '') || url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'must be an origin only: no path, query, fragment or credentials' });
    }
  })
  .transform((value) => new URL(value));

/** An address or CIDR range, checked here so a typo cannot silently trust the whole internet. */
function isAddressOrRange(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  const prefix = Number(bits);
  return family === 4 ? prefix <= 32 && prefix >= 8 : prefix <= 128 && prefix >= 16;
}

const addressRanges = z
  .string()
  .trim()
  .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
  .superRefine((entries, ctx) => {
    for (const entry of entries) {
      if (!isAddressOrRange(entry)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or CIDR range (at most /8 for IPv4, /16 for IPv6)` });
      }
    }
  });

/** off, a hop count, or address ranges: never "trust everything", which lets any client forge its address. */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): false | number | string[] => {
    if (value === '' || value === 'off' || value === 'false') return false;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops < 1 || hops > 10) {
        ctx.addIssue({ code: 'custom', message: 'a hop count must be between 1 and 10' });
        return z.NEVER;
      }
      return hops;
    }
    if (value === 'true' || value === '*') {
      ctx.addIssue({ code: 'custom', message: 'trusting every proxy lets any client forge its address: give a hop count or address ranges' });
      return z.NEVER;
    }
    const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
    const bad = entries.filter((entry) => !isAddressOrRange(entry));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be off, a hop count, or IP addresses and CIDR ranges ("${bad.join('", "')}" is not)` });
      return z.NEVER;
    }
    return entries;
  });

const sessionSecrets = z
  .string()
  .transform((value) => value.split(',').map((secret) => secret.trim()).filter(Boolean))
  .superRefine((secrets, ctx) => {
    if (secrets.length === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one secret' });
    if (secrets.some((secret) => secret.length < 32)) {
      ctx.addIssue({ code: 'custom', message: 'each secret must be at least 32 characters (try: openssl rand -base64 48)' });
    }
  });

const mailbox = z
  .string()
  .trim()
  .refine((value) => !/[\r\n\0]/.test(value), 'must be on one line')
  .refine((value) => /^(?:[^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(value), 'must be an address such as "Commons <commons@example.gov.au>"');

export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production'], { error: 'must be development, test or production' }).default('development'),
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  PORT: z.coerce.number({ error: 'must be a port number' }).int('must be a port number').min(0, 'must be 0 to 65535').max(65535, 'must be 0 to 65535').default(3000),
  PUBLIC_URL: publicUrl.optional(),
  DATA_DIR: z.string().trim().min(1, 'must not be empty').default('data'),
  DATABASE_URL: optionalText.pipe(urlWithProtocols(['postgres:', 'postgresql:'], 'PostgreSQL').optional()),
  DATABASE_POOL_SIZE: positiveInt(100).default(10),
  DATABASE_WAIT_SECONDS: positiveInt(3600).default(30),
  DATABASE_PREPARED_STATEMENTS: booleanText.default(true),
  MIGRATE_ON_START: booleanText.default(true),
  SMTP_URL: optionalText.pipe(urlWithProtocols(['smtp:', 'smtps:'], 'SMTP').optional()),
  // One label, never a dotted name or an address: a host that only a private network such as
  // compose's resolves, so the exemption cannot reach a relay across the internet.
  SMTP_PLAINTEXT_HOST: optionalText.pipe(z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i, 'must be one host name without dots, such as a compose service (mail)').optional()),
  MAIL_FROM: optionalText.pipe(mailbox.optional()),
  CONTACT_EMAIL: optionalText.pipe(mailbox.optional()),
  MAIL_MAX_ATTEMPTS: positiveInt(100).default(32),
  MAIL_RETENTION_DAYS: positiveInt(3650).default(30),
  MAIL_POLL_SECONDS: positiveInt(3600).default(5),
  SESSION_SECRET: optionalText.pipe(sessionSecrets.optional()),
  TRUST_PROXY: trustProxy.default(false),
  REDIS_URL: optionalText.pipe(urlWithProtocols(['redis:', 'rediss:'], 'Redis').optional()),
  REDIS_KEY_PREFIX: z.string().trim().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1 to 64 letters, digits or . _ : -').default('commons:'),
  RATE_LIMIT_PAGES_PER_10S: positiveInt(100_000).default(50),
  OVERLOAD_EVENT_LOOP_DELAY_MS: positiveInt(600_000).default(1000),
  RATE_LIMIT_CONTACT_PER_HOUR: positiveInt(100_000).default(5),
  RATE_LIMIT_TRUSTED: addressRanges.default([]),
  // Checked and canonicalised by the membership feature, which owns the rules for both.
  ALLOWED_EMAIL_DOMAINS: z.string().trim().transform((value) => value.split(',').map((d) => d.trim()).filter(Boolean)).default(['*.gov.au']),
  ADMIN_EMAILS: z.string().trim().transform((value) => value.split(',').map((d) => d.trim()).filter(Boolean)).default([]),
  MODERATOR_NAMES_SHOWN: booleanText.default(false),
  PASSWORD_HASH_MEMORY_KIB: positiveInt(4_194_304).default(65_536),
  PASSWORD_HASH_TIME_COST: positiveInt(20).default(3),
  PASSWORD_HASH_QUEUE: positiveInt(1000).default(16),
  RATE_LIMIT_SIGNIN_ATTEMPTS_PER_HOUR: positiveInt(100_000).default(200),
  RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: positiveInt(100_000).default(30),
  RATE_LIMIT_SIGNUPS_PER_HOUR: positiveInt(100_000).default(20),
  RATE_LIMIT_SIGNUPS_PER_EMAIL_PER_HOUR: positiveInt(100_000).default(3),
  RATE_LIMIT_RESETS_PER_HOUR: positiveInt(100_000).default(3),
  RATE_LIMIT_HASHES_PER_MINUTE: positiveInt(100_000).default(10),
  RATE_LIMIT_POSTS_PER_HOUR: positiveInt(100_000).default(60),
  RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: positiveInt(100_000).default(10),
  RATE_LIMIT_REACTIONS_PER_HOUR: positiveInt(100_000).default(300),
  NEW_MEMBER_DAYS: positiveInt(365).default(3),
  RECONFIRMATION_PERIOD_MONTHS: positiveInt(36).default(12),
  MEMBER_APPROVAL_REQUIRED: booleanText.default(false),
  SECOND_FACTOR_REQUIRED_FOR: z.enum(['staff', 'everyone'], { error: 'must be staff or everyone' }).default('staff'),
  FIRST_POSTS_HELD: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be 0 or more').max(100, 'must be at most 100').default(0),
  REPEATED_TEXT_THREADS: positiveInt(100).default(3),
  REPEATED_TEXT_MINUTES: positiveInt(1440).default(10),
  NOTIFICATION_EMAIL_INTERVAL_MINUTES: positiveInt(1440).default(10),
  UPLOAD_MAX_FILE_MB: positiveInt(1024).default(25),
  S3_ENDPOINT: optionalText.pipe(urlWithProtocols(['https:', 'http:'], 'storage endpoint').optional()),
  // S3's bucket naming rules, which the S3-compatible stores follow too.
  S3_BUCKET: optionalText.pipe(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens').optional()),
  S3_ACCESS_KEY_ID: optionalText.pipe(z.string().max(256, 'must be at most 256 characters').refine((v) => !/\s/.test(v), 'must have no spaces').optional()),
  S3_SECRET_ACCESS_KEY: optionalText.pipe(z.string().max(256, 'must be at most 256 characters').refine((v) => !/\s/.test(v), 'must have no spaces').optional()),
  S3_REGION: z.string().trim().regex(/^[a-z0-9-]{1,64}$/, 'must be a region name such as us-east-1 or ap-southeast-2').default('us-east-1'),
  S3_FORCE_PATH_STYLE: booleanText.default(true),
  FLAG_HIDE_THRESHOLD: positiveInt(1000).default(3),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be fatal, error, warn, info, debug, trace or silent' }).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).default('json'),
  SITE_NAME: z.string().trim().min(1, 'must not be empty').max(60, 'must be at most 60 characters').refine((v) => !/[\r\n\0]/.test(v), 'must be on one line').default('Commons'),
  OPERATOR_NAME: optionalText.pipe(z.string().max(120, 'must be at most 120 characters').refine((v) => !/[\r\n\0]/.test(v), 'must be on one line').optional()),
  PHASE_BANNER: booleanText.default(true),
  TIME_ZONE: z.string().trim().refine(isTimeZone, 'must be a time zone name such as Australia/Sydney, Australia/Perth or UTC').default('Australia/Sydney'),
});

type EnvShape = typeof EnvSchema.shape;
/** Every environment variable Commons reads; each is described in config-docs.ts. */
export type SettingName = keyof EnvShape;

export const SITE_SETTING_GROUPS = ['Moderation', 'Approvals and new members', 'Rate limits', 'Site'] as const;

export interface SiteSettingSpec {
  group: (typeof SITE_SETTING_GROUPS)[number];
  /** What /admin/settings calls it; its help is its description in config-docs.ts. */
  label: string;
  /** A list to choose from, for a text setting with a fixed set of values. */
  choices?: readonly string[];
}

/**
 * The settings administrators may change at /admin/settings (docs/decisions/0017-site-settings.md):
 * the forum's behaviour, never its infrastructure. A value saved there overrides the environment's;
 * code reads these from `deps.settings.current`, never from Config. Making another setting editable
 * is one line here; its value is then checked by its EnvSchema field, as the environment's is.
 */
export const SITE_SETTINGS = {
  FLAG_HIDE_THRESHOLD: { group: 'Moderation', label: 'Flags that hide a post or resource' },
  MODERATOR_NAMES_SHOWN: { group: 'Moderation', label: 'Name the moderator to the member' },
  MEMBER_APPROVAL_REQUIRED: { group: 'Approvals and new members', label: 'New members wait for approval' },
  FIRST_POSTS_HELD: { group: 'Approvals and new members', label: "A new member's first posts held for approval" },
  REPEATED_TEXT_THREADS: { group: 'Approvals and new members', label: 'Threads with the same text that hold a post' },
  REPEATED_TEXT_MINUTES: { group: 'Approvals and new members', label: 'Minutes in which repeated text counts' },
  NEW_MEMBER_DAYS: { group: 'Approvals and new members', label: 'Days a member counts as new' },
  RECONFIRMATION_PERIOD_MONTHS: { group: 'Approvals and new members', label: 'Months between re-confirmations of a work address' },
  RATE_LIMIT_POSTS_PER_HOUR: { group: 'Rate limits', label: 'Posts per member an hour' },
  RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: { group: 'Rate limits', label: 'Posts per new member an hour' },
  RATE_LIMIT_REACTIONS_PER_HOUR: { group: 'Rate limits', label: 'Reactions per member an hour' },
  RATE_LIMIT_SIGNUPS_PER_HOUR: { group: 'Rate limits', label: 'Sign-ups per client address an hour' },
  RATE_LIMIT_SIGNUPS_PER_EMAIL_PER_HOUR: { group: 'Rate limits', label: 'Sign-up emails to one address an hour' },
  NOTIFICATION_EMAIL_INTERVAL_MINUTES: { group: 'Site', label: 'Minutes between emails about one thread' },
  OPERATOR_NAME: { group: 'Site', label: 'Operator' },
  PHASE_BANNER: { group: 'Site', label: 'Show the beta banner' },
  TIME_ZONE: { group: 'Site', label: 'Time zone', choices: TIME_ZONES },
} as const satisfies { [K in SettingName]?: SiteSettingSpec };

export type SiteSettingName = keyof typeof SITE_SETTINGS;
export const SITE_SETTING_NAMES = Object.keys(SITE_SETTINGS) as SiteSettingName[];
export type SiteSettingValues = { [K in SiteSettingName]: z.output<EnvShape[K]> };

/** One editable setting's value parsed by its EnvSchema field: the same rules and messages as at start-up. */
export function parseSiteSetting<K extends SiteSettingName>(name: K, text: string): { ok: true; value: SiteSettingValues[K] } | { ok: false; message: string } {
  const parsed = EnvSchema.shape[name].safeParse(text);
  return parsed.success ? { ok: true, value: parsed.data as SiteSettingValues[K] } : { ok: false, message: parsed.error.issues[0]?.message ?? 'is not valid' };
}

/** A value in the text form its environment variable takes (and setting_overrides stores). */
export function siteSettingText(value: SiteSettingValues[SiteSettingName]): string {
  return value === undefined ? '' : String(value);
}

export type Environment = 'development' | 'test' | 'production';

/** Where uploaded files' contents go when not in PostgreSQL (docs/decisions/0026-object-storage.md). */
export interface ObjectStorageConfig {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  forcePathStyle: boolean;
}

// Object storage is on when all of these are set, and refused when only some are.
// Releasing a file and housekeeping call the object store while holding a pooled connection,
// and the embedded database has one (docs/decisions/0026-object-storage.md).
export const EMBEDDED_WITH_OBJECT_STORE =
  'files go to the object store with the embedded database: its one connection waits on the object store while a file is released or housekept (up to 30 s a request if the store does not answer), and every page waits with it; set DATABASE_URL for a site on S3_*';
const OBJECT_STORAGE_REQUIRED = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;
const OBJECT_STORAGE_OPTIONAL = ['S3_REGION', 'S3_FORCE_PATH_STYLE'] as const;
const OBJECT_STORAGE_NAMES = `${OBJECT_STORAGE_REQUIRED.slice(0, -1).join(', ')} and ${OBJECT_STORAGE_REQUIRED.at(-1)}`;

export interface Config {
  env: Environment;
  host: string;
  port: number;
  publicUrl: URL;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  databasePreparedStatements: boolean;
  /** How long start-up waits for an unreachable database before giving up. */
  databaseWaitSeconds: number;
  migrateOnStart: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  contactEmail: string;
  /** CONTACT_EMAIL's bare address, for mailto: links. */
  contactAddress: string;
  mail: { maxAttempts: number; retentionDays: number; pollSeconds: number };
  /** Newest first; undefined means "generate and keep one under DATA_DIR" (development and test only). */
  sessionSecrets: string[] | undefined;
  trustProxy: false | number | string[];
  redisUrl: string | undefined;
  /** Files' contents in an S3-compatible store; undefined keeps them in PostgreSQL. */
  objectStorage: ObjectStorageConfig | undefined;
  /** What every Redis key this site writes starts with, so several sites (or test runs) can share one Redis. */
  redisKeyPrefix: string;
  rateLimit: {
    pagesPer10s: number;
    contactPerHour: number;
    signinAttemptsPerHour: number;
    signinFailuresPerHour: number;
    resetsPerHour: number;
    /** Passwords hashed or checked for one client address a minute, across every route. */
    hashesPerMinute: number;
    trusted: string[];
  };
  /**
   * The settings administrators may change (SITE_SETTINGS), as the environment gives them or by
   * default: what applies until /admin/settings says otherwise. Read the ones in force from
   * `deps.settings.current`.
   */
  site: SiteSettingValues;
  /** Which of them the environment set (the rest are defaults), for /admin/settings to say. */
  siteFromEnvironment: ReadonlySet<SiteSettingName>;
  /** Seeded as allow rules on first start, once. */
  allowedEmailDomains: string[];
  /** Canonical addresses that become administrators when they verify. */
  adminEmails: string[];
  passwordHash: { memoryCost: number; timeCost: number; parallelism: number };
  /** Hashes that may wait for a free slot; past it, 503 with Retry-After. */
  passwordHashQueue: number;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  /** The largest file a member may upload (UPLOAD_MAX_FILE_MB, in MiB). */
  uploadMaxFileBytes: number;
  /** Who must set up a second factor before using the site: staff (for /mod and /admin) or every member. */
  secondFactorRequiredFor: 'staff' | 'everyone';
  /** Past this event-loop delay every page answers 503 (SECURITY.md, the bar item 12). */
  overloadEventLoopDelayMs: number;
  siteName: string;
  /** Whether the dev mailbox at /dev/mail exists: development or test without SMTP only. */
  devMailbox: boolean;
  /** Settings that are allowed but weaken something, logged at start-up. */
  warnings: string[];
}

export class InvalidConfig extends Error {
  constructor(readonly problems: string[]) {
    super(`Commons cannot start; fix these settings:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

// What production cannot run without, checked on the raw values so one run reports them all.
export const REQUIRED_IN_PRODUCTION: Partial<Record<SettingName, string>> = {
  DATABASE_URL: 'is required in production (the embedded database is for trying Commons out)',
  SMTP_URL: 'is required in production (the on-disk mailbox is for development)',
  SESSION_SECRET: 'is required in production',
  PUBLIC_URL: 'is required in production',
  CONTACT_EMAIL: 'is required in production: the address where people can reach the operators',
  TRUST_PROXY: 'is required in production: Commons does not terminate TLS itself, so say which proxy in front of it to trust (a hop count or its addresses)',
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // A variable set to nothing (PORT= in a .env file) means "use the default", never port 0.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== '')) as Record<string, string>;
  // One line per variable: its first problem.
  const problems = new Map<string, string>();
  const problem = (variable: string, message: string) => {
    if (!problems.has(variable)) problems.set(variable, `${variable}: ${message}`);
  };
  const parsed = EnvSchema.safeParse(given);
  if (!parsed.success) for (const issue of parsed.error.issues) problem(issue.path.join('.'), issue.message);
  // The rules between settings run on every value that is valid by itself, whatever else is
  // wrong, so an operator sees every problem in one run, not one round after another.
  const valid = <K extends keyof EnvShape>(name: K): z.output<EnvShape[K]> | undefined => {
    const result = EnvSchema.shape[name].safeParse(given[name]);
    return result.success ? (result.data as z.output<EnvShape[K]>) : undefined;
  };
  const nodeEnv = valid('NODE_ENV');
  const warnings: string[] = [];
  if (nodeEnv === 'production') {
    for (const [variable, message] of Object.entries(REQUIRED_IN_PRODUCTION)) if (!given[variable]) problem(variable, message);
    if (valid('PUBLIC_URL')?.protocol === 'http:') problem('PUBLIC_URL', 'must be https:// in production');
    // OWASP's floor for argon2id; tests run cheaper, production never does.
    const memory = valid('PASSWORD_HASH_MEMORY_KIB');
    if (memory !== undefined && memory < 19_456) problem('PASSWORD_HASH_MEMORY_KIB', 'must be at least 19456 (19 MiB) in production');
    const smtpUrl = valid('SMTP_URL');
    const smtp = smtpUrl ? new URL(smtpUrl) : undefined;
    if (smtp && smtp.protocol !== 'smtps:' && smtp.searchParams.get('requireTLS') !== 'true') {
      if (smtp.hostname.toLowerCase() === valid('SMTP_PLAINTEXT_HOST')?.toLowerCase()) {
        warnings.push(`mail to ${smtp.host} is sent without TLS (SMTP_PLAINTEXT_HOST): only for a mail catcher on a private network`);
      } else {
        problem('SMTP_URL', 'must use TLS in production: smtps://, or smtp:// with ?requireTLS=true for STARTTLS (SMTP_PLAINTEXT_HOST may exempt one host on a private network)');
      }
    }
  } else if (nodeEnv) {
    const host = valid('HOST');
    if (host && !isLoopbackHost(host)) problem('HOST', `${nodeEnv} mode listens on a loopback address only (127.0.0.1 or ::1); set NODE_ENV=production to serve others`);
    if (valid('PORT') === 0 && !given.PUBLIC_URL) problem('PORT', 'port 0 (any free port) needs PUBLIC_URL, since the address is not known in advance');
  }
  const objectStorageGiven = OBJECT_STORAGE_REQUIRED.filter((name) => given[name]);
  if (objectStorageGiven.length > 0) {
    for (const name of OBJECT_STORAGE_REQUIRED) if (!given[name]) problem(name, `is required when ${objectStorageGiven[0]} is set (object storage needs ${OBJECT_STORAGE_NAMES} together)`);
    if (nodeEnv === 'production' && valid('S3_ENDPOINT')?.startsWith('http:')) warnings.push('files go to the object store without TLS (S3_ENDPOINT is http://): only for a store on a private network');
    // Production refuses the embedded database already; elsewhere this is someone trying S3 out.
    if (!given.DATABASE_URL) warnings.push(EMBEDDED_WITH_OBJECT_STORE);
  } else {
    for (const name of OBJECT_STORAGE_OPTIONAL) if (given[name]) problem(name, `does nothing without ${OBJECT_STORAGE_NAMES}`);
  }
  if (!parsed.success || problems.size > 0) throw new InvalidConfig([...problems.values()]);

  const e = parsed.data;
  const publicUrlValue = e.PUBLIC_URL ?? new URL(`http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`);
  const mailFrom = e.MAIL_FROM ?? `${e.SITE_NAME} <no-reply@${publicUrlValue.hostname}>`;
  // CONTACT_EMAIL is required in production. Elsewhere contact mail lands in the dev mailbox,
  // addressed to the operators rather than to MAIL_FROM's no-reply; a bare IP (the default
  // PUBLIC_URL's) is no mail domain, so there they are at localhost.
  const contactDomain = isIP(publicUrlValue.hostname.replace(/^\[|\]$/g, '')) ? 'localhost' : publicUrlValue.hostname;
  const contactEmail = e.CONTACT_EMAIL ?? `${e.SITE_NAME} operators <operators@${contactDomain}>`;
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: publicUrlValue,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    databaseWaitSeconds: e.DATABASE_WAIT_SECONDS,
    migrateOnStart: e.MIGRATE_ON_START,
    smtpUrl: e.SMTP_URL,
    mailFrom,
    contactEmail,
    contactAddress: bareAddress(contactEmail),
    mail: { maxAttempts: e.MAIL_MAX_ATTEMPTS, retentionDays: e.MAIL_RETENTION_DAYS, pollSeconds: e.MAIL_POLL_SECONDS },
    sessionSecrets: e.SESSION_SECRET,
    trustProxy: e.TRUST_PROXY,
    redisUrl: e.REDIS_URL,
    objectStorage:
      e.S3_ENDPOINT && e.S3_BUCKET && e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
        ? { endpoint: e.S3_ENDPOINT, bucket: e.S3_BUCKET, accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY, region: e.S3_REGION, forcePathStyle: e.S3_FORCE_PATH_STYLE }
        : undefined,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    rateLimit: {
      pagesPer10s: e.RATE_LIMIT_PAGES_PER_10S,
      contactPerHour: e.RATE_LIMIT_CONTACT_PER_HOUR,
      signinAttemptsPerHour: e.RATE_LIMIT_SIGNIN_ATTEMPTS_PER_HOUR,
      signinFailuresPerHour: e.RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR,
      resetsPerHour: e.RATE_LIMIT_RESETS_PER_HOUR,
      hashesPerMinute: e.RATE_LIMIT_HASHES_PER_MINUTE,
      trusted: e.RATE_LIMIT_TRUSTED,
    },
    site: Object.fromEntries(SITE_SETTING_NAMES.map((name) => [name, e[name]])) as SiteSettingValues,
    siteFromEnvironment: new Set(SITE_SETTING_NAMES.filter((name) => given[name] !== undefined)),
    allowedEmailDomains: e.ALLOWED_EMAIL_DOMAINS,
    adminEmails: e.ADMIN_EMAILS,
    passwordHash: { memoryCost: e.PASSWORD_HASH_MEMORY_KIB, timeCost: e.PASSWORD_HASH_TIME_COST, parallelism: 1 },
    passwordHashQueue: e.PASSWORD_HASH_QUEUE,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    overloadEventLoopDelayMs: e.OVERLOAD_EVENT_LOOP_DELAY_MS,
    uploadMaxFileBytes: e.UPLOAD_MAX_FILE_MB * 1024 * 1024,
    secondFactorRequiredFor: e.SECOND_FACTOR_REQUIRED_FOR,
    siteName: e.SITE_NAME,
    devMailbox: e.NODE_ENV !== 'production' && !e.SMTP_URL,
    warnings,
  };
}

function bareAddress(mailbox: string): string {
  return /<([^<>]+)>/.exec(mailbox)?.[1] ?? mailbox;
}

/** A URL safe to log: the password, if any, replaced (in the credentials or the query). */
export function maskUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    for (const name of [...url.searchParams.keys()]) if (/pass|secret|token/i.test(name)) url.searchParams.set(name, '****');
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}
