import { AUTH_MESSAGES as M } from './messages.js';

/**
 * Work email addresses: the ASCII dot-atom subset of RFC 5322 within RFC 5321 lengths. Anything
 * else is refused rather than repaired, and nothing is IDNA-folded, so a look-alike (Cyrillic і,
 * full-width ＠) can never turn into an allowed name. Whether the domain may join is decided by
 * the domain rules (email-domain.ts), which also own the `xn--` policy.
 */

export type ParsedEmail = {
  ok: true;
  /** As typed, trimmed: mail goes here. */
  address: string;
  /** Lower-cased, `+tag` removed: one per member. */
  canonical: string;
  /** As typed. */
  localPart: string;
  /** Lower-cased. */
  domain: string;
};

export type EmailResult = ParsedEmail | { ok: false; reason: string };

export const MAX_ADDRESS_LENGTH = 254;
export const MAX_LOCAL_PART_LENGTH = 64;
export const MAX_LABEL_LENGTH = 63;
export const MAX_DOMAIN_LENGTH = 253;

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const LABEL = /^[a-z0-9-]+$/i;
const NON_ASCII = /[^\x00-\x7F]/;
const CONTROL = /\p{Cc}/u;

export function parseWorkEmail(input: unknown): EmailResult {
  if (typeof input !== 'string') return refuse(M.emailNotText);
  const controlProblem = findControlCharacter(input);
  if (controlProblem) return refuse(controlProblem);
  // Control characters were refused above, so trim() now strips only spaces (ASCII and Unicode).
  // A raw CR or LF at the end is refused rather than trimmed: it is a header-injection attempt, not a slip.
  const address = input.trim();
  const shapeProblem = findShapeProblem(address);
  if (shapeProblem) return refuse(shapeProblem);
  const at = address.indexOf('@');
  const localPart = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  const partProblem = localPartProblem(localPart) ?? domainProblem(domain);
  if (partProblem) return refuse(partProblem);
  return { ok: true, address, canonical: canonicalAddress(localPart, domain), localPart, domain };
}

/** Why a lower- or mixed-case ASCII domain is not a valid host name, or undefined if it is. */
export function domainProblem(domain: string): string | undefined {
  if (domain === '') return M.domainEmpty;
  if (domain.startsWith('[') || domain.endsWith(']')) return M.domainIpLiteral;
  if (domain.length > MAX_DOMAIN_LENGTH) return M.domainTooLong;
  if (domain.endsWith('.')) return M.domainTrailingDot;
  const labels = domain.split('.');
  for (const label of labels) {
    const problem = labelProblem(label);
    if (problem) return problem;
  }
  if (labels.length < 2) return M.domainSingleLabel;
  // A numeric last label would let an IPv4 address (10.0.0.1) pass as a name.
  if (!/^[a-z]+$/i.test(labels[labels.length - 1] ?? '')) return M.domainNumericEnd;
  return undefined;
}

/** The domain of an address already parsed (a canonical one, as stored). */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

function canonicalAddress(localPart: string, domain: string): string {
  const untagged = localPart.split('+', 1)[0] ?? localPart;
  return `${untagged.toLowerCase()}@${domain}`;
}

function findControlCharacter(input: string): string | undefined {
  if (input.includes('\0')) return M.emailHasNul;
  if (/[\r\n]/.test(input)) return M.emailHasLineBreak;
  if (CONTROL.test(input)) return M.emailHasControl;
  return undefined;
}

// Checks that apply to the whole address, in the order that gives the most specific reason.
function findShapeProblem(address: string): string | undefined {
  if (address === '') return M.emailRequired;
  if (address.length > MAX_ADDRESS_LENGTH) return M.emailTooLong;
  if (NON_ASCII.test(address)) return M.emailNotAscii;
  if (address.includes(' ')) return M.emailHasSpace;
  if (address.includes('"')) return M.emailQuoted;
  if (/[()]/.test(address)) return M.emailComment;
  const ats = address.split('@').length - 1;
  if (ats === 0) return M.emailMissingAt;
  if (ats > 1) return M.emailMultipleAt;
  return undefined;
}

function localPartProblem(localPart: string): string | undefined {
  if (localPart === '') return M.localEmpty;
  if (localPart.length > MAX_LOCAL_PART_LENGTH) return M.localTooLong;
  if (localPart.startsWith('.') || localPart.endsWith('.') || localPart.includes('..')) return M.localDots;
  if (!LOCAL_PART.test(localPart)) return M.localCharacter;
  // Everything from the first + is a tag, so a leading + would leave an empty canonical name.
  if (localPart.startsWith('+')) return M.localPlusFirst;
  return undefined;
}

function labelProblem(label: string): string | undefined {
  if (label === '') return M.domainEmptyLabel;
  if (label.length > MAX_LABEL_LENGTH) return M.domainLabelTooLong;
  if (!LABEL.test(label)) return M.domainCharacter;
  if (label.startsWith('-') || label.endsWith('-')) return M.domainHyphen;
  return undefined;
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
