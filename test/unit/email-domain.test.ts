import { describe, expect, it } from 'vitest';
import { parseWorkEmail } from '../../src/features/auth/email-address.js';
import { decideDomain, normaliseRuleDomain, parseRuleEntry, type DomainRule } from '../../src/features/auth/email-domain.js';
import { AUTH_MESSAGES as M } from '../../src/features/auth/messages.js';

const allow = (domain: string, agencyId: number | null = null, admitsOwnDomain = true): DomainRule => ({ domain, effect: 'allow', agencyId, admitsOwnDomain });
const block = (domain: string): DomainRule => ({ domain, effect: 'block', agencyId: null, admitsOwnDomain: false });
// As ALLOWED_EMAIL_DOMAINS seeds it: a namespace, admitting addresses under gov.au, not at it.
const GOV_AU = allow('gov.au', null, false);

const DEFAULT_RULES = [GOV_AU];
const NSW_RULES = [GOV_AU, block('nsw.gov.au'), allow('health.nsw.gov.au', 7)];

/** The whole check a sign-up makes: parse the address, then ask the rules. */
function admit(input: unknown, rules: readonly DomainRule[] = DEFAULT_RULES) {
  const parsed = parseWorkEmail(input);
  if (!parsed.ok) return { reason: parsed.reason };
  const decision = decideDomain(parsed.domain, rules);
  return decision.allowed ? { canonical: parsed.canonical, address: parsed.address } : { reason: decision.reason };
}

describe('decideDomain', () => {
  it.each(['finance.gov.au', 'a.b.finance.gov.au'])('lets gov.au cover %s', (domain) => {
    expect(decideDomain(domain, DEFAULT_RULES)).toEqual({ allowed: true, rule: GOV_AU });
  });

  it('refuses the bare gov.au: a rule admits addresses under its domain, not at it, unless it says so', () => {
    expect(decideDomain('gov.au', DEFAULT_RULES)).toEqual({ allowed: false, reason: M.domainNotAllowed });
    expect(decideDomain('gov.au', [allow('gov.au')])).toEqual({ allowed: true, rule: allow('gov.au') });
    expect(decideDomain('finance.gov.au', [allow('finance.gov.au', 3)])).toEqual({ allowed: true, rule: allow('finance.gov.au', 3) });
    expect(decideDomain('finance.gov.au', [GOV_AU, allow('finance.gov.au', null, false)])).toEqual({ allowed: true, rule: GOV_AU });
  });

  it('lets a block cover its own domain whatever it says', () => {
    expect(decideDomain('nsw.gov.au', NSW_RULES)).toEqual({ allowed: false, reason: M.domainBlocked, rule: block('nsw.gov.au') });
  });

  it.each(['evilgov.au', 'xgov.au', 'gov.au.evil.com', 'finance.gov.au.evil.com', 'gov.au.example', 'gmail.com', 'au'])(
    'refuses %s, which no rule covers on a label boundary',
    (domain) => {
      expect(decideDomain(domain, DEFAULT_RULES)).toEqual({ allowed: false, reason: M.domainNotAllowed });
    },
  );

  it('refuses every domain when there are no rules', () => {
    expect(decideDomain('finance.gov.au', [])).toEqual({ allowed: false, reason: M.domainNotAllowed });
  });

  it('compares domains without regard to case', () => {
    expect(decideDomain('Finance.GOV.au', [allow('GOV.AU')]).allowed).toBe(true);
  });

  it('returns the deciding rule, so the caller can use its agency', () => {
    expect(decideDomain('finance.gov.au', [allow('gov.au'), allow('finance.gov.au', 3)])).toEqual({
      allowed: true,
      rule: allow('finance.gov.au', 3),
    });
  });

  describe('precedence', () => {
    it.each(['health.nsw.gov.au', 'a.health.nsw.gov.au'])('admits %s under allow health.nsw.gov.au despite block nsw.gov.au', (domain) => {
      expect(decideDomain(domain, NSW_RULES)).toEqual({ allowed: true, rule: allow('health.nsw.gov.au', 7) });
    });

    it.each(['nsw.gov.au', 'education.nsw.gov.au'])('refuses %s under block nsw.gov.au', (domain) => {
      expect(decideDomain(domain, NSW_RULES)).toEqual({ allowed: false, reason: M.domainBlocked, rule: block('nsw.gov.au') });
    });

    it('still admits other domains under gov.au', () => {
      expect(decideDomain('finance.gov.au', NSW_RULES)).toMatchObject({ allowed: true, rule: GOV_AU });
    });

    it('decides the same whatever order the rules come in', () => {
      const reversed = [...NSW_RULES].reverse();
      for (const domain of ['health.nsw.gov.au', 'nsw.gov.au', 'education.nsw.gov.au', 'finance.gov.au']) {
        expect(decideDomain(domain, reversed)).toEqual(decideDomain(domain, NSW_RULES));
      }
    });

    it.each([
      ['the allow', [allow('finance.gov.au'), block('finance.gov.au')]],
      ['the block', [block('finance.gov.au'), allow('finance.gov.au')]],
    ])('blocks on a tie between an allow and a block of the same domain, with %s listed first', (_first, rules) => {
      expect(decideDomain('a.finance.gov.au', rules)).toMatchObject({ allowed: false, reason: M.domainBlocked, rule: block('finance.gov.au') });
    });
  });

  describe('xn-- domains', () => {
    const IDN = 'xn--fnance-abc.gov.au';

    it('refuses an xn-- domain that no rule names, even under an allowed domain', () => {
      expect(decideDomain(IDN, DEFAULT_RULES)).toEqual({ allowed: false, reason: M.domainPunycode });
    });

    it('refuses an xn-- label anywhere in the domain', () => {
      expect(decideDomain('finance.xn--gv-abc.au', DEFAULT_RULES)).toEqual({ allowed: false, reason: M.domainPunycode });
    });

    it('admits an xn-- domain that an allow rule names exactly', () => {
      expect(decideDomain(IDN, [...DEFAULT_RULES, allow(IDN, 5)])).toEqual({ allowed: true, rule: allow(IDN, 5) });
    });

    it.each([`a.${IDN}`, 'xn--fnance-xyz.gov.au'])('refuses %s, a subdomain or sibling of an allowed xn-- domain', (domain) => {
      expect(decideDomain(domain, [...DEFAULT_RULES, allow(IDN)])).toEqual({ allowed: false, reason: M.domainPunycode });
    });

    it('refuses an xn-- domain named by an allow rule that admits only addresses under it', () => {
      expect(decideDomain(IDN, [...DEFAULT_RULES, allow(IDN, null, false)])).toEqual({ allowed: false, reason: M.domainPunycode });
    });

    it('blocks an allowed xn-- domain that is also blocked', () => {
      expect(decideDomain(IDN, [allow(IDN), block(IDN)])).toMatchObject({ allowed: false, reason: M.domainBlocked });
    });

    it('lets an exact allow of an xn-- domain outrank a block of its parent', () => {
      expect(decideDomain(IDN, [allow(IDN), block('gov.au')]).allowed).toBe(true);
    });
  });
});

