/** What the approvals page and its emails say; tests assert against these. */
export const APPROVAL_MESSAGES = {
  reasonRequired: 'Enter the reason, which the member will read',
  memberApproved: (name: string) => `${name} is approved and has been emailed.`,
  memberRejected: (name: string) => `${name} is rejected: their account is deactivated and they have been emailed the reason.`,
  memberAlreadyDecided: 'That member is no longer waiting for approval: another moderator may have decided already. The list below is up to date.',
  postApproved: 'The post is approved and now shown to members.',
  postRejected: 'The post is rejected and deleted; its author can see the reason.',
  postNotHeld: 'That post is not waiting for approval: another moderator may have decided already. The list below is up to date.',
  approvedSubject: (siteName: string) => `Your ${siteName} membership is approved`,
  rejectedSubject: (siteName: string) => `Your request to join ${siteName}`,
  heldMarker: 'Waiting for a moderator: only you and the moderators can see this post until it is approved.',
  heldRejected: (reason: string) => `A moderator did not approve this post: ${reason}`,
} as const;
