import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VIEWS_DIR } from '../../src/lib/paths.js';
import { loadTemplates } from '../../src/lib/templates.js';
import { useTempDirs } from '../support/temp-dirs.js';

function templateFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? templateFiles(path.join(dir, entry.name)) : entry.name.endsWith('.hbs') ? [path.join(dir, entry.name)] : []));
}

const tempDir = useTempDirs('templates');

describe('templates', () => {
  it('use {{{ }}} only for fields named *_html (sanitised or rendered HTML)', () => {
    const offenders: string[] = [];
    for (const file of templateFiles(VIEWS_DIR)) {
      for (const match of fs.readFileSync(file, 'utf8').matchAll(/\{\{\{\s*([^}\s]+)\s*\}\}\}/g)) {
        if (!match[1]!.endsWith('_html')) offenders.push(`${path.relative(VIEWS_DIR, file)}: ${match[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('put the form token in every form through the one csrf partial', () => {
    // The one-click unsubscribe posts to a route whose signed link is its authority (signedLink
    // in plugins/csrf.ts): it is shown to visitors without a session, so it has no token to carry.
    const SIGNED_LINK_FORMS = new Set([path.join('notifications', 'unsubscribe.hbs')]);
    const offenders: string[] = [];
    for (const file of templateFiles(VIEWS_DIR)) {
      const name = path.relative(VIEWS_DIR, file);
      const source = fs.readFileSync(file, 'utf8');
      const forms = source.match(/<form method="post"/g)?.length ?? 0;
      const tokens = source.match(/\{\{> csrf\}\}/g)?.length ?? 0;
      if (SIGNED_LINK_FORMS.has(name)) {
        if (forms !== 1 || tokens !== 0) offenders.push(`${name}: the signed-link form changed (${forms} forms, ${tokens} {{> csrf}})`);
        continue;
      }
      if (forms !== tokens) offenders.push(`${name}: ${forms} forms, ${tokens} {{> csrf}}`);
      if (name !== 'partials/csrf.hbs' && source.includes('name="_csrf"')) offenders.push(`${name}: a hand-written _csrf input`);
    }
    expect(offenders).toEqual([]);
  });

  it('escape what pages show and leave plain-text emails unescaped', () => {
    const templates = loadTemplates();
    expect(templates.render('errors/error', { title: '<b>x</b>', message: 'a & b' })).toContain('&lt;b&gt;x&lt;/b&gt;');
    const text = templates.render('emails/contact-message.text', { name: 'A & B <x>', email: 'a@b.gov.au', subject: 's', message: 'm', siteName: 'Commons', id: 1, ipAddress: '127.0.0.1' });
    expect(text).toContain('From: A & B <x> <a@b.gov.au>');
  });

  it('leave out the indentation of pages and partials, keeping their line breaks, but not of plain-text emails', () => {
    const dir = tempDir();
    for (const [name, source] of Object.entries({ 'pages/page.hbs': '<ul>\n  <li>{{> item}}</li>\n</ul>\n', 'partials/item.hbs': '<a>\n    one</a>', 'emails/note.text.hbs': 'Steps:\n  1. Sign in\n' })) {
      fs.mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), source);
    }
    const templates = loadTemplates(dir);
    expect(templates.render('pages/page', {})).toBe('<ul>\n<li><a>\none</a></li>\n</ul>\n');
    expect(templates.render('emails/note.text', {})).toBe('Steps:\n  1. Sign in\n');
  });

  it('keep each <pre> and <textarea> on one line, where the indentation taken out after a line break would show', () => {
    const offenders: string[] = [];
    for (const file of templateFiles(VIEWS_DIR)) {
      for (const match of fs.readFileSync(file, 'utf8').matchAll(/<(pre|textarea)\b[\s\S]*?<\/\1>/g)) {
        if (match[0].includes('\n')) offenders.push(`${path.relative(VIEWS_DIR, file)}: ${match[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('never compile what a person typed as a template', () => {
    const templates = loadTemplates();
    expect(templates.render('errors/error', { title: '{{constructor.constructor("return process")()}}', message: '{{> partial}}' })).toContain('{{constructor.constructor(&quot;return process&quot;)()}}');
  });
});
