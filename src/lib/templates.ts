import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { VIEWS_DIR } from './paths.js';
import { formatTime, recentTime } from './time.js';

/**
 * Every template under views/, compiled once at start-up. Pages render into
 * layouts/main.hbs; emails are views/emails/<name>.text.hbs (and an optional .html.hbs).
 * `{{ }}` escapes; `{{{ }}}` is allowed only for fields named `*_html` (a test enforces it).
 */
export type TemplateData = Record<string, unknown>;

export interface Templates {
  render(name: string, data: TemplateData): string;
  has(name: string): boolean;
}

function listTemplates(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return listTemplates(path.join(dir, entry.name), relative);
    return entry.name.endsWith('.hbs') ? [relative.slice(0, -'.hbs'.length)] : [];
  });
}

export function loadTemplates(viewsDir: string = VIEWS_DIR): Templates {
  const handlebars = Handlebars.create();
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  handlebars.registerHelper('or', (a: unknown, b: unknown) => Boolean(a || b));
  handlebars.registerHelper('and', (a: unknown, b: unknown) => Boolean(a && b));
  // Times: the page's data names the zone (timeZone) and the clock (now). `{{time at}}` is a
  // recent time as "3 hours ago", with the exact time in its title for a pointer to find, or an
  // older one as the exact time (lib/time.ts). A helper, not a partial: a partial's hash copies
  // the whole context at each call, and a thread page shows forty times.
  handlebars.registerHelper('isoTime', (date: unknown) => asDate(date).toISOString());
  handlebars.registerHelper('exactTime', (date: unknown, options: Handlebars.HelperOptions) => formatTime(asDate(date), pageTimeZone(options)));
  handlebars.registerHelper('time', (date: unknown, options: Handlebars.HelperOptions) => {
    const at = asDate(date);
    const exact = handlebars.escapeExpression(formatTime(at, pageTimeZone(options)));
    const now: unknown = options.data.root.now;
    const recent = now instanceof Date ? recentTime(at, now) : undefined;
    const datetime = at.toISOString();
    return new handlebars.SafeString(recent ? `<time datetime="${datetime}" title="${exact}">${handlebars.escapeExpression(recent)}</time>` : `<time datetime="${datetime}">${exact}</time>`);
  });
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  for (const name of listTemplates(viewsDir)) {
    const plainText = name.endsWith('.text');
    const source = fs.readFileSync(path.join(viewsDir, `${name}.hbs`), 'utf8');
    if (name.startsWith('partials/')) {
      handlebars.registerPartial(name.slice('partials/'.length), plainText ? source : withoutIndentation(source));
    } else {
      // Plain-text emails are not HTML: escaping them would turn & into &amp; in the message,
      // and their indentation is what the reader sees.
      compiled.set(name, handlebars.compile(plainText ? source : withoutIndentation(source), { preventIndent: true, noEscape: plainText }));
    }
  }
  return {
    has: (name) => compiled.has(name),
    render(name, data) {
      const template = compiled.get(name);
      if (!template) throw new Error(`no template views/${name}.hbs`);
      return template(data);
    },
  };
}

/**
 * HTML without the indentation and blank lines that lay out a template's tags, which a browser
 * ignores: a thread page is about 1.1 KB lighter. A line break stays wherever there was one, so
 * words and inline elements on either side stay apart; and no template puts a line break inside
 * a <pre> or <textarea>, where the indentation would show (test/unit/templates.test.ts checks).
 */
function withoutIndentation(source: string): string {
  return source.replace(/^[ \t\r\n]+/gm, '');
}

function asDate(value: unknown): Date {
  if (value instanceof Date) return value;
  throw new Error(`the time helpers take a Date, not ${typeof value}`);
}

function pageTimeZone(options: Handlebars.HelperOptions): string {
  const zone: unknown = options.data.root.timeZone;
  if (typeof zone !== 'string') throw new Error('a page that shows a time needs timeZone in its data');
  return zone;
}
