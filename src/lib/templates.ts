import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { VIEWS_DIR } from './paths.js';

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
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  for (const name of listTemplates(viewsDir)) {
    const source = fs.readFileSync(path.join(viewsDir, `${name}.hbs`), 'utf8');
    if (name.startsWith('partials/')) {
      handlebars.registerPartial(name.slice('partials/'.length), source);
    } else {
      // Plain-text emails are not HTML: escaping them would turn & into &amp; in the message.
      compiled.set(name, handlebars.compile(source, { preventIndent: true, noEscape: name.endsWith('.text') }));
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
