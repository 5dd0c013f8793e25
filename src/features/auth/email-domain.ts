import { domainProblem } from './email-address.js';
import { AUTH_MESSAGES as M } from './messages.js';

/**
 * Domain rules decide which email domains may join. A rule covers every subdomain of its domain
 * on a label boundary, and the domain itself when it is a block or says it admits its own domain
 * (an agency's mail domain does; a namespace such as gov.au does not: `jane@gov.au` names no
 * agency). The most specific covering rule decides, and block wins a tie, so "block nsw.gov.au,
 * allow health.nsw.gov.au" admits only the latter. Domains are compared as lower-case ASCII; the
 * address parser has already refused anything else.
 */

export interface DomainRule {
  domain: string;
  effect: 'allow' | 'block';
  agencyId: number | null;
  /** Addresses at the rule's domain itself, not only under it (allow rules; a block always covers its own). */
  admitsOwnDomain: boolean;
}

export type DomainDecision = { allowed: true; rule: DomainRule } | { allowed: false; reason: string; rule?: DomainRule };

export type RuleDomainResult = { ok: true; domain: string } | { ok: false; reason: string };

export function decideDomain(domain: string, rules: readonly DomainRule[]): DomainDecision {
  const name = domain.toLowerCase();
  const covering = rules.filter((rule) => covers(rule, name));
  if (hasPunycodeLabel(name) && !namesExactly(covering, name)) return { allowed: false, reason: M.domainPunycode };
  const deciding = mostSpecific(covering);
  if (!deciding) return { allowed: false, reason: M.domainNotAllowed };
  if (deciding.effect === 'block') return { allowed: false, reason: M.domainBlocked, rule: deciding };
  return { allowed: true, rule: deciding };
}

/** An operator-entered rule domain: trimmed, lower-cased ASCII, at least two labels, no trailing dot. */
export function normaliseRuleDomain(input: string): RuleDomainResult {
  const trimmed = input.trim();
  // Checked before lower-casing: the Kelvin sign (U+212A) lower-cases to an ASCII k.
  if (/[^\x00-\x7F]/.test(trimmed)) return { ok: false, reason: M.domainNotAscii };
  const domain = trimmed.toLowerCase();
  const problem = domainProblem(domain);
  return problem ? { ok: false, reason: problem } : { ok: true, domain };
}

export type RuleEntry = { ok: true; domain: string; admitsOwnDomain: boolean } | { ok: false; reason: string };

/**
 * A rule as an operator writes it (ALLOWED_EMAIL_DOMAINS, `npm run admin -- rule-add`):
 * `finance.gov.au` admits addresses at the domain and under it; `*.gov.au` only under it.
 */
export function parseRuleEntry(input: string): RuleEntry {
  const trimmed = input.trim();
  const underOnly = trimmed.startsWith('*.');
  const rule = normaliseRuleDomain(underOnly ? trimmed.slice(2) : trimmed);
  return rule.ok ? { ok: true, domain: rule.domain, admitsOwnDomain: !underOnly } : rule;
}

function covers(rule: DomainRule, name: string): boolean {
  const ruleDomain = rule.domain.toLowerCase();
  if (name === ruleDomain) return rule.effect === 'block' || rule.admitsOwnDomain;
  return name.endsWith(`.${ruleDomain}`);
}

// An xn-- label may spell a look-alike of a real agency name once decoded, so such a domain needs
// an allow rule naming it exactly; a parent rule such as gov.au is not enough.
function hasPunycodeLabel(name: string): boolean {
  return name.split('.').some((label) => label.startsWith('xn--'));
}

function namesExactly(rules: readonly DomainRule[], name: string): boolean {
  return rules.some((rule) => rule.effect === 'allow' && rule.admitsOwnDomain && rule.domain.toLowerCase() === name);
}

function mostSpecific(rules: readonly DomainRule[]): DomainRule | undefined {
  let best: DomainRule | undefined;
  for (const rule of rules) {
    if (!best || outranks(rule, best)) best = rule;
  }
  return best;
}

function outranks(rule: DomainRule, other: DomainRule): boolean {
  const difference = labelCount(rule.domain) - labelCount(other.domain);
  return difference > 0 || (difference === 0 && rule.effect === 'block' && other.effect === 'allow');
}

function labelCount(domain: string): number {
  return domain.split('.').length;
}
