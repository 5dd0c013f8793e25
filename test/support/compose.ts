import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/lib/paths.js';

/**
 * What `docker compose up` would hand a service, worked out without Docker: the image's ENV,
 * then the service's env_file, then its `environment` (each overriding the one before), with
 * `${…}` interpolated from the project's .env as compose does.
 */

/** A .env file as compose reads it: KEY=value lines, comments, quotes, no interpolation used. */
export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new Error(`not a KEY=value line: ${raw}`);
    const [, key, rest] = match as unknown as [string, string, string];
    let value: string;
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const end = rest.indexOf(rest[0]!, 1);
      if (end < 0) throw new Error(`unterminated quote: ${raw}`);
      value = rest.slice(1, end);
    } else {
      // An unquoted value ends at a comment that follows whitespace.
      value = rest.replace(/\s+#.*$/, '').trim();
    }
    if (value.includes('$')) throw new Error(`interpolation inside .env is not modelled here: ${raw}`);
    values[key] = value;
  }
  return values;
}

export class ComposeRefused extends Error {
  constructor(readonly missing: string[]) {
    super(`compose would stop: ${missing.join(', ')} unset`);
  }
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR:+alt}` and `$$`. */
export function interpolate(text: string, vars: Record<string, string>, missing: string[]): string {
  return text.replace(VARIABLE, (whole, braced?: string, colon?: string, operator?: string, operand?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = vars[name];
    const absent = value === undefined || (colon === ':' && value === '');
    if (operator === '-') return absent ? operand! : value!;
    if (operator === '+') return absent ? '' : operand!;
    if (operator === '?' && absent) missing.push(name);
    return value ?? '';
  });
}

/** The ENV of the Dockerfile's last stage, which the service runs. */
function imageEnvironment(dockerfile: string): Record<string, string> {
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const values: Record<string, string> = {};
  for (const [, pairs] of lastStage.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const [, key, quoted, bare] of pairs!.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S+))/g)) values[key!] = quoted ?? bare!;
  }
  return values;
}

export interface ComposeFile {
  services: Record<string, { image?: string; build?: unknown; env_file?: string | string[]; environment?: Record<string, string | number | boolean | null> }>;
}

export function readComposeFile(): ComposeFile {
  return parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as ComposeFile;
}

/** The environment compose gives `service` when the project's .env holds `dotenv`. */
export function serviceEnvironment(compose: ComposeFile, service: string, dotenv: string): Record<string, string> {
  const definition = compose.services[service];
  if (!definition) throw new Error(`no service ${service}`);
  const vars = parseDotenv(dotenv);
  const missing: string[] = [];
  const env: Record<string, string> = definition.build ? imageEnvironment(fs.readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8')) : {};
  const envFiles = definition.env_file === undefined ? [] : [definition.env_file].flat();
  for (const file of envFiles) {
    // The only env file this project uses is the one compose also interpolates from.
    if (file !== '.env') throw new Error(`unexpected env_file ${file}`);
    Object.assign(env, vars);
  }
  for (const [key, value] of Object.entries(definition.environment ?? {})) {
    if (value === null) throw new Error(`${key} would be taken from the shell of whoever runs compose`);
    env[key] = interpolate(String(value), vars, missing);
  }
  if (missing.length > 0) throw new ComposeRefused([...new Set(missing)].sort());
  return env;
}
