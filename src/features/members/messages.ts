/** What profiles and the member directory say to people; tests assert against these. */
export const MEMBER_MESSAGES = {
  badAgency: 'Choose an agency from the list',
  noMembersMatch: 'No members match your search.',
  noPosts: 'No posts to show.',
  olderPostsNotListed: (shown: number) => `Only the most recent ${shown.toLocaleString('en-AU')} posts are listed here.`,
  memberCount: (count: number, filtered: boolean) => `${count.toLocaleString('en-AU')} ${count === 1 ? 'member' : 'members'}${filtered ? ' match your search' : ''}`,
} as const;
