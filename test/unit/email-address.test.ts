import { describe, expect, it } from 'vitest';
import { parseWorkEmail } from '../../src/features/auth/email-address.js';
import { AUTH_MESSAGES as M } from '../../src/features/auth/messages.js';

// 63 + 1 + 63 + 1 + 58 + 3 = 189 characters of domain.
const LONG_DOMAIN = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(58)}.au`;
const ADDRESS_300 = `${'x'.repeat(64)}@${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(49)}.au`;

function reasonFor(input: unknown): string | undefined {
  const result = parseWorkEmail(input);
  return result.ok ? undefined : result.reason;
}

describe('parseWorkEmail', () => {
  it('keeps the address as typed and lower-cases the canonical address and the domain', () => {
    expect(parseWorkEmail('X.Y@FINANCE.GOV.AU')).toEqual({
      ok: true,
      address: 'X.Y@FINANCE.GOV.AU',
      canonical: 'x.y@finance.gov.au',
      localPart: 'X.Y',
      domain: 'finance.gov.au',
    });
  });

  it('removes a +tag from the canonical address but not from the address mail goes to', () => {
    expect(parseWorkEmail('x+commons@finance.gov.au')).toMatchObject({
      ok: true,
      address: 'x+commons@finance.gov.au',
      canonical: 'x@finance.gov.au',
    });
  });

  it('removes everything from the first + in the canonical address', () => {
    expect(parseWorkEmail('Jane+a+b@finance.gov.au')).toMatchObject({ canonical: 'jane@finance.gov.au' });
  });

  it.each([
    ['Jane.Doe@FINANCE.GOV.AU', 'jane.doe@finance.gov.au'],
    ['jane@Finance.Gov.Au', 'jane@finance.gov.au'],
  ])('accepts %s with the canonical address %s', (input, canonical) => {
    expect(parseWorkEmail(input)).toMatchObject({ ok: true, address: input, canonical });
  });

  it('trims ASCII and Unicode spaces at the ends', () => {
    expect(parseWorkEmail(' \u00A0jane@finance.gov.au\u3000\uFEFF ')).toMatchObject({ ok: true, address: 'jane@finance.gov.au' });
  });

  it('accepts every dot-atom symbol in the local part', () => {
    expect(parseWorkEmail("a!#$%&'*/=?^_`{|}~-.b@finance.gov.au")).toMatchObject({ ok: true });
  });

  it('accepts a local part of 64 characters, a label of 63 and an address of 254', () => {
    const address = `${'x'.repeat(64)}@${LONG_DOMAIN}`;
    expect(address).toHaveLength(254);
    expect(parseWorkEmail(address)).toMatchObject({ ok: true, address });
  });

  it('parses an xn-- label as an ordinary ASCII label, leaving its policy to the domain rules', () => {
    expect(parseWorkEmail('x@XN--fnance-abc.gov.au')).toMatchObject({ ok: true, domain: 'xn--fnance-abc.gov.au' });
  });

  it('refuses a 300-character address whose parts are each within their limits', () => {
    expect(ADDRESS_300).toHaveLength(300);
    expect(reasonFor(ADDRESS_300)).toBe(M.emailTooLong);
  });

  it.each([
    ['a value that is not text', 42, M.emailNotText],
    ['a missing value', undefined, M.emailNotText],
    ['an empty value', '', M.emailRequired],
    ['a value of spaces only', ' \u00A0 ', M.emailRequired],
    ['a NUL byte', 'x\0@finance.gov.au', M.emailHasNul],
    ['CR/LF with a Bcc header', 'x@finance.gov.au\r\nBcc: y@evil.example', M.emailHasLineBreak],
    ['a trailing line feed instead of trimming it', 'x@finance.gov.au\n', M.emailHasLineBreak],
    ['a tab', 'x\t@finance.gov.au', M.emailHasControl],
    ['a DEL character', 'x\x7F@finance.gov.au', M.emailHasControl],
    ['a C1 control character', 'x\u0085@finance.gov.au', M.emailHasControl],
    ['an address of 255 characters', `${'x'.repeat(65)}@${LONG_DOMAIN}`, M.emailTooLong],
    ['a Cyrillic look-alike letter (U+0456)', 'x@f\u0456nance.gov.au', M.emailNotAscii],
    ['a Greek look-alike letter (U+03BF)', 'jane@finance.g\u03BFv.au', M.emailNotAscii],
    ['a full-width domain', 'x@ｆｉｎａｎｃｅ.gov.au', M.emailNotAscii],
    ['a full-width at sign', 'x＠finance.gov.au', M.emailNotAscii],
    ['a full-width dot', 'x@finance．gov.au', M.emailNotAscii],
    ['an accented letter in the local part', 'josé@finance.gov.au', M.emailNotAscii],
    ['a zero-width space inside', 'x\u200B@finance.gov.au', M.emailNotAscii],
    ['a lone surrogate', 'x\uD800@finance.gov.au', M.emailNotAscii],
    ['a space inside', 'ja ne@finance.gov.au', M.emailHasSpace],
    ['a quoted local part', '"x"@finance.gov.au', M.emailQuoted],
    ['a quoted local part holding an @', '"a@b"@gov.au', M.emailQuoted],
    ['a comment', 'a(comment)@gov.au', M.emailComment],
    ['an address without an @', 'jane.finance.gov.au', M.emailMissingAt],
    ['two @s', 'a@b@gov.au', M.emailMultipleAt],
    ['an empty local part', '@finance.gov.au', M.localEmpty],
    ['a local part of 65 characters', `${'x'.repeat(65)}@finance.gov.au`, M.localTooLong],
    ['a leading dot in the local part', '.x@finance.gov.au', M.localDots],
    ['a trailing dot in the local part', 'x.@finance.gov.au', M.localDots],
    ['two dots in a row in the local part', 'x..y@finance.gov.au', M.localDots],
    ['a comma in the local part', 'x,y@finance.gov.au', M.localCharacter],
    ['a backslash in the local part', 'x\\y@finance.gov.au', M.localCharacter],
    ['a local part that is only a +tag', '+commons@finance.gov.au', M.localPlusFirst],
    ['an empty domain', 'x@', M.domainEmpty],
    ['an IP literal', 'x@[10.0.0.1]', M.domainIpLiteral],
    ['an IPv6 literal', 'x@[IPv6:::1]', M.domainIpLiteral],
    ['a trailing dot', 'x@finance.gov.au.', M.domainTrailingDot],
    ['an empty label', 'x@finance..gov.au', M.domainEmptyLabel],
    ['a leading dot in the domain', 'x@.finance.gov.au', M.domainEmptyLabel],
    ['a label of 64 characters', `x@${'a'.repeat(64)}.gov.au`, M.domainLabelTooLong],
    ['an underscore in the domain', 'x@fin_ance.gov.au', M.domainCharacter],
    ['a label starting with a hyphen', 'x@-finance.gov.au', M.domainHyphen],
    ['a label ending with a hyphen', 'x@finance-.gov.au', M.domainHyphen],
    ['a domain of one label', 'x@localhost', M.domainSingleLabel],
    ['an IPv4 address as the domain', 'x@10.0.0.1', M.domainNumericEnd],
  ])('refuses %s', (_name, input, reason) => {
    expect(reasonFor(input)).toBe(reason);
  });

  it('handles 1 MB values, in linear time', () => {
    expect(parseWorkEmail(`${' '.repeat(500_000)}x@finance.gov.au${' '.repeat(500_000)}`)).toMatchObject({ ok: true, address: 'x@finance.gov.au' });
    expect(reasonFor(`${'x '.repeat(250_000)}@finance.gov.au`)).toBe(M.emailTooLong);
    expect(reasonFor(`x@${'a.'.repeat(500_000)}au`)).toBe(M.emailTooLong);
    // Growth, not a time limit (a shared machine makes limits flaky): ten times the length may
    // take at most 30 times as long (linear work takes 10, quadratic 100), plus 10 ms of timer noise.
    const hostile = (length: number) => [`${' '.repeat(length)}x@finance.gov.au${' '.repeat(length)}`, `${'x '.repeat(length / 2)}@finance.gov.au`, `x@${'a.'.repeat(length)}au`];
    const cpuMs = (values: string[]) => {
      let fastest = Infinity;
      for (let run = 0; run < 3; run += 1) {
        const started = process.cpuUsage();
        for (const value of values) parseWorkEmail(value);
        const { user, system } = process.cpuUsage(started);
        fastest = Math.min(fastest, (user + system) / 1000);
      }
      return fastest;
    };
    const small = cpuMs(hostile(50_000));
    const large = cpuMs(hostile(500_000));
    expect(large, `1 MB took ${large.toFixed(1)} ms, 100 KB ${small.toFixed(1)} ms`).toBeLessThan(30 * small + 10);
  });
});
