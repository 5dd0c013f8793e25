import { describe, expect, it } from 'vitest';
import { EMBEDDED_WITH_OBJECT_STORE, InvalidConfig, loadConfig, maskUrl } from '../../src/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof InvalidConfig) return error.problems;
    throw error;
  }
  return [];
}

const PRODUCTION = {
  NODE_ENV: 'production',
  HOST: '0.0.0.0',
  DATABASE_URL: 'postgres://commons:pw@db.example.gov.au/commons',
  SMTP_URL: 'smtps://relay.example.gov.au',
  SESSION_SECRET: 'x'.repeat(48),
  PUBLIC_URL: 'https://commons.example.gov.au',
  CONTACT_EMAIL: 'Commons operators <operators@example.gov.au>',
  TRUST_PROXY: '1',
};

describe('loadConfig', () => {
  it('starts in development on 127.0.0.1:3000 with nothing set', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.publicUrl.origin).toBe('http://127.0.0.1:3000');
    expect(config.devMailbox).toBe(true);
    expect(config.trustProxy).toBe(false);
    expect(config.mail.maxAttempts).toBe(32);
  });

  it('refuses a session secret shorter than 32 characters, wherever it is in the list', () => {
    const tooShort = [expect.stringMatching(/^SESSION_SECRET\b.*at least 32 characters/)];
    expect(problems({ ...PRODUCTION, SESSION_SECRET: 'x'.repeat(31) })).toEqual(tooShort);
    expect(problems({ ...PRODUCTION, SESSION_SECRET: `${'x'.repeat(32)},${'y'.repeat(31)}` })).toEqual(tooShort);
    expect(problems({ ...PRODUCTION, SESSION_SECRET: `${'x'.repeat(32)},${'y'.repeat(32)}` })).toEqual([]);
  });

  it('reports each bad value on its own line naming the variable', () => {
    const found = problems({ NODE_ENV: 'staging', PORT: 'eighty', PUBLIC_URL: 'https://x.gov.au/path', TRUST_PROXY: 'true', MIGRATE_ON_START: 'maybe', DATABASE_URL: 'mysql://x', SMTP_URL: 'http://x', SESSION_SECRET: 'short', RATE_LIMIT_TRUSTED: '10.0.0.0/99,nonsense', MAIL_FROM: 'a\r\nBcc: x@y' });
    const variables = found.map((line) => line.split(':')[0]);
    expect(variables.sort()).toEqual(['DATABASE_URL', 'MAIL_FROM', 'MIGRATE_ON_START', 'NODE_ENV', 'PORT', 'PUBLIC_URL', 'RATE_LIMIT_TRUSTED', 'SESSION_SECRET', 'SMTP_URL', 'TRUST_PROXY']);
    expect(found.find((line) => line.startsWith('TRUST_PROXY'))).toContain('forge');
    expect(new InvalidConfig(found).message.split('\n')).toHaveLength(found.length + 1);
  });

  it('refuses a non-loopback HOST in development', () => {
    expect(problems({ HOST: '0.0.0.0' })).toEqual([expect.stringMatching(/^HOST: development mode listens on a loopback address only/)]);
    expect(problems({ HOST: '::1' })).toEqual([]);
  });

  it.each([
    ['DATABASE_URL', 'DATABASE_URL: is required in production (the embedded database is for trying Commons out)'],
    ['SMTP_URL', 'SMTP_URL: is required in production (the on-disk mailbox is for development)'],
    ['SESSION_SECRET', 'SESSION_SECRET: is required in production'],
    ['PUBLIC_URL', 'PUBLIC_URL: is required in production'],
    ['CONTACT_EMAIL', 'CONTACT_EMAIL: is required in production: the address where people can reach the operators'],
    ['TRUST_PROXY', expect.stringMatching(/^TRUST_PROXY: is required in production/)],
  ])('refuses production without %s', (variable, message) => {
    const env: Record<string, string> = { ...PRODUCTION };
    delete env[variable];
    expect(problems(env)).toEqual(expect.arrayContaining([message]));
  });

  it('refuses an http PUBLIC_URL, plain-text SMTP and cheap password hashing in production', () => {
    expect(problems({ ...PRODUCTION, PUBLIC_URL: 'http://commons.example.gov.au' })).toEqual(['PUBLIC_URL: must be https:// in production']);
    expect(problems({ ...PRODUCTION, SMTP_URL: 'smtp://relay.example.gov.au:25' })[0]).toMatch(/^SMTP_URL: must use TLS in production/);
    expect(problems({ ...PRODUCTION, SMTP_URL: 'smtp://relay.example.gov.au:587?requireTLS=true' })).toEqual([]);
    expect(problems({ ...PRODUCTION, PASSWORD_HASH_MEMORY_KIB: '1024' })).toEqual(['PASSWORD_HASH_MEMORY_KIB: must be at least 19456 (19 MiB) in production']);
  });

  it('reports a bad value and missing production settings in one run', () => {
    const found = problems({ NODE_ENV: 'production', PORT: 'abc' });
    expect(found.map((line) => line.split(':')[0]).sort()).toEqual(['CONTACT_EMAIL', 'DATABASE_URL', 'PORT', 'PUBLIC_URL', 'SESSION_SECRET', 'SMTP_URL', 'TRUST_PROXY']);
  });

  it('reports missing settings and the rules between the ones given in one run, not in rounds', () => {
    const found = problems({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: 'abc', PUBLIC_URL: 'http://commons.example.gov.au', SMTP_URL: 'smtp://relay.example.gov.au:25', PASSWORD_HASH_MEMORY_KIB: '1024' });
    expect(found.map((line) => line.split(':')[0]).sort()).toEqual(['CONTACT_EMAIL', 'DATABASE_URL', 'PASSWORD_HASH_MEMORY_KIB', 'PORT', 'PUBLIC_URL', 'SESSION_SECRET', 'SMTP_URL', 'TRUST_PROXY']);
    expect(found).toContain('PUBLIC_URL: must be https:// in production');
    expect(found.find((line) => line.startsWith('SMTP_URL'))).toMatch(/must use TLS in production/);
    // Outside production too: a bad port does not hide a non-loopback HOST.
    expect(problems({ HOST: '0.0.0.0', MAIL_POLL_SECONDS: '0' }).map((line) => line.split(':')[0]).sort()).toEqual(['HOST', 'MAIL_POLL_SECONDS']);
  });

  it('refuses port 0 without PUBLIC_URL', () => {
    expect(problems({ PORT: '0' })[0]).toMatch(/^PORT: port 0/);
    expect(problems({ PORT: '0', PUBLIC_URL: 'http://127.0.0.1:4000' })).toEqual([]);
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({ ...PRODUCTION, TRUST_PROXY: '10.0.0.0/8, 192.168.1.1', SESSION_SECRET: `${'n'.repeat(40)},${'o'.repeat(40)}` });
    expect(config.devMailbox).toBe(false);
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '192.168.1.1']);
    expect(config.sessionSecrets).toEqual(['n'.repeat(40), 'o'.repeat(40)]);
  });

  it('addresses contact mail to the operators outside production, not to the no-reply sender', () => {
    const config = loadConfig({});
    expect(config.contactEmail).toBe('Commons operators <operators@localhost>');
    expect(config.contactAddress).toBe('operators@localhost');
    expect(loadConfig({ HOST: '::1' }).contactAddress).toBe('operators@localhost');
    expect(loadConfig({ PUBLIC_URL: 'http://commons.localhost:3000', SITE_NAME: 'Agora' }).contactEmail).toBe('Agora operators <operators@commons.localhost>');
    expect(loadConfig({ CONTACT_EMAIL: 'Commons team <commons-team@example.gov.au>' }).contactAddress).toBe('commons-team@example.gov.au');
  });

  it('takes a hop count for TRUST_PROXY', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(problems({ TRUST_PROXY: '0.0.0.0/0' })[0]).toMatch(/^TRUST_PROXY:/);
  });

  it('masks a password in a URL it logs', () => {
    expect(maskUrl('postgres://commons:hunter2@db/commons')).toBe('postgres://commons:****@db/commons');
    expect(maskUrl('smtp://relay:25')).toBe('smtp://relay:25');
    expect(maskUrl('postgres://u@h/db?password=hunter2')).not.toContain('hunter2');
  });
});

