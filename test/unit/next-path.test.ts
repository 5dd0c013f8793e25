import type { FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import { isLocalPath, redirectTo, safeNextPath } from '../../src/lib/next-path.js';

/** Values an attacker puts in `?next=` to send a signed-in member to another site. */
const HOSTILE_NEXT_VALUES: unknown[] = [
  'https://evil.example',
  'http://evil.example/',
  'HTTPS://EVIL.EXAMPLE',
  'https:evil.example',
  'https:/evil.example',
  'http:\\\\evil.example',
  '//evil.example',
  '///evil.example',
  '//evil.example/%2e%2e',
  '/\\evil.example',
  '\\\\evil.example',
  '\\/evil.example',
  '/\\/evil.example',
  '/.//evil.example',
  '/..//evil.example',
  '/%2e%2e//evil.example',
  '/%2E%2E//evil.example',
  '/%2e//evil.example',
  '/.%2e//evil.example',
  '/a/..//evil.example',
  '/././/evil.example',
  '/%2e%2e/%2e%2e//evil.example',
  '/..\\evil.example',
  '/.\\/evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/\u0000/evil.example',
  '/\u007f/evil.example',
  ' //evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'vbscript:msgbox(1)',
  'evil.example',
  '@evil.example',
  `/${'a'.repeat(2000)}`,
  '',
  undefined,
  null,
  42,
  ['/settings'],
  { path: '/settings' },
];

describe('safeNextPath', () => {
  it.each([
    ['/c/general', '/c/general'],
    ['/t/12?page=2#p-40', '/t/12?page=2#p-40'],
    ['/settings', '/settings'],
    ['/search?q=https://example.gov.au', '/search?q=https://example.gov.au'],
    // Resolved as a browser would, and still here.
    ['/a/../settings', '/settings'],
    ['/../../settings', '/settings'],
    ['/%2e%2e/settings', '/settings'],
  ])('keeps the same-origin path %s as %s', (path, expected) => {
    expect(safeNextPath(path)).toBe(expected);
  });

  it('has at least 30 hostile values to refuse', () => {
    expect(HOSTILE_NEXT_VALUES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(HOSTILE_NEXT_VALUES.map((value) => [value]))('refuses %j', (value) => {
    expect(safeNextPath(value)).toBe('/');
    expect(safeNextPath(value, '')).toBe('');
  });

  it('never returns anything a browser would take off this site', () => {
    for (const value of HOSTILE_NEXT_VALUES) {
      const path = safeNextPath(value);
      expect(new URL(path, 'https://commons.example.gov.au').origin).toBe('https://commons.example.gov.au');
      expect(isLocalPath(path)).toBe(true);
    }
  });
});

describe('redirectTo', () => {
  const warnings: unknown[] = [];
  const reply = { redirect: (url: string, code: number) => ({ url, code }), log: { warn: (details: unknown) => warnings.push(details) } } as unknown as FastifyReply;

  it('sends a path on this site with 303', () => {
    expect(redirectTo(reply, '/login?next=%2Fsettings')).toEqual({ url: '/login?next=%2Fsettings', code: 303 });
  });

  it.each(['//evil.example', '/.//evil.example', '/\\evil.example', 'https://evil.example', '/\t/evil.example', ''])('refuses to send %j anywhere but the home page, and logs it', (path) => {
    warnings.length = 0;
    expect(redirectTo(reply, path)).toEqual({ url: '/', code: 303 });
    expect(warnings).toEqual([{ path }]);
  });
});
