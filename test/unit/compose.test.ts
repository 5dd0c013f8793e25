import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/lib/paths.js';
import { ComposeRefused, interpolate, parseDotenv, readComposeFile, serviceEnvironment } from '../support/compose.js';

/**
 * `cp .env.example .env && docker compose up`, as the compose file's header and the README say,
 * proven without Docker: the environment compose would give the app passes the config loader.
 */
const envExample = fs.readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8');
const composeText = fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
const compose = readComposeFile();

// What an operator fills in after copying: the variables compose says it needs.
const FILLED: Record<string, string> = {
  POSTGRES_PASSWORD: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4',
  SESSION_SECRET: 'x'.repeat(64),
  PUBLIC_URL: 'https://commons.example.gov.au',
  CONTACT_EMAIL: '"Commons team" <commons-team@example.gov.au>',
};

/** .env.example with `NAME=value` lines set, as an operator edits the copy. */
function dotenvWith(values: Record<string, string>): string {
  let text = envExample;
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^#? ?${name}=.*$`, 'm');
    expect(text, `${name} has a line in .env.example`).toMatch(line);
    text = text.replace(line, `${name}=${value.includes('"') ? `'${value}'` : value}`);
  }
  return text;
}

describe('docker compose as shipped', () => {
  it('stops with a message naming exactly the settings its header says to fill in', () => {
    let refused: ComposeRefused | undefined;
    try {
      serviceEnvironment(compose, 'app', envExample);
    } catch (error) {
      if (!(error instanceof ComposeRefused)) throw error;
      refused = error;
    }
    expect(refused?.missing).toEqual(Object.keys(FILLED).sort());
    const header = composeText.slice(0, composeText.indexOf('\nname:'));
    for (const name of Object.keys(FILLED)) expect(header, name).toContain(name);
  });

  it('gives the app an environment the production config loader accepts', () => {
    const env = serviceEnvironment(compose, 'app', dotenvWith(FILLED));
    const config = loadConfig(env);
    expect(config.env).toBe('production');
    expect(config.host).toBe('0.0.0.0');
    expect(config.databaseUrl).toBe(`postgres://commons:${FILLED.POSTGRES_PASSWORD}@db:5432/commons`);
    expect(config.smtpUrl).toBe('smtp://mail:1025');
    expect(config.trustProxy).toBe(1);
    // Plain SMTP to the mail catcher is allowed, and said out loud.
    expect(config.warnings).toEqual([expect.stringContaining('mail:1025 is sent without TLS')]);
  });

  it('passes every setting in .env through to the app (env_file), not a fixed list', () => {
    const env = serviceEnvironment(compose, 'app', dotenvWith({ ...FILLED, ADMIN_EMAILS: 'lead@finance.gov.au', ALLOWED_EMAIL_DOMAINS: 'finance.gov.au', REDIS_URL: 'redis://cache:6379', RATE_LIMIT_SIGNUPS_PER_HOUR: '40', SMTP_URL: 'smtps://relay.example.gov.au:465' }));
    const config = loadConfig(env);
    expect(config.adminEmails).toEqual(['lead@finance.gov.au']);
    expect(config.allowedEmailDomains).toEqual(['finance.gov.au']);
    expect(config.redisUrl).toBe('redis://cache:6379');
    expect(config.site.RATE_LIMIT_SIGNUPS_PER_HOUR).toBe(40);
    expect(config.smtpUrl).toBe('smtps://relay.example.gov.au:465');
    expect(config.warnings).toEqual([]);
  });

  it('refuses plain SMTP to any host but the one named', () => {
    const env = serviceEnvironment(compose, 'app', dotenvWith({ ...FILLED, SMTP_URL: 'smtp://relay.example.gov.au:25' }));
    expect(() => loadConfig(env)).toThrow(/SMTP_URL: must use TLS in production/);
    expect(() => loadConfig({ ...env, SMTP_PLAINTEXT_HOST: 'relay.example.gov.au' })).toThrow(/SMTP_PLAINTEXT_HOST: must be one host name without dots/);
    expect(() => loadConfig({ ...env, SMTP_PLAINTEXT_HOST: '10.0.0.5' })).toThrow(/SMTP_PLAINTEXT_HOST/);
  });

  it('pins every image to a version', () => {
    const images = Object.values(compose.services).flatMap((service) => (service.image ? [service.image] : []));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image, image).toMatch(/:v?\d+(?:\.\d+)*(?:-[a-z0-9]+)?$/);
    expect(compose.services.mail?.image).toMatch(/^axllent\/mailpit:v\d+\.\d+\.\d+$/);
  });
});

describe('the compose model itself', () => {
  it('interpolates as compose does', () => {
    const missing: string[] = [];
    const vars = { SET: 'x', EMPTY: '' };
    expect(interpolate('${SET}-${EMPTY:-d}-${EMPTY-d}-${UNSET-d}-$$-${SET:+alt}-$SET', vars, missing)).toBe('x-d--d-$-alt-x');
    interpolate('${EMPTY:?e} ${UNSET?e} ${EMPTY?fine}', vars, missing);
    expect(missing).toEqual(['EMPTY', 'UNSET']);
  });

  it('reads a .env file as compose does', () => {
    expect(parseDotenv('# c\nA=1\nB= two  # note\nC="Commons <c@x.gov.au>"\nD=\'#kept\'\nexport E=e\n')).toEqual({ A: '1', B: 'two', C: 'Commons <c@x.gov.au>', D: '#kept', E: 'e' });
  });
});
