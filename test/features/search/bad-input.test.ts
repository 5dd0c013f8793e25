import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { SEARCH_MESSAGES as M } from '../../../src/features/search/messages.js';
import { PAGE_MESSAGES } from '../../../src/lib/messages.js';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/database.js';
import { memberWithBrowser } from '../../support/discussions.js';
import { createCategory } from '../../support/forum-rows.js';
import { writeThread } from '../../support/search.js';

let database: Database;
let t: TestApp;
let reader: Browser;

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp({ database });
  const { member, browser } = await memberWithBrowser(t.app, t.db);
  reader = browser;
  const category = await createCategory(t.db);
  await writeThread(t.db, { categoryId: category.id, authorId: member.id, title: 'Quokka sightings <script>alert(1)</script>', body: 'A quokka <script>alert(2)</script> & <img src=x onerror=alert(3)> near the \u0001office\u0002.' });
}, 60_000);
afterAll(async () => {
  await t.close();
  await database.close();
});

describe('GET /search with bad input', () => {
  it.each([`'`, `"`, `:*`, `!`, `&`, `(`, `\\`, `%`, `_`, `' OR 1=1 --`, `"; DROP TABLE posts`, `quokka:*`, `!quokka & (`, `"unclosed phrase`, `a <-> b`, `%_\\`])('answers %j with a page, never an error', async (words) => {
    const response = await reader.get(`/search?q=${encodeURIComponent(words)}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<h1>Search</h1>');
  });

  it('finds the words among the operators websearch_to_tsquery ignores', async () => {
    const response = await reader.get(`/search?q=${encodeURIComponent('!quokka & (')}`);
    expect(response.body).toContain('<mark>Quokka</mark> sightings');
  });

  it('refuses a 10,000-character search with the limit', async () => {
    const response = await reader.get(`/search?q=${'a'.repeat(10_000)}`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Search must be at most 200 characters (it is 10,000)');
  });

  it('refuses a NUL and invalid UTF-8, saying which', async () => {
    const nul = await reader.get('/search?q=quokka%00');
    expect(nul.statusCode).toBe(400);
    expect(nul.body).toContain('Search must not contain NUL characters');
    const invalid = await reader.get('/search?q=quokka%FF');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain(PAGE_MESSAGES.invalidEncoding.replace(/'/g, '&#x27;'));
  });

  it('refuses a page number below 1 or not a number, and a page past the end is not found', async () => {
    for (const page of ['-1', '0', 'abc', '1e309', '1&page=2']) {
      const response = await reader.get(`/search?q=quokka&page=${page}`);
      expect(response.statusCode, page).toBe(400);
    }
    expect((await reader.get('/search?q=quokka&page=99')).statusCode).toBe(404);
  });

  it('refuses an unknown filter with a message', async () => {
    const response = await reader.get('/search?q=quokka&limit=100000');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(PAGE_MESSAGES.unexpectedFilter);
  });

  it('shows <script> in the words escaped in the "results for" line, and escapes the snippets but for <mark>', async () => {
    const words = '<script>alert(1)</script> OR quokka';
    const response = await reader.get(`/search?q=${encodeURIComponent(words)}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Results for “<bdi>&lt;script&gt;alert(1)&lt;/script&gt; OR quokka</bdi>”');
    const snippets = [...response.body.matchAll(/<p class="search__snippet">([\s\S]*?)<\/p>/g)].map((match) => match[1]!);
    expect(snippets.join(' ')).toContain('<mark>quokka</mark>');
    expect(snippets.join(' ')).toContain('&amp; &lt;img src&#x3D;x onerror&#x3D;');
    // Nothing in a snippet is a tag but search's own <mark>.
    for (const snippet of snippets) expect(snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    expect(response.body).not.toMatch(/<script>alert/);
    // The text's own control characters are taken out: only search's markers become <mark>.
    expect(snippets.join(' ')).toContain('near the office');
  });

  it('explains a search of only punctuation', async () => {
    const response = await reader.get(`/search?q=${encodeURIComponent('!&(')}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(M.noWords);
  });

  it('is for members: a visitor is sent to sign in', async () => {
    const response = await new Browser(t.app).get('/search?q=quokka');
    expect(response.statusCode).toBe(303);
  });
});
