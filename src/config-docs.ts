import { REQUIRED_IN_PRODUCTION, type SettingName } from './config.js';

/**
 * What each setting is for, in one place: `npm run docs` turns this into the settings table in
 * README.md and the whole of .env.example, and a test fails when either differs. A setting added
 * to config.ts without a line here does not type-check.
 */

export const SETTING_SECTIONS = ['The server', 'The database', 'Email', 'Sessions and proxies', 'Rate limits', 'Membership', 'File storage', 'Logs'] as const;

export interface SettingDoc {
  /** Where .env.example lists it. */
  section: (typeof SETTING_SECTIONS)[number];
  /** The default as a value (`# PORT=3000` in .env.example); absent when there is none or it is worked out. */
  default?: string;
  /** The default in words, for the README, when it is not a plain value ("none" when absent). */
  defaultText?: string;
  /** Markdown, one paragraph. "Required in production." is added from config.ts's list. */
  description: string;
}

const requiredInProduction = Object.keys(REQUIRED_IN_PRODUCTION).map((name) => `\`${name}\``);

export const SETTING_DOCS: Record<SettingName, SettingDoc> = {
  NODE_ENV: {
    section: 'The server',
    default: 'development',
    description: `\`development\`, \`test\` or \`production\`. Development and test only listen on a loopback address (see \`HOST\`). Production requires ${requiredInProduction.slice(0, -1).join(', ')} and ${requiredInProduction.at(-1)}, with \`SMTP_URL\` over TLS and an \`https://\` \`PUBLIC_URL\`, and reports every problem in one run.`,
  },
  HOST: {
    section: 'The server',
    default: '127.0.0.1',
    description: 'The address to listen on. Outside production it must be a loopback address (`127.0.0.1`, any `127.x.x.x`, `::1` or `localhost`). In a container, use `0.0.0.0`.',
  },
  PORT: { section: 'The server', default: '3000', description: 'The port to listen on (0 to 65535).' },
  PUBLIC_URL: {
    section: 'The server',
    defaultText: '`http://HOST:PORT`',
    description: "The origin people use to reach Commons (for example `https://commons.example.gov.au`), with no path. Links in emails are built from it, never from the request's Host header. Form posts must come from this origin. With `https://`, cookies are `Secure` and `__Host-` prefixed, and HSTS is sent, which is why production accepts only `https://`.",
  },
  DATA_DIR: {
    section: 'The server',
    default: 'data',
    description: 'The directory for local state, resolved from the working directory: the embedded database (`pgdata/`), the on-disk mailbox (`mail/`), a generated session secret (`session-secret`, mode 0600) and the lock file (`commons.lock`). It is created with mode 0700; Commons refuses a directory other accounts can write to (such as `/tmp`). Nothing in it is used when `DATABASE_URL`, `SMTP_URL` and `SESSION_SECRET` are all set.',
  },
  SITE_NAME: { section: 'The server', default: 'Commons', description: 'The name shown in the page header, page titles and emails (one line, at most 60 characters).' },
  OPERATOR_NAME: {
    section: 'The server',
    defaultText: 'none',
    description: 'The agency that runs this Commons (one line, at most 120 characters), named in the page footer and the privacy notice so members know who they are dealing with. Set it in production.',
  },
  PHASE_BANNER: {
    section: 'The server',
    default: 'true',
    description: 'Show the banner under the header that says Commons is in beta and asks for feedback through the contact page: `true` or `false`.',
  },
  TIME_ZONE: {
    section: 'The server',
    default: 'Australia/Sydney',
    description: 'The time zone pages and emails show times in (an IANA name such as `Australia/Perth`, or `UTC`), with the zone named (AEST or AEDT). Each member can choose their own in their settings.',
  },
  DATABASE_URL: {
    section: 'The database',
    defaultText: 'none (embedded)',
    description: 'A `postgres://` or `postgresql://` URL for a PostgreSQL 15 or newer server, for example `postgres://commons:CHANGE-ME@127.0.0.1:5432/commons` (percent-encode special characters in the password). Without it, Commons runs the embedded database under `DATA_DIR`.',
  },
  DATABASE_PREPARED_STATEMENTS: { section: 'The database', default: 'true', description: 'Prepare each query once per database connection and reuse its plan, which saves PostgreSQL most of its work on the busiest pages (the embedded database too). Set `false` behind a pooler that hands a client a different server connection per transaction (PgBouncer in transaction mode before 1.21, or without `max_prepared_statements`). After a migration that changes a column\'s type, each query that returns it fails once per instance, then is prepared again.' },
  DATABASE_POOL_SIZE: { section: 'The database', default: '10', description: 'The most connections each instance opens to `DATABASE_URL` (1 to 100). The embedded database always uses exactly one.' },
  DATABASE_WAIT_SECONDS: {
    section: 'The database',
    default: '30',
    description: 'How long start-up waits for the database to answer, trying every second, so an instance started beside its database does not crash-loop (1 to 3600). Then one log line names the database (password masked) and Commons exits with status 1. A refused password or a missing database fails at once.',
  },
  MIGRATE_ON_START: {
    section: 'The database',
    default: 'true',
    description: 'Apply pending migrations at start-up. Accepts `true`/`false`, `1`/`0` or `yes`/`no`. Set it to `false` when you run `npm run migrate` as a release step instead.',
  },
  SMTP_URL: {
    section: 'Email',
    defaultText: 'none (on-disk mailbox)',
    description: 'The relay to send mail through: `smtps://user:password@host:465` (TLS from the start) or `smtp://user:password@host:587?requireTLS=true` (STARTTLS, required). Percent-encode special characters in the user name and password. Without it, development and test write mail to `DATA_DIR/mail`, shown at `/dev/mail`.',
  },
  SMTP_PLAINTEXT_HOST: {
    section: 'Email',
    defaultText: 'none',
    description: 'One host name without dots (such as a compose service, `mail`) to which production may send plain SMTP, for a mail catcher on a private network; any other `smtp://` URL without TLS is still refused, and the start-up log warns. `docker-compose.yml` sets it for Mailpit.',
  },
  MAIL_FROM: {
    section: 'Email',
    defaultText: '`no-reply@` at `PUBLIC_URL`\'s host name, named `SITE_NAME`',
    description: 'The `From` of every email, for example `Commons <commons@example.gov.au>`. The default gives `Commons <no-reply@commons.example.gov.au>`. Its domain needs SPF, DKIM and DMARC set up for the relay: set it in production (see [Email](#email)).',
  },
  CONTACT_EMAIL: {
    section: 'Email',
    defaultText: '`operators@` at `PUBLIC_URL`\'s host name (development)',
    description: 'Where messages from the contact page go, for example `Commons team <commons-team@example.gov.au>`. The privacy notice and the accessibility statement show its address. Outside production the default is named after `SITE_NAME` and uses `localhost` for an IP address, so with nothing set a contact message reaches the mailbox at `/dev/mail` addressed to `Commons operators <operators@localhost>`.',
  },
  MAIL_MAX_ATTEMPTS: {
    section: 'Email',
    default: '32',
    description: 'How many times an email is tried before it is marked failed (1 to 100). Retries start 30 s apart and double up to one hour apart, so 32 attempts span about 25 hours. A permanent rejection (an SMTP 5xx) fails at once.',
  },
  MAIL_RETENTION_DAYS: {
    section: 'Email',
    default: '30',
    description: 'How many days the records of sent emails (recipient, subject, times; the bodies are removed when sent) are kept before they are deleted (1 to 3650).',
  },
  MAIL_POLL_SECONDS: { section: 'Email', default: '5', description: 'How often the mail worker checks the queue for due emails (1 to 3600). Email queued by this instance is picked up straight away. Sign-up and password-reset requests are answered when the worker next looks, so their emails can take this long to leave.' },
  SESSION_SECRET: {
    section: 'Sessions and proxies',
    defaultText: 'none (generated)',
    description: 'One or more secrets, separated by commas, newest first. Each must be at least 32 characters (`openssl rand -base64 48`). The newest signs session cookies and makes form tokens, and all of them are accepted. Outside production, if it is unset, a secret is generated once and kept in `DATA_DIR/session-secret`.',
  },
  TRUST_PROXY: {
    section: 'Sessions and proxies',
    default: 'off',
    description: "Which proxies may tell Commons the client's address (through `X-Forwarded-For`): `off`, a hop count (1 to 10), or a comma-separated list of addresses and CIDR ranges (IPv4 no wider than /8, IPv6 no wider than /16). `true` and `*` are refused. Behind one load balancer: `1`, or its address range. Production needs it because a proxy always ends TLS in front of Commons.",
  },
  REDIS_URL: {
    section: 'Sessions and proxies',
    defaultText: 'none',
    description: 'A `redis://` or `rediss://` URL. When it is set, rate-limit counters are kept in Redis and shared by every instance. Without it, each instance counts in its own memory. Set it when more than one instance runs.',
  },
  REDIS_KEY_PREFIX: {
    section: 'Sessions and proxies',
    default: 'commons:',
    description: 'What every key Commons keeps in Redis starts with (letters, digits and `. _ : -`). Every instance of one site must use the same; give another site, or a test run, sharing the Redis a prefix of its own.',
  },
  RATE_LIMIT_PAGES_PER_10S: {
    section: 'Rate limits',
    default: '50',
    description: "The number of page requests each client address may make in 10 seconds (static files and health checks don't count). Beyond that, the client gets a 429 with `Retry-After`.",
  },
  OVERLOAD_EVENT_LOOP_DELAY_MS: {
    section: 'Rate limits',
    default: '1000',
    description: 'When the event loop has been held up for longer than this many milliseconds, every page answers 503 with `Retry-After` instead of queueing more work (health checks still answer).',
  },
  RATE_LIMIT_CONTACT_PER_HOUR: { section: 'Rate limits', default: '5', description: 'The number of contact-page messages each client address may send in an hour.' },
  RATE_LIMIT_SIGNIN_FAILURES_PER_HOUR: {
    section: 'Rate limits',
    default: '30',
    description: 'Failed sign-ins per hour, counted for each client address and for each submitted email address (successes never count); past it, 429 with `Retry-After`.',
  },
  RATE_LIMIT_POSTS_PER_HOUR: { section: 'Rate limits', default: '60', description: 'Threads, replies and edits each member may post in an hour; past it, 429 with `Retry-After` and the form kept.' },
  UPLOAD_MAX_FILE_MB: { section: 'Rate limits', default: '25', description: 'The largest file a member may attach to a resource or a post, in MiB (1 to 1024); a larger one is refused with 413 at the first byte over.' },
  S3_ENDPOINT: {
    section: 'File storage',
    defaultText: 'none (files in PostgreSQL)',
    description: "The URL of an S3-compatible object store (for example `https://s3.ap-southeast-2.amazonaws.com` or a MinIO server's). With it, `S3_BUCKET`, `S3_ACCESS_KEY_ID` and `S3_SECRET_ACCESS_KEY`, uploaded files' contents go to that bucket instead of PostgreSQL; set all four or none. Downloads still go through Commons, which checks the member's right to each file. `npm run files -- move --to s3` moves files already stored (see [Switching file storage](#switching-file-storage)). Production warns about an `http://` endpoint.",
  },
  S3_BUCKET: { section: 'File storage', description: 'The bucket that holds the files, which must exist already. Commons names each object by the SHA-256 of its contents, so nothing else should write to it.' },
  S3_ACCESS_KEY_ID: { section: 'File storage', description: 'The access key Commons signs its requests with. It needs to get, put and delete objects in `S3_BUCKET` (`s3:GetObject`, `s3:PutObject`, `s3:DeleteObject`) and to list the bucket (`s3:ListBucket`), nothing more. Listing is required although Commons never lists: without it Amazon S3 answers "access denied" instead of "not found" for a missing object, and Commons must tell a missing object from a refusal (a move relies on it).' },
  S3_SECRET_ACCESS_KEY: { section: 'File storage', description: "The access key's secret. Keep it out of version control, as `SESSION_SECRET`." },
  S3_REGION: { section: 'File storage', default: 'us-east-1', description: "The region requests are signed for. Most S3-compatible stores accept any; Amazon S3 wants the bucket's own." },
  S3_FORCE_PATH_STYLE: {
    section: 'File storage',
    default: 'true',
    description: 'Whether to address the bucket in the path (`https://endpoint/bucket/key`), as MinIO and most S3-compatible stores want, rather than as a subdomain (`https://bucket.endpoint/key`), as Amazon S3 prefers.',
  },
  RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR: { section: 'Rate limits', default: '10', description: 'The same, in a member\'s first days (`NEW_MEMBER_DAYS`; a new account is the usual source of spam).' },
  NEW_MEMBER_DAYS: { section: 'Rate limits', default: '3', description: 'How many days after joining a member counts as new, for `RATE_LIMIT_NEW_MEMBER_POSTS_PER_HOUR`.' },
  RECONFIRMATION_PERIOD_MONTHS: { section: 'Membership', default: '12', description: 'Every this many months (1 to 36) a member confirms their work address again by an emailed link; they are reminded two weeks before, and past the date they reach only the re-confirmation page until they follow the link.' },
  MEMBER_APPROVAL_REQUIRED: { section: 'Membership', default: 'false', description: 'When true, a member who verifies their email waits for a moderator\'s approval (in the review queue at `/mod`) before they can use the site; they are emailed either way.' },
  SECOND_FACTOR_REQUIRED_FOR: {
    section: 'Sessions and proxies',
    default: 'staff',
    description:
      'Who must set up a second factor (an authenticator app or a passkey): `staff` (moderators and administrators, before any `/mod` or `/admin` page) or `everyone` (every member, before any page but the set-up). Members may always set one up in Settings.',
  },
  FIRST_POSTS_HELD: { section: 'Membership', default: '0', description: 'A new member\'s first this many posts wait for a moderator\'s approval, seen only by them and staff until then; 0 holds none.' },
  REPEATED_TEXT_THREADS: { section: 'Membership', default: '3', description: 'A member who posts the same text (ignoring case and spacing) in this many threads within `REPEATED_TEXT_MINUTES` has the repeat held for a moderator.' },
  REPEATED_TEXT_MINUTES: { section: 'Membership', default: '10', description: 'The window, in minutes, for `REPEATED_TEXT_THREADS`.' },
  NOTIFICATION_EMAIL_INTERVAL_MINUTES: { section: 'Email', default: '10', description: 'A member gets at most one notification email per thread in this many minutes; what happens in between waits for the next one.' },
  RATE_LIMIT_REACTIONS_PER_HOUR: { section: 'Rate limits', default: '300', description: '"Helpful" reactions each member may give or take back in an hour.' },
  RATE_LIMIT_SIGNIN_ATTEMPTS_PER_HOUR: { section: 'Rate limits', default: '200', description: 'Every sign-in attempt from one client address per hour, a cap for abuse; past it, 429 with `Retry-After`.' },
  RATE_LIMIT_SIGNUPS_PER_HOUR: { section: 'Rate limits', default: '20', description: 'Sign-up requests per client address per hour (generous, for a department behind one gateway).' },
  RATE_LIMIT_SIGNUPS_PER_EMAIL_PER_HOUR: { section: 'Rate limits', default: '3', description: 'Sign-up emails to one address per hour; past it the page looks the same but nothing is sent.' },
  RATE_LIMIT_RESETS_PER_HOUR: { section: 'Rate limits', default: '3', description: 'Password-reset emails to one member per hour; past it the page looks the same but nothing is sent.' },
  RATE_LIMIT_HASHES_PER_MINUTE: {
    section: 'Rate limits',
    default: '10',
    description: 'Passwords hashed or checked for one client address per minute, across sign-in, step 2 of sign-up, a reset and a password change; past it, 429 with `Retry-After`.',
  },
  RATE_LIMIT_TRUSTED: {
    section: 'Rate limits',
    defaultText: 'none',
    description: "Addresses and CIDR ranges that are exempt from rate limits, separated by commas (for example a department's gateway or a monitoring host, `192.0.2.10,198.51.100.0/24`). Same form as the `TRUST_PROXY` ranges.",
  },
  ALLOWED_EMAIL_DOMAINS: {
    section: 'Membership',
    default: '*.gov.au',
    description: 'Comma-separated domains turned into "allow" domain rules at the first start, once. `finance.gov.au` admits addresses at that domain and under it; `*.gov.au` only under it, so `jane@finance.gov.au` may join but not `jane@gov.au`. Later changes are made with `npm run admin --`; deleting a seeded rule does not bring it back.',
  },
  ADMIN_EMAILS: {
    section: 'Membership',
    defaultText: 'none',
    description: 'Comma-separated addresses that become administrators when they join or sign in. Taking an address out never demotes anyone: use `npm run admin -- revoke`.',
  },
  MODERATOR_NAMES_SHOWN: {
    section: 'Membership',
    default: 'false',
    description: 'Whether the page where members see the moderation actions taken on their own content names the moderator who acted (`true`), or says "a moderator" (`false`). /mod/log always names them.',
  },
  PASSWORD_HASH_MEMORY_KIB: {
    section: 'Membership',
    default: '65536',
    description: 'argon2id memory per hash, in KiB (64 MiB). Production refuses less than 19456. Hashes made with other settings are redone at the next sign-in.',
  },
  FLAG_HIDE_THRESHOLD: {
    section: 'Membership',
    default: '3',
    description: 'How many members flagging one post or resource (1 to 1000) hide it from members until a moderator reviews it.',
  },
  PASSWORD_HASH_TIME_COST: { section: 'Membership', default: '3', description: 'argon2id iterations.' },
  PASSWORD_HASH_QUEUE: {
    section: 'Membership',
    default: '16',
    description: 'Passwords that may wait for one of the two hashing slots (1 to 1000). Past it, 503 with `Retry-After`, rather than a wait that grows without end.',
  },
  LOG_LEVEL: {
    section: 'Logs',
    default: 'info',
    description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. At `info`, each request is one line (method, path, status, time, client address, member); `debug` adds a line when a request starts. Cookies, passwords, tokens, form tokens and the secrets in emailed links are redacted.',
  },
  LOG_FORMAT: {
    section: 'Logs',
    default: 'json',
    description: '`json`: one JSON object per line on standard output, with UTC times, for a log collector. `pretty`: short readable lines for a terminal in development.',
  },
};