describe('the settings of what a person sees', () => {
  it('shows times in Australia/Sydney unless TIME_ZONE names another zone, refusing one Intl does not know', () => {
    expect(loadConfig({}).site.TIME_ZONE).toBe('Australia/Sydney');
    expect(loadConfig({ TIME_ZONE: 'Australia/Perth' }).site.TIME_ZONE).toBe('Australia/Perth');
    expect(problems({ TIME_ZONE: 'AEST' })).toEqual(['TIME_ZONE: must be a time zone name such as Australia/Sydney, Australia/Perth or UTC']);
  });

  it('names the operator when OPERATOR_NAME is set, on one line, and shows the beta banner unless PHASE_BANNER is false', () => {
    expect(loadConfig({}).site.OPERATOR_NAME).toBeUndefined();
    expect(loadConfig({ OPERATOR_NAME: ' Department of Example Services ' }).site.OPERATOR_NAME).toBe('Department of Example Services');
    expect(problems({ OPERATOR_NAME: 'Department\nBcc: x@evil.example' })).toEqual(['OPERATOR_NAME: must be on one line']);
    expect(loadConfig({}).site.PHASE_BANNER).toBe(true);
    expect(loadConfig({ PHASE_BANNER: 'false' }).site.PHASE_BANNER).toBe(false);
    expect(problems({ PHASE_BANNER: 'off' })).toEqual(['PHASE_BANNER: must be true or false']);
  });
});

