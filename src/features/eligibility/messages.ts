import type { DeactivationReason } from '../admin/members.js';
import { EMAIL_CHANGE_PAGE } from '../auth/email-change.js';

/** Where the bounce banner's button asks for the member's address to be tried again. */
export const RETRY_ADDRESS_PATH = `${EMAIL_CHANGE_PAGE}/try-again`;

/** What continuous eligibility says to members; tests assert against these. */
export const ELIGIBILITY_MESSAGES = {
  pageTitle: 'Confirm your work email address',
  dueSoon: (date: string) => `We ask every member, now and then, to show that their work email address is still theirs. Yours is due by ${date}.`,
  overdue: (date: string) =>
    `We ask every member, now and then, to show that their work email address is still theirs, so that Commons stays a place for people working in government. Yours was due on ${date}, so until you confirm it you can only see this page.`,
  linkSent: (address: string) => `We have sent a link to ${address}. Open it within 24 hours to confirm your address.`,
  linkAlreadySent: 'That form has already been sent: we emailed you a link. Check your inbox.',
  reconfirmed: 'Thank you: your work email address is confirmed.',
  reconfirmedSignIn: 'Thank you: your work email address is confirmed. You can sign in now.',
  confirmTitle: 'Confirm your address',
  domainNoLongerAdmittedTitle: 'Your address can no longer be used on Commons',
  reminderSubject: (siteName: string) => `Please confirm your work email address for ${siteName}`,
  reconfirmSubject: (siteName: string) => `Confirm your work email address for ${siteName}`,
  bounceRetried: 'We will email your address again. If it is refused again, this message comes back.',
  bounceNoneToRetry: 'Your address is already being emailed as usual.',
  /** Told after the right password only, so nothing leaks to someone guessing. */
  deactivated: {
    administrator: 'Your account has been deactivated by an administrator. Your posts and resources are kept. If you think this is a mistake, write to us through the contact page.',
    rejected: 'A moderator did not approve your membership, so your account is not active; we emailed you their reason. If you think this is a mistake, write to us through the contact page.',
    bounced:
      'Your account has been deactivated because email to your address was refused as undeliverable (the mailbox may have been closed). Your posts and resources are kept. If you still work there, write to us through the contact page and an administrator can reactivate it.',
    domain_not_admitted:
      'Your account has been deactivated because addresses at your email domain can no longer join Commons: the domain is no longer on our list of government domains. Your posts and resources are kept. If you have moved to another agency, write to us through the contact page.',
    left_agency:
      'Your account has been deactivated because your agency’s coordinator recorded that you have left the agency. Your posts and resources are kept. If you have moved to another government agency, write to us through the contact page and an administrator can move your account to your new address.',
  } satisfies Record<DeactivationReason, string>,
} as const;

/** The banner every page shows while the member's address refuses email (views/layouts/main.hbs). */
export const EMAIL_BOUNCE_BANNER = {
  title: 'Email to your address is not getting through',
  explanation: 'The mail server for your address refused an email we sent you as undeliverable, so we have stopped sending you notification emails and daily digests.',
  when: 'Refused',
  reply: 'The server’s reply:',
  whatToDo: 'If your work address has changed, change it in your settings. If you think it works again (a full mailbox, a passing fault), ask us to try it again.',
  changeAddress: 'Change your address',
  changeLink: EMAIL_CHANGE_PAGE,
  retry: 'Try my address again',
  retryAction: RETRY_ADDRESS_PATH,
} as const;

/** The reason a deactivated member is told; one recorded before reasons were reads as an administrator's. */
export function deactivationMessage(reason: string | null): string {
  return reason !== null && reason in ELIGIBILITY_MESSAGES.deactivated ? ELIGIBILITY_MESSAGES.deactivated[reason as DeactivationReason] : ELIGIBILITY_MESSAGES.deactivated.administrator;
}
