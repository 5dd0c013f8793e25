/**
 * What administration says on the /admin pages, and what `npm run admin` prints when a service
 * refuses (the command's own wording and hints are in src/cli/admin.ts); tests assert against
 * these. Each is one line, because a command prints a refusal as its whole answer.
 */
export const ADMIN_MESSAGES = {
  alreadyHasRole: (canonical: string, role: string) => `${canonical} is already ${withArticle(role)}; nothing changed`,
  alreadyDeactivated: (canonical: string) => `${canonical} is already deactivated; nothing changed`,
  notDeactivated: (canonical: string) => `${canonical} is not deactivated; nothing changed`,
  memberGone: 'That member no longer exists',
  deactivatedInBrowser: (name: string) => `${name} is deactivated: they cannot sign in, and their sessions have ended.`,
  reactivatedInBrowser: (name: string) => `${name} is reactivated and can sign in again.`,
  ruleDomainRequired: 'Enter a domain, such as agency.gov.au',
  ruleEffectMissing: 'Choose whether the rule allows or blocks the domain',
  ownDomainMissing: 'Choose whether addresses at the domain itself may join',
  unknownAgencyChoice: 'Choose an agency from the list, or “None”',
  duplicateRule: (domain: string, effect: string) => `There is already ${withArticle(effect)} rule for ${domain}`,
  ruleGone: 'That domain rule no longer exists',
  nothingToChange: 'Nothing to change: give an agency, a note or who may join',
  noteTooLong: (max: number) => `A note can be at most ${max} characters`,
  noteControls: 'A note must be on one line, with no control characters',
  agencyGone: (id: number) => `There is no agency with id ${id}`,
  alreadyBlocks: (domain: string) => `The rule for ${domain} already blocks it; nothing changed`,
  blockExists: (domain: string) => `There is already a block rule for ${domain}: remove this allow rule instead`,
  ruleAdded: (effect: string, domain: string) => `Added the rule: ${effect} ${domain}.`,
  ruleSaved: (domain: string) => `Saved the rule for ${domain}.`,
  ruleUnchanged: (domain: string) => `Nothing changed: the rule for ${domain} already said that.`,
  ruleRemoved: (effect: string, domain: string) => `Removed the rule: ${effect} ${domain}.`,
  ruleBlocked: (domain: string) => `${domain} is now blocked: nobody can join from it.`,
  noAllowRulesLeft: 'No allow rules are left, so nobody can join until one is added.',
  membersToReview: (count: number) => `${count === 1 ? '1 active member has' : `${count} active members have`} an address the rules no longer admit: review them below.`,
  deactivateListed: (count: number) => (count === 1 ? 'Deactivate this member' : `Deactivate these ${count} members`),
  moreToReview: (count: number) => `${count} more will be listed once these are dealt with.`,
  noMembersChosen: 'There are no members in this form; reload the page and try again',
  tooManyMembers: (max: number) => `At most ${max} members can be deactivated at once`,
  membersDeactivated: (count: number) => (count === 1 ? 'Deactivated 1 member: they cannot sign in, and their sessions have ended.' : `Deactivated ${count} members: they cannot sign in, and their sessions have ended.`),
  noMembersDeactivated: 'Nothing changed: the members listed are deactivated already, or the rules admit them again.',
  agencyNameRequired: 'Enter the agency’s name',
  agencyNameControls: 'An agency name cannot contain line breaks or invisible control characters',
  agencyNameTaken: (name: string) => `An agency named “${name}” already exists; to combine two agencies, merge one into the other`,
  // The form's lists and the command's --jurisdiction and --type take the same values.
  jurisdictionMissing: 'Choose a jurisdiction, or “Not set”',
  unknownJurisdiction: 'The jurisdiction must be Commonwealth, State, Territory or Local, or not set',
  agencyTypeMissing: 'Choose an agency type, or “Not set”',
  unknownAgencyType: 'The agency type must be Department, Regulator, Service delivery, Council, Statutory body or Other, or not set',
  memberCount: (count: number) => (count === 1 ? '1 member' : `${count.toLocaleString('en-AU')} members`),
  agencySaved: (name: string) => `Saved the jurisdiction and type of ${name}.`,
  agencyUnchanged: (name: string) => `Nothing changed: ${name} already had that jurisdiction and type.`,
  agencyAdded: (name: string) => `Added the agency ${name}.`,
  agencyRenamed: (from: string, to: string) => `Renamed ${from} to ${to}.`,
  agencyMerged: (from: string, into: string, members: number, rules: number) =>
    `Merged ${from} into ${into}: ${members === 1 ? '1 member' : `${members} members`} and ${rules === 1 ? '1 domain rule' : `${rules} domain rules`} moved.`,
  mergeIntoItself: 'An agency cannot be merged into itself',
  mergeTargetMissing: 'Choose the agency to merge this one into',
  unmappedDomain: (domain: string) =>
    `Members who join from ${domain} later still get a provisional agency of their own: to send them here, give the domain rule for ${domain} this agency.`,
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

function withArticle(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}
