/** What discussions say to people; tests assert against these. */
export const DISCUSSION_MESSAGES = {
  titleRequired: 'Enter a title',
  titleTooShort: 'Title must be at least 5 characters',
  bodyRequired: 'Enter your message',
  replyRequired: 'Enter your reply',
  badView: 'The view must be flat or threaded',
  badPostId: 'That does not name a post',
  badPage: 'The page number must be a whole number from 1',
  threadLocked: 'This thread is locked: it no longer takes replies.',
  cannotStartThread: 'Only moderators can start threads in this category.',
  replyToRefused: 'You can only reply to a post in this thread that has not been deleted.',
  threadStarted: 'Your thread has been started.',
  replyPosted: 'Your reply has been posted.',
  noThreads: 'No threads here yet.',
  postingLimit: (wait: string) => `You have posted as much as Commons allows in an hour (less in a member’s first day). What you wrote is kept below: try again ${wait}.`,
} as const;
