import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/lib/paths.js';

/**
 * SECURITY.md's claims that the tree can check: each OWASP ASVS 5.0.0 requirement of levels 1
 * and 2 has one row, every test a row cites exists under that name, and every runtime dependency
 * is accounted for. Renaming a test or adding a package without updating the page fails here.
 */
const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const security = read('SECURITY.md');

// ASVS 5.0.0 (OWASP/ASVS, 5.0/docs_en/…_5.0.0_en.csv): every requirement whose level is 1 or 2.
const ASVS_LEVEL_2 = `
  1.1.1 1.1.2 1.2.1 1.2.2 1.2.3 1.2.4 1.2.5 1.2.6 1.2.7 1.2.8 1.2.9 1.3.1 1.3.2 1.3.3 1.3.4 1.3.5 1.3.6 1.3.7
  1.3.8 1.3.9 1.3.10 1.3.11 1.4.1 1.4.2 1.4.3 1.5.1 1.5.2
  2.1.1 2.1.2 2.1.3 2.2.1 2.2.2 2.2.3 2.3.1 2.3.2 2.3.3 2.3.4 2.4.1
  3.2.1 3.2.2 3.3.1 3.3.2 3.3.3 3.3.4 3.4.1 3.4.2 3.4.3 3.4.4 3.4.5 3.4.6 3.5.1 3.5.2 3.5.3 3.5.4 3.5.5 3.7.1
  3.7.2
  4.1.1 4.1.2 4.1.3 4.2.1 4.3.1 4.3.2 4.4.1 4.4.2 4.4.3 4.4.4
  5.1.1 5.2.1 5.2.2 5.2.3 5.3.1 5.3.2 5.4.1 5.4.2 5.4.3
  6.1.1 6.1.2 6.1.3 6.2.1 6.2.2 6.2.3 6.2.4 6.2.5 6.2.6 6.2.7 6.2.8 6.2.9 6.2.10 6.2.11 6.2.12 6.3.1 6.3.2
  6.3.3 6.3.4 6.4.1 6.4.2 6.4.3 6.4.4 6.5.1 6.5.2 6.5.3 6.5.4 6.5.5 6.6.1 6.6.2 6.6.3 6.8.1 6.8.2 6.8.3 6.8.4
  7.1.1 7.1.2 7.1.3 7.2.1 7.2.2 7.2.3 7.2.4 7.3.1 7.3.2 7.4.1 7.4.2 7.4.3 7.4.4 7.4.5 7.5.1 7.5.2 7.6.1 7.6.2
  8.1.1 8.1.2 8.2.1 8.2.2 8.2.3 8.3.1 8.4.1
  9.1.1 9.1.2 9.1.3 9.2.1 9.2.2 9.2.3 9.2.4
  10.1.1 10.1.2 10.2.1 10.2.2 10.3.1 10.3.2 10.3.3 10.3.4 10.4.1 10.4.2 10.4.3 10.4.4 10.4.5 10.4.6 10.4.7
  10.4.8 10.4.9 10.4.10 10.4.11 10.5.1 10.5.2 10.5.3 10.5.4 10.5.5 10.6.1 10.6.2 10.7.1 10.7.2 10.7.3
  11.1.1 11.1.2 11.2.1 11.2.2 11.2.3 11.3.1 11.3.2 11.3.3 11.4.1 11.4.2 11.4.3 11.4.4 11.5.1 11.6.1
  12.1.1 12.1.2 12.1.3 12.2.1 12.2.2 12.3.1 12.3.2 12.3.3 12.3.4
  13.1.1 13.2.1 13.2.2 13.2.3 13.2.4 13.2.5 13.3.1 13.3.2 13.4.1 13.4.2 13.4.3 13.4.4 13.4.5
  14.1.1 14.1.2 14.2.1 14.2.2 14.2.3 14.2.4 14.3.1 14.3.2 14.3.3
  15.1.1 15.1.2 15.1.3 15.2.1 15.2.2 15.2.3 15.3.1 15.3.2 15.3.3 15.3.4 15.3.5 15.3.6 15.3.7
  16.1.1 16.2.1 16.2.2 16.2.3 16.2.4 16.2.5 16.3.1 16.3.2 16.3.3 16.3.4 16.4.1 16.4.2 16.4.3 16.5.1 16.5.2
  16.5.3
  17.1.1 17.2.1 17.2.2 17.2.3 17.2.4 17.3.1 17.3.2
`.trim().split(/\s+/);