describe('the object storage settings', () => {
  const S3 = { S3_ENDPOINT: 'https://s3.ap-southeast-2.amazonaws.com', S3_BUCKET: 'commons-files', S3_ACCESS_KEY_ID: 'AKIAEXAMPLE', S3_SECRET_ACCESS_KEY: 'a-secret/with+symbols' };

  it('keeps files in PostgreSQL with none of them set, and in the bucket with all four', () => {
    expect(loadConfig({}).objectStorage).toBeUndefined();
    expect(loadConfig(S3).objectStorage).toEqual({ endpoint: S3.S3_ENDPOINT, bucket: 'commons-files', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'a-secret/with+symbols', region: 'us-east-1', forcePathStyle: true });
    expect(loadConfig({ ...S3, S3_REGION: 'ap-southeast-2', S3_FORCE_PATH_STYLE: 'false' }).objectStorage).toMatchObject({ region: 'ap-southeast-2', forcePathStyle: false });
  });

  it.each(Object.keys(S3))('refuses the others without %s, naming what goes together', (missing) => {
    const env: Record<string, string> = { ...S3 };
    delete env[missing];
    const given = Object.keys(S3).find((name) => name !== missing);
    expect(problems(env)).toEqual([`${missing}: is required when ${given} is set (object storage needs S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together)`]);
  });

  it('says which are missing when only one is set, and that a region or addressing style alone does nothing', () => {
    expect(problems({ S3_BUCKET: 'commons-files' }).map((line) => line.split(':')[0]).sort()).toEqual(['S3_ACCESS_KEY_ID', 'S3_ENDPOINT', 'S3_SECRET_ACCESS_KEY']);
    expect(problems({ S3_REGION: 'ap-southeast-2', S3_FORCE_PATH_STYLE: 'true' })).toEqual([
      'S3_REGION: does nothing without S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY',
      'S3_FORCE_PATH_STYLE: does nothing without S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY',
    ]);
  });

  it('reports each bad value on its own line', () => {
    const found = problems({ S3_ENDPOINT: 'ftp://files.example', S3_BUCKET: 'Commons_Files', S3_ACCESS_KEY_ID: 'has space', S3_SECRET_ACCESS_KEY: 'x'.repeat(300), S3_REGION: 'Sydney!', S3_FORCE_PATH_STYLE: 'sometimes' });
    expect(found).toEqual([
      'S3_ENDPOINT: must start with https:// or http://',
      'S3_BUCKET: must be a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens',
      'S3_ACCESS_KEY_ID: must have no spaces',
      'S3_SECRET_ACCESS_KEY: must be at most 256 characters',
      'S3_REGION: must be a region name such as us-east-1 or ap-southeast-2',
      'S3_FORCE_PATH_STYLE: must be true or false',
    ]);
    expect(problems({ ...S3, S3_ENDPOINT: 'not a url' })).toEqual(['S3_ENDPOINT: must be a storage endpoint URL']);
  });

  it('warns, without refusing, about an http:// endpoint in production', () => {
    const config = loadConfig({ ...PRODUCTION, ...S3, S3_ENDPOINT: 'http://minio:9000' });
    expect(config.warnings).toEqual([expect.stringContaining('S3_ENDPOINT is http://')]);
    expect(loadConfig({ ...PRODUCTION, ...S3 }).warnings).toEqual([]);
  });

  it('warns, without refusing, about an object store with the embedded database', () => {
    expect(loadConfig(S3).warnings).toEqual([EMBEDDED_WITH_OBJECT_STORE]);
    expect(loadConfig({ ...S3, DATABASE_URL: 'postgres://db.internal/commons' }).warnings).toEqual([]);
  });
});