describe('parseRuleEntry', () => {
  it('reads *.DOMAIN as a rule for addresses under the domain only, and DOMAIN as one for addresses at it too', () => {
    expect(parseRuleEntry(' *.GOV.au ')).toEqual({ ok: true, domain: 'gov.au', admitsOwnDomain: false });
    expect(parseRuleEntry('Finance.gov.au')).toEqual({ ok: true, domain: 'finance.gov.au', admitsOwnDomain: true });
  });

  it.each(['*', '*.', '*.au', '**.gov.au', 'a.*.gov.au'])('refuses %j', (entry) => {
    expect(parseRuleEntry(entry).ok).toBe(false);
  });
});

describe('normaliseRuleDomain', () => {
  it('trims and lower-cases', () => {
    expect(normaliseRuleDomain(' Health.NSW.gov.au ')).toEqual({ ok: true, domain: 'health.nsw.gov.au' });
  });

  it('accepts an xn-- domain, which a rule must name exactly', () => {
    expect(normaliseRuleDomain('XN--fnance-abc.gov.au')).toEqual({ ok: true, domain: 'xn--fnance-abc.gov.au' });
  });

  it.each([
    ['an empty domain', '  ', M.domainEmpty],
    ['a single label', 'au', M.domainSingleLabel],
    ['a trailing dot', 'gov.au.', M.domainTrailingDot],
    ['an empty label', 'gov..au', M.domainEmptyLabel],
    ['a leading dot', '.gov.au', M.domainEmptyLabel],
    ['a wildcard', '*.gov.au', M.domainCharacter],
    ['an @', '@gov.au', M.domainCharacter],
    ['a Greek look-alike letter', 'g\u03BFv.au', M.domainNotAscii],
    ['a full-width dot', 'gov．au', M.domainNotAscii],
    ['an IP literal', '[10.0.0.1]', M.domainIpLiteral],
    ['an IPv4 address', '10.0.0.1', M.domainNumericEnd],
    ['a label of 64 characters', `${'a'.repeat(64)}.au`, M.domainLabelTooLong],
    ['a label starting with a hyphen', '-gov.au', M.domainHyphen],
    ['a domain over 253 characters', `${'a.'.repeat(127)}au`, M.domainTooLong],
  ])('refuses %s', (_name, input, reason) => {
    expect(normaliseRuleDomain(input)).toEqual({ ok: false, reason });
  });
});

