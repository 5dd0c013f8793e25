/**
 * What the administration commands say when they refuse; tests assert against these. Each is one
 * line, because the command prints it as its whole answer.
 */
export const ADMIN_MESSAGES = {
  invalidEmail: (input: string, reason: string) => `"${input}" is not a valid work email address: ${reason}`,
  unknownMember: (canonical: string) => `No member has the address ${canonical}`,
  alreadyHasRole: (canonical: string, role: string) => `${canonical} is already ${withArticle(role)}; nothing changed`,
  alreadyDeactivated: (canonical: string) => `${canonical} is already deactivated; nothing changed`,
  notDeactivated: (canonical: string) => `${canonical} is not deactivated; nothing changed`,
  invalidDomain: (input: string, reason: string) => `"${input}" is not a valid rule domain: ${reason}`,
  duplicateRule: (domain: string, effect: string) => `There is already ${withArticle(effect)} rule for ${domain}; change it with rule-change`,
  unknownRule: (domain: string, effect: string) => `There is no ${effect} rule for ${domain}; list the rules with: npm run admin -- rules`,
  nothingToChange: 'Nothing to change: give --agency, --note or both',
  noteTooLong: (max: number) => `A note can be at most ${max} characters`,
  noteControls: 'A note must be on one line, with no control characters',
  unknownAgency: (reference: string) => `No agency has the id or name "${reference}"; list them with: npm run admin -- agencies`,
  agencyNameRequired: 'An agency needs a name',
  agencyNameTooLong: (max: number) => `An agency name can be at most ${max} characters`,
  agencyNameControls: 'An agency name cannot contain line breaks or invisible control characters',
  agencyNameTaken: (name: string, id: number) => `An agency named "${name}" already exists (id ${id}); to combine two agencies, use agency-merge`,
  unknownJurisdiction: (value: string) => `"${value}" is not a jurisdiction: use commonwealth, state, territory or local`,
  mergeIntoItself: 'An agency cannot be merged into itself',
  unmappedDomain: (domain: string, command: 'rule-add' | 'rule-change', agencyId: number) =>
    `Members who join from ${domain} later still get a provisional agency of their own; to send them here, run: npm run admin -- ${command} ${domain} allow --agency ${agencyId}`,
} as const;

/** An action the command refuses, with the one-line reason it prints. */
export class Refused extends Error {}

function withArticle(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}
