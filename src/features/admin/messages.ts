/**
 * What administration says, in `npm run admin` and on the /admin pages; tests assert against
 * these. Each is one line, because a command prints it as its whole answer.
 */
export const ADMIN_MESSAGES = {
  invalidEmail: (input: string, reason: string) => `"${input}" is not a valid work email address: ${reason}`,
  unknownMember: (canonical: string) => `No member has the address ${canonical}`,
  alreadyHasRole: (canonical: string, role: string) => `${canonical} is already ${withArticle(role)}; nothing changed`,
  alreadyDeactivated: (canonical: string) => `${canonical} is already deactivated; nothing changed`,
  notDeactivated: (canonical: string) => `${canonical} is not deactivated; nothing changed`,
  deactivatedInBrowser: (name: string) => `${name} is deactivated: they cannot sign in, and their sessions have ended.`,
  reactivatedInBrowser: (name: string) => `${name} is reactivated and can sign in again.`,
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
  // The form's lists and the command's --jurisdiction and --type take the same values.
  jurisdictionMissing: 'Choose a jurisdiction, or “Not set”',
  unknownJurisdiction: 'The jurisdiction must be Commonwealth, State, Territory or Local, or not set',
  agencyTypeMissing: 'Choose an agency type, or “Not set”',
  unknownAgencyType: 'The agency type must be Department, Regulator, Service delivery, Council, Statutory body or Other, or not set',
  memberCount: (count: number) => (count === 1 ? '1 member' : `${count.toLocaleString('en-AU')} members`),
  agencySaved: (name: string) => `Saved the jurisdiction and type of ${name}.`,
  agencyUnchanged: (name: string) => `Nothing changed: ${name} already had that jurisdiction and type.`,
  mergeIntoItself: 'An agency cannot be merged into itself',
  unmappedDomain: (domain: string, command: 'rule-add' | 'rule-change', agencyId: number) =>
    `Members who join from ${domain} later still get a provisional agency of their own; to send them here, run: npm run admin -- ${command} ${domain} allow --agency ${agencyId}`,
  initiativeTypeNameRequired: 'Enter a name for the initiative type',
  initiativeTypeNameControls: 'The name cannot contain tabs or invisible control characters',
  initiativeTypeNameTaken: (name: string) => `There is already an initiative type named “${name}”; choose another name`,
  initiativeTypeAdded: (name: string) => `Added the initiative type “${name}”.`,
  initiativeTypeRenamed: (from: string, to: string) => `Renamed “${from}” to “${to}”.`,
  initiativeTypeUnchanged: (name: string) => `Nothing changed: the initiative type is already named “${name}”.`,
  initiativeTypeMoved: (name: string, position: number) => `Moved “${name}” to position ${position}.`,
  badPosition: 'That place is not in the list any more. Check the list below and try again.',
  initiativeTypeRemoved: (name: string) => `Removed the initiative type “${name}”.`,
  initiativeTypeAlreadyRemoved: 'That initiative type has already been removed.',
  initiativeTypeInUse: (name: string, resources: number) => `“${name}” cannot be removed while ${resources === 1 ? '1 resource uses' : `${resources} resources use`} it; rename it instead.`,
} as const;

/** An action the command refuses, with the one-line reason it prints. */
export class Refused extends Error {}

function withArticle(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}
