import { describe, expect, it } from 'vitest';
import { safeNextPath } from '../../src/lib/next-path.js';

describe('safeNextPath', () => {
  it.each(['/c/general', '/t/12?page=2#p-40', '/settings'])('keeps the same-origin path %s', (path) => {
    expect(safeNextPath(path)).toBe(path);
  });

  it.each(['https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '/\t/evil.example', '\\\\evil.example', 'evil.example', '', undefined, ['/a']])(
    'refuses %j',
    (value) => {
      expect(safeNextPath(value)).toBe('/');
    },
  );
});