/** The part of the page under a level-2 heading, up to the next one. */
function section(heading: string): string {
  const start = security.indexOf(`\n## ${heading}\n`);
  expect(start, `SECURITY.md has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const end = security.indexOf('\n## ', start + 1);
  return security.slice(start, end < 0 ? undefined : end);
}

function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
}

const asvs = section('OWASP ASVS 5.0 Level 2');
const asvsRows = [...asvs.matchAll(/^\| (\d+\.\d+\.\d+) \|.*$/gm)].map(([row, id]) => ({ id: id!, cells: cells(row) }));

/**
 * What a test file runs: the first argument of each it() and test(), it.each's included. A
 * skipped or todo test (it.skip, it.todo, test.skip…) shows nothing and does not count.
 */
function testNames(file: string): Set<string> {
  const source = read(file);
  const names = new Set<string>();
  const call = /\b(?:it|test)(?:\.(?:each|only|concurrent)(?:\([\s\S]*?\))?)?\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
  for (const match of source.matchAll(call)) names.add(match[2]!.replace(/\\(.)/g, '$1'));
  // it.each(table)('name'): the name follows the table's closing bracket.
  for (const match of source.matchAll(/\]\)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)) names.add(match[2]!.replace(/\\(.)/g, '$1'));
  return names;
}

/** Every `test/…` › “name” in the page, a file followed by one or more names. */
function citations(text: string): { file: string; name: string }[] {
  const found: { file: string; name: string }[] = [];
  for (const [, file, names] of text.matchAll(/`(test\/[^`]+\.test\.ts)` › ((?:“[^”]+”(?:, )?)+)/g)) {
    for (const [, name] of names!.matchAll(/“([^”]+)”/g)) found.push({ file: file!, name: name! });
  }
  return found;
}

describe('SECURITY.md against OWASP ASVS 5.0', () => {
  it('has one row for each level 1 and level 2 requirement, in the standard’s order', () => {
    expect(asvsRows.map((row) => row.id)).toEqual(ASVS_LEVEL_2);
  });

  it('says for each how Commons meets it and what shows it, or why it does not apply', () => {
    for (const { id, cells: [, requirement, how, shown] } of asvsRows) {
      expect(requirement, id).toMatch(/\w{3}/);
      expect(how, id).toMatch(/\w{3}/);
      if (/^Not applicable\b/.test(how!)) continue;
      expect(shown, `${id}: cite a test, or say "No test:" and why`).toMatch(/`test\/|^No test: \w/);
    }
  });

  it('cites only test files that exist and test names they declare', () => {
    const cited = citations(security);
    expect(cited.length).toBeGreaterThan(100);
    const missing = cited.filter(({ file, name }) => !fs.existsSync(path.join(PROJECT_ROOT, file)) || !testNames(file).has(name));
    expect(missing, 'rename the citation in SECURITY.md to the test as it is now called').toEqual([]);
  });

  it('names only paths in test/ that exist', () => {
    const paths = [...security.matchAll(/`(test\/[^`\s]*)`/g)].map(([, cited]) => cited!);
    expect(paths.filter((cited) => !fs.existsSync(path.join(PROJECT_ROOT, cited)))).toEqual([]);
  });
});

/** Every file under `folder` whose name ends with `extension`, as text. */
function sources(folder = 'src', extension = '.ts'): { file: string; text: string }[] {
  const files = fs.readdirSync(path.join(PROJECT_ROOT, folder), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith(extension));
  return files.map((file) => ({ file, text: read(path.join(folder, file)) }));
}

const matching = (files: { file: string; text: string }[], pattern: RegExp) => files.filter(({ text }) => pattern.test(text)).map(({ file }) => file);

describe('what src/ never does, as SECURITY.md says', () => {
  it('runs no shell command and evaluates no code', () => {
    expect(matching(sources(), /['"]node:(?:child_process|vm)['"]|\beval\(|\bnew Function\(/)).toEqual([]);
  });

  it('never selects every column of a table', () => {
    expect(matching(sources(), /\.selectAll\(/)).toEqual([]);
  });

  it('makes no HTTP request of its own and turns off no certificate check', () => {
    expect(matching(sources(), /\bfetch\(|['"]node:https['"]|\bhttps?\.(?:request|get)\(|rejectUnauthorized|checkServerIdentity|NODE_TLS_REJECT_UNAUTHORIZED/)).toEqual([]);
  });

  it('sends no CORS header', () => {
    expect(matching(sources(), /access-control-allow/i)).toEqual([]);
  });

  it('hashes and signs with SHA-256 only (TOTP keeps the SHA-1 its apps need, inside otpauth)', () => {
    const algorithms = sources().flatMap(({ text }) => [...text.matchAll(/\bcreate(?:Hash|Hmac)\(\s*['"`]([^'"`]+)/g)].map(([, name]) => name));
    expect(algorithms.length).toBeGreaterThan(0);
    expect(new Set(algorithms)).toEqual(new Set(['sha256']));
  });

  it('keeps nothing in browser storage: the scripts in static/ use none', () => {
    expect(matching(sources('static', '.js'), /localStorage|sessionStorage|indexedDB/)).toEqual([]);
  });
});

describe('SECURITY.md against package.json', () => {
  it('gives each runtime dependency a row saying why it is there and what it is trusted with, and lists no other', () => {
    const dependencies = Object.keys((JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies).sort();
    const rows = [...section('Runtime dependencies').matchAll(/^\| `([^`]+)` \|.*$/gm)];
    expect(rows.map(([, name]) => name).sort()).toEqual(dependencies);
    for (const [row, name] of rows) {
      const [, why, trusted] = cells(row);
      expect(why, name).toMatch(/\w{3}/);
      expect(trusted, name).toMatch(/\w{3}/);
    }
  });
});
