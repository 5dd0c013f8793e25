/** What the error pages say: plain words, no internals. */
export const ERROR_PAGES: Record<number, { title: string; message: string }> = {
  400: { title: 'That request could not be read', message: 'Something in the address or the form could not be read. Go back, check what you entered and try again.' },
  403: { title: 'You cannot do that', message: 'You do not have permission to see this page or do this.' },
  404: { title: 'Page not found', message: 'There is no page at this address. It may have moved, or you may not have access to it.' },
  405: { title: 'That request could not be read', message: 'This page cannot be used that way.' },
  413: { title: 'That was too much to send', message: 'What you sent is larger than Commons accepts. Shorten it and try again.' },
  415: { title: 'That request could not be read', message: 'The form was sent in a format Commons does not accept.' },
  422: { title: 'Check what you entered', message: 'Some of what you entered could not be accepted.' },
  429: { title: 'Too many requests', message: 'You have made a lot of requests in a short time.' },
  500: { title: 'Something went wrong', message: 'Something went wrong on our side and what you asked for was not done. Try again in a moment.' },
  503: { title: 'Commons is busy', message: 'Commons is too busy to answer right now. Try again in a few seconds.' },
};

/** "in 40 seconds", "in 3 minutes", "in about 2 hours": how long to wait, as a person says it. */
export function waitInWords(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds < 60) return `in ${plural(Math.ceil(seconds), 'second')}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `in ${plural(minutes, 'minute')}`;
  return `in about ${plural(Math.max(1, Math.round(seconds / 3600)), 'hour')}`;
}

/** A member's role as the header shows it. */
export const ROLE_NAMES = { member: 'Member', moderator: 'Moderator', administrator: 'Administrator' } as const;

export const PAGE_MESSAGES = {
  formExpired: 'This form has expired or did not come from this site. Go back, reload the page and try again.',
  signInFirst: 'Sign in to Commons to do that.',
  awaitingApproval: 'Your membership is waiting for a moderator’s approval: until then you cannot do this.',
  reconfirmationDue: 'Confirm your work email address first: ask for a link on the page that explains why, and follow it.',
  administratorsOnly: 'Only administrators can see this page or do this.',
  moderatorsOnly: 'Only moderators and administrators can see this page or do this.',
  coordinatorsOnly: 'Only an agency’s coordinators can see this page or do this; administrators look after every agency at /admin.',
  tooManyFields: 'The form had far more fields than any form on this site. Reload the page and try again.',
  unexpectedFilter: 'The address has a filter this page does not have',
  unexpectedField: 'The form contained a field Commons does not expect. Reload the page and try again.',
  invalidEncoding: 'The address or form contained characters that are not valid text (invalid encoding).',
} as const;