describe('work email addresses under the default rule gov.au', () => {
  it.each([
    ['X.Y@FINANCE.GOV.AU', 'x.y@finance.gov.au'],
    ['x+commons@finance.gov.au', 'x@finance.gov.au'],
    ['x@finance.gov.au', 'x@finance.gov.au'],
    [' Jane.Doe@FINANCE.GOV.AU ', 'jane.doe@finance.gov.au'],
  ])('admits %j as %s, keeping the address as typed', (input, canonical) => {
    expect(admit(input)).toEqual({ canonical, address: input.trim() });
  });

  it.each([
    ['x@gmail.com', 'x@gmail.com', M.domainNotAllowed],
    ['x@evilgov.au', 'x@evilgov.au', M.domainNotAllowed],
    ['x@gov.au.evil.com', 'x@gov.au.evil.com', M.domainNotAllowed],
    ['jane@finance.gov.au.evil.com', 'jane@finance.gov.au.evil.com', M.domainNotAllowed],
    ['jane@gov.au.example', 'jane@gov.au.example', M.domainNotAllowed],
    ['jane@xgov.au', 'jane@xgov.au', M.domainNotAllowed],
    ['a trailing dot', 'x@finance.gov.au.', M.domainTrailingDot],
    ['an empty label', 'x@finance..gov.au', M.domainEmptyLabel],
    ['a Cyrillic і', 'x@f\u0456nance.gov.au', M.emailNotAscii],
    ['a Greek ο', 'jane@finance.g\u03BFv.au', M.emailNotAscii],
    ['a full-width domain', 'x@ｆｉｎａｎｃｅ.gov.au', M.emailNotAscii],
    ['a full-width ＠', 'jane＠finance.gov.au', M.emailNotAscii],
    ['an xn-- domain no rule names', 'jane@xn--fnance-xxx.gov.au', M.domainPunycode],
    ['a quoted local part', '"x"@finance.gov.au', M.emailQuoted],
    ['a comment', 'a(comment)@gov.au', M.emailComment],
    ['an IP literal', 'x@[10.0.0.1]', M.domainIpLiteral],
    ['a 300-character address', `${'x'.repeat(64)}@${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(49)}.au`, M.emailTooLong],
    ['a NUL byte', 'x@finance.gov.au\0', M.emailHasNul],
    ['CR/LF with a Bcc header', 'x@finance.gov.au\r\nBcc: y@evil.example', M.emailHasLineBreak],
    ['two @s', 'a@b@gov.au', M.emailMultipleAt],
    ['a label of 64 characters', `x@${'a'.repeat(64)}.gov.au`, M.domainLabelTooLong],
    ['a local part of 65 characters', `${'x'.repeat(65)}@finance.gov.au`, M.localTooLong],
  ])('refuses %s with a reason', (_name, input, reason) => {
    expect(admit(input)).toEqual({ reason });
  });

  it('admits only health.nsw.gov.au under block nsw.gov.au and allow health.nsw.gov.au', () => {
    expect(admit('x@health.nsw.gov.au', NSW_RULES)).toMatchObject({ canonical: 'x@health.nsw.gov.au' });
    expect(admit('x@a.health.nsw.gov.au', NSW_RULES)).toMatchObject({ canonical: 'x@a.health.nsw.gov.au' });
    expect(admit('x@nsw.gov.au', NSW_RULES)).toEqual({ reason: M.domainBlocked });
    expect(admit('x@education.nsw.gov.au', NSW_RULES)).toEqual({ reason: M.domainBlocked });
  });
});
