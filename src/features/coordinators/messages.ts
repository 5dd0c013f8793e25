/** What coordinators, and administrators appointing them, read. */
export const COORDINATOR_MESSAGES = {
  badId: 'That is not a member of your agency',
  badCount: 'The number of members is missing from the form; reload the page and try again',
  reasonRequired: 'Say why they are leaving (for example, "left the agency in March"): it is kept in the audit log',
  // Appointing and removing, on /admin and with `npm run admin`.
  agencyGone: 'That agency no longer exists (it may have been merged into another)',
  unknownMember: (canonical: string) => `No member has the address ${canonical}`,
  notInAgency: (name: string, agency: string) => `${name} is not a member of ${agency}: a coordinator looks after their own agency`,
  notActive: (name: string) => `${name} is not an active member (deactivated, suspended or awaiting approval), so cannot coordinate`,
  alreadyCoordinates: (name: string, agency: string) => `${name} already coordinates ${agency}`,
  coordinatesAnother: (name: string, agency: string) => `${name} already coordinates ${agency}; remove them there first`,
  notCoordinator: (agency: string) => `That member does not coordinate ${agency} (anymore)`,
  appointed: (name: string, agency: string) => `${name} now coordinates ${agency}.`,
  removed: (name: string, agency: string) => `${name} no longer coordinates ${agency}.`,
  // The coordinator's own pages.
  attested: (count: number) => `Thank you: you confirmed the list of ${count} member${count === 1 ? '' : 's'}.`,
  listChanged: (count: number) => `The list changed while the page was open: it now has ${count} member${count === 1 ? '' : 's'}. Look at it again before confirming.`,
  alreadyAttested: 'You have already confirmed this list today; nothing has changed since.',
  notYourAgency: 'That member is not in your agency',
  onlyPlainMembers: 'Coordinators can deactivate members of their agency, but not moderators, administrators or other coordinators: ask an administrator',
  awaitingApproval: 'That member is still waiting for approval, so there is nothing to deactivate: approve or reject their sign-up among the sign-ups waiting for approval instead.',
  leaverDeactivated: (name: string) => `${name} is deactivated: they can no longer sign in.`,
  memberAlreadyDecided: 'That sign-up was decided already (by you, a colleague or a moderator), or is not your agency’s.',
  memberApproved: (name: string) => `${name} is approved and can now take part.`,
  memberRejected: (name: string) => `${name}’s sign-up is rejected.`,
  memberCount: (count: number) => `${count} member${count === 1 ? '' : 's'}`,
} as const;
