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
  postHeld: 'Thank you. What you posted waits for a moderator’s approval: until then only you and the moderators can see it.',
  noThreads: 'No threads here yet.',
  postingLimit: (wait: string) => `You have posted as much as Commons allows in an hour (less in a member’s first days). What you wrote is kept below: try again ${wait}.`,
  badHelpful: 'Say whether the post was helpful: yes or no.',
  helpfulOwnPost: 'You cannot mark your own post as helpful.',
  reactionsLimited: 'You have marked a lot of posts helpful in the last hour.',
  postGone: 'That post has been deleted or hidden, so it cannot be marked.',
  badAnswer: 'Say whether the post is the answer: yes or no.',
  answerNotYours: 'Only the member who started the thread, or a moderator, can choose its answer.',
  firstPostNotAnswer: 'The first post asks the question: choose a reply as the answer.',
  answerConflict: 'Someone else chose an answer for this thread at the same moment. Look at the thread again and choose once more if you need to.',
  backToPost: 'Back to the post',
  /** "3 found this helpful: A, B and C"; past the names shown, "…, J and 5 others". */
  helpfulBy(count: number, names: readonly string[]): string {
    if (names.length === 0) return `${count} found this helpful`;
    const others = count - names.length;
    const listed = others > 0 ? [...names, `${others} ${others === 1 ? 'other' : 'others'}`] : [...names];
    const last = listed.pop()!;
    return `${count} found this helpful: ${listed.length > 0 ? `${listed.join(', ')} and ` : ''}${last}`;
  },
  notYourPost: 'You can only edit or delete your own posts.',
  postWasDeleted: 'This post has been deleted: it can no longer be changed.',
  postIsHidden: 'A moderator has hidden this post: it cannot be changed while it is hidden.',
  badVersion: 'This form did not say which version of the post it changes. Check your text and save again.',
  editConflict: 'This post was changed after you opened this form (perhaps in another tab). The current text is shown below and yours is still in the form: compare them, then save again to replace the current text.',
  postEdited: 'Your changes have been saved.',
  nothingChanged: 'Nothing was changed.',
  postDeleted: 'Your post has been deleted.',
  threadDeleted: 'Your thread has been deleted.',
  noNotifications: 'No notifications yet. You hear here when someone replies to you or mentions you, and about new posts in what you watch.',
  notificationsRead: 'All your notifications are marked as read.',
  badThreadWatch: 'Choose to watch, stop watching or mute the thread',
  badCategoryWatch: 'Choose to watch or stop watching the category',
  threadWatched: 'You are now watching this thread.',
  threadMuted: 'You have muted this thread.',
  threadUnwatched: 'You have stopped watching this thread.',
  categoryWatched: 'You are now watching this category.',
  categoryUnwatched: 'You have stopped watching this category.',
  attachmentsHint: (maxFiles: number, maxSize: string) =>
    `Up to ${maxFiles} files of at most ${maxSize} each: a PDF, a Word, Excel or PowerPoint file, an OpenDocument file, a CSV or plain text file, or a PNG, JPEG, GIF or WebP image. Images show in your post; other files are listed for download. Describe each image for people who cannot see it.`,
  describeImage: (name: string) => `Describe the image “${name}” for people who cannot see it`,
  descriptionWithoutFile: (place: number) => `Choose the image for file ${place}, or clear its description`,
  oneFilePerPlace: 'Choose one file in each place',
  chooseFilesAgain: 'Your files were not attached: choose them again before you post.',
} as const;
