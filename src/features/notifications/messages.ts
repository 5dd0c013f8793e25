import type { Delivery, PreferenceKind } from './preferences.js';

/** What each kind is called on the settings page, on the unsubscribe page and in an email's footer. */
export const KIND_LABELS: Record<PreferenceKind, string> = {
  reply: 'Replies to your posts',
  mention: 'Mentions of you',
  watched_reply: 'New replies in threads you watch',
  watched_thread: 'New threads in categories you watch',
  answer: 'Your reply marked as the answer',
  moderation: 'Moderation notices (about your posts, and what you flagged)',
};

/** Why the member got an email of this kind: said in the email, next to the way to stop it. */
export const KIND_REASONS: Record<PreferenceKind, string> = {
  reply: 'someone replied to your post',
  mention: 'someone mentioned you',
  watched_reply: 'someone replied in a thread you watch',
  watched_thread: 'someone started a thread in a category you watch',
  answer: 'your reply was marked as the answer',
  moderation: 'a moderator acted on your post or on something you flagged',
};

/** What a digest-wide unsubscribe link stops: every kind set to "In the daily digest". */
export const DIGEST_LABEL = 'The daily digest (everything you chose to get “In the daily digest”)';

/** The digest's sections beyond the kinds of notification (which are headed by KIND_LABELS). */
export const DIGEST_HEADINGS = {
  busyThreads: 'Busy threads in categories you watch',
  newResources: 'New in the library',
};

export const DELIVERY_LABELS: Record<Delivery, string> = {
  immediately: 'Email me straight away',
  digest: 'In the daily digest',
  never: 'Never email me',
};

export const NOTIFICATION_MESSAGES = {
  saved: 'Your email choices are saved.',
  chooseDelivery: 'Choose how you want to hear about this',
  chooseHour: 'Choose an hour from the list',
  digestSubject: (siteName: string, day: string) => `Your ${siteName} digest for ${day}`,
  unsubscribed: (labels: string[]) => `Done: we will not email you about ${labels.map((label) => `“${label}”`).join(' or ')} any more. You can change this in your settings at any time.`,
  unsubscribeRefused: 'This unsubscribe link is not valid. Nothing has changed. Check that you copied the whole link from the email, or choose what we email you about in your settings.',
  unsubscribeUsed: 'This unsubscribe link has already been used, or your choice for this kind of email has changed since it was sent. Nothing has changed. You can choose what we email you about in your settings.',
  // The guidelines' protective wording ("Protect information that is not public"), for the footer of every notification email.
  protectiveWording: (siteName: string) => `${siteName} is a closed community for public servants. Do not forward this email outside government. Only share it with colleagues you could show the post to on ${siteName}.`,
};
