import { SETTING_DOCS, SETTING_SECTIONS, type SettingDoc } from '../config-docs.js';
import { REQUIRED_IN_PRODUCTION, SITE_SETTINGS, type SettingName } from '../config.js';
import type { RegisteredRoute } from '../plugins/access.js';

/**
 * The parts of the documentation that the code can say for itself: the settings (README.md's
 * table and .env.example, from config-docs.ts) and the public routes (SECURITY.md, from the route
 * inventory). `npm run docs` writes them; a test fails when a file differs from what it would write.
 */

const WIDTH = 95;

function settingsInOrder(): [SettingName, SettingDoc][] {
  const entries = Object.entries(SETTING_DOCS) as [SettingName, SettingDoc][];
  return entries.sort(([, a], [, b]) => SETTING_SECTIONS.indexOf(a.section) - SETTING_SECTIONS.indexOf(b.section));
}

function description(name: SettingName, doc: SettingDoc): string {
  const notes = [doc.description];
  if (REQUIRED_IN_PRODUCTION[name]) notes.push('Required in production.');
  if (Object.hasOwn(SITE_SETTINGS, name)) notes.push('Administrators can change it at `/admin/settings`, which then overrides this value.');
  return notes.join(' ');
}

export function settingsTable(): string {
  const rows = settingsInOrder().map(([name, doc]) => {
    const fallback = doc.default === undefined ? (doc.defaultText ?? 'none') : `\`${doc.default}\``;
    return `| \`${name}\` | ${fallback} | ${description(name, doc)} |`;
  });
  return ['| name | default | what it does |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Markdown as a comment reads it: no code marks, links by their words. */
export function plainText(markdown: string): string {
  return markdown.replace(/\[([^\]]+)\]\(#[^)]+\)/g, '"$1" in README.md').replace(/`/g, '');
}

function commentLines(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/)) {
    if (line.length + 1 + word.length > WIDTH && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  return [...lines, line];
}

function sectionRule(title: string): string {
  const head = `# --- ${title} `;
  return head.padEnd(WIDTH, '-');
}

const ENV_HEADER = `# Commons settings: every variable Commons reads, with its default.
# Generated from src/config-docs.ts by \`npm run docs\`: change the descriptions there, not here.
#
# Commons reads its environment only; it does not open this file. Copy it to .env (which git
# ignores) and load it with \`node --env-file=.env dist/src/server.js\`, with
# \`set -a; . ./.env; set +a\` before \`npm start\`, with your service manager, or let
# \`docker compose\` pass it to the app (see the end of this file).
#
# A commented-out line, or a variable set to nothing, keeps the default.
#
# Secrets stay blank here. Generate your own and never commit them.`;

const ENV_COMPOSE = `${sectionRule('docker compose only')}
# docker-compose.yml reads .env, passes every setting in it to the app, and stops with a message
# when a setting it needs is blank: POSTGRES_PASSWORD below, and PUBLIC_URL (https://),
# SESSION_SECRET and CONTACT_EMAIL above.

# The password of the compose PostgreSQL's "commons" role. Hex keeps it safe inside a URL:
#   openssl rand -hex 32
POSTGRES_PASSWORD=`;

export function envExample(): string {
  const parts = [ENV_HEADER];
  let section: string | undefined;
  for (const [name, doc] of settingsInOrder()) {
    if (doc.section !== section) {
      section = doc.section;
      parts.push(sectionRule(section));
    }
    const line = doc.default === undefined ? `${name}=` : `# ${name}=${doc.default}`;
    parts.push([...commentLines(plainText(description(name, doc))), line].join('\n'));
  }
  parts.push(ENV_COMPOSE);
  return `${parts.join('\n\n')}\n`;
}

export function publicRoutesList(routes: RegisteredRoute[]): string {
  const methods = new Map<string, Set<string>>();
  for (const route of routes) {
    if (route.access !== 'public' || route.method === 'HEAD') continue;
    methods.set(route.url, (methods.get(route.url) ?? new Set()).add(route.method));
  }
  return [...methods]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([url, verbs]) => `- \`${url}\`: ${[...verbs].sort().join(', ')}`)
    .join('\n');
}

/** Puts `content` between a file's markers for `name`, which must be there once. */
export function replaceGenerated(text: string, name: string, content: string): string {
  const start = `<!-- generated: ${name} (npm run docs) -->`;
  const end = `<!-- end generated: ${name} -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from || text.indexOf(start, from + 1) >= 0) throw new Error(`the markers for "${name}" are missing or doubled`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

/** Every generated file as it should read, from its current text. */
export function generatedDocs(routes: RegisteredRoute[], read: (file: string) => string): Record<string, string> {
  return {
    'README.md': replaceGenerated(read('README.md'), 'settings', settingsTable()),
    'SECURITY.md': replaceGenerated(read('SECURITY.md'), 'public routes', publicRoutesList(routes)),
    '.env.example': envExample(),
  };
}
