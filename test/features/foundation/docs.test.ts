import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTING_DOCS } from '../../../src/config-docs.js';
import { EnvSchema } from '../../../src/config.js';
import { generatedDocs } from '../../../src/lib/generated-docs.js';
import { PROJECT_ROOT } from '../../../src/lib/paths.js';
import { buildTestApp, type TestApp } from '../../support/app.js';

/**
 * The documentation an operator follows must say what the code does. What the code can say for
 * itself is generated (`npm run docs`) and checked here; the rest is checked against the tree.
 */
const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

let t: TestApp;
let expected: Record<string, string>;
beforeAll(async () => {
  t = await buildTestApp();
  expected = generatedDocs(t.app.routeInventory, read);
});
afterAll(async () => t.close());

describe('generated documentation', () => {
  it.each(['README.md', 'SECURITY.md', '.env.example'])('%s says what npm run docs would write', (file) => {
    expect(read(file), `${file} is out of date: run npm run docs`).toBe(expected[file]);
  });

  it('describes every setting config.ts reads', () => {
    expect(Object.keys(SETTING_DOCS).sort()).toEqual(Object.keys(EnvSchema.shape).sort());
    for (const doc of Object.values(SETTING_DOCS)) expect(doc.description.length).toBeGreaterThan(10);
  });

  it('lists the membership pages among the public routes in SECURITY.md', () => {
    for (const url of ['/signup', '/login', '/password/forgot', '/verify/:token']) expect(read('SECURITY.md')).toContain(`- \`${url}\`:`);
  });
});

describe('what the README says about the source tree', () => {
  const readme = read('README.md');
  const tree = /```\nsrc\/\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

  it('names every file and folder in src/', () => {
    for (const entry of fs.readdirSync(path.join(PROJECT_ROOT, 'src'), { withFileTypes: true })) {
      const name = entry.isDirectory() ? `${entry.name}/` : entry.name;
      // `features/<feature>/` names the folder too.
      expect(tree, name).toMatch(new RegExp(`^  ${name.replace('.', '\\.')}\\S*\\s`, 'm'));
    }
  });

  it('names every feature and every command-line entry point', () => {
    const features = fs.readdirSync(path.join(PROJECT_ROOT, 'src/features')).sort();
    expect(/\(today: ([^)]*)\)/.exec(tree)?.[1]?.split(', ').sort()).toEqual(features);
    const scripts = Object.values((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const commands = [...new Set(scripts.flatMap((script) => [...script.matchAll(/dist\/src\/cli\/([a-z-]+)\.js/g)].map((match) => match[1]!)))].sort();
    expect(/cli\/.*\(([^)]*)\)/.exec(tree)?.[1]?.split(', ').sort()).toEqual(commands);
  });

  it('does not say that membership, which is built, comes next', () => {
    const next = /([^.]*) comes? next\./.exec(readme.replace(/\s+/g, ' '))?.[1];
    expect(next).toBeDefined();
    expect(next!.toLowerCase()).not.toContain('membership');
  });
});
