import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BadRequest } from '../../src/lib/errors.js';
import { parseForm, parseUrlEncoded, textField } from '../../src/lib/forms.js';

describe('parseUrlEncoded', () => {
  it('decodes pairs, plus signs and repeated keys', () => {
    expect({ ...parseUrlEncoded('a=1+2&b=%C3%A9&a=3&c') }).toEqual({ a: ['1 2', '3'], b: 'é', c: '' });
  });

  it.each(['a=%FF', 'a=%C3%28', 'a=%C0%AF', 'a=%E', 'a=\uFFFD'])('refuses invalid encoding in %j', (raw) => {
    expect(() => parseUrlEncoded(raw)).toThrow(BadRequest);
  });

  it.each(['__proto__=1', 'constructor=1', 'a[b]=1'])('refuses the key in %j', (raw) => {
    expect(() => parseUrlEncoded(raw)).toThrow(BadRequest);
  });
});

describe('textField', () => {
  const Form = z.strictObject({ title: textField({ label: 'Title', max: 5 }) });

  it('trims Unicode whitespace and zero-width characters and NFC-normalises', () => {
    expect(parseForm(Form, { title: '\u200B e\u0301 \u00A0' })).toEqual({ ok: true, data: { title: 'é' } });
  });

  it('counts code points, not UTF-16 units', () => {
    expect(parseForm(Form, { title: '😀😀😀😀😀' }).ok).toBe(true);
    expect(parseForm(Form, { title: '😀😀😀😀😀😀' }).ok).toBe(false);
  });

  it.each([
    [{}, 'Enter title'],
    [{ title: '\u200B\u200D' }, 'Enter title'],
    [{ title: 'a\0b' }, 'Title must not contain NUL characters'],
    [{ title: 'a\uD800' }, 'Title contains characters that are not valid text'],
    [{ title: 'a\nb' }, 'Title must be on one line'],
    [{ title: 42 }, 'Title must be text'],
    [{ title: 'toolong' }, 'Title must be at most 5 characters (it is 7)'],
  ])('refuses %j with a message', (body, message) => {
    const result = parseForm(Form, body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.title).toBe(message);
  });

  it('re-fills the form without NUL bytes', () => {
    const result = parseForm(Form, { title: 'a\0b' });
    expect(result.ok ? undefined : result.values).toEqual({ title: 'ab' });
  });
});
