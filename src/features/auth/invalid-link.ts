import { HttpError } from '../../lib/errors.js';
import { EMAIL_CHANGE_PAGE } from './email-change.js';
import { AUTH_MESSAGES } from './messages.js';
import type { TokenPurpose } from './tokens.js';

const NEXT_STEPS: Record<TokenPurpose, Array<{ href: string; text: string }>> = {
  verify: [
    { href: '/signup', text: 'Start joining again' },
    { href: '/login', text: 'Sign in, if you have already joined' },
  ],
  reset: [
    { href: '/password/forgot', text: 'Ask for a new password reset link' },
    { href: '/login', text: 'Sign in' },
  ],
  unlock: [
    { href: '/login', text: 'Sign in' },
    { href: '/password/forgot', text: 'Reset your password' },
  ],
  'email-change': [
    { href: EMAIL_CHANGE_PAGE, text: 'Ask again to change your email address' },
    { href: '/login', text: 'Sign in' },
  ],
  reconfirm: [{ href: '/reconfirm', text: 'Sign in and ask for a new link' }],
};

/**
 * The one answer to a link that does not work, whatever is wrong with it (used, expired, forged,
 * truncated, re-cased): saying which would tell a guesser something.
 */
export function invalidLink(purpose: TokenPurpose): HttpError {
  return new HttpError(400, AUTH_MESSAGES.invalidLink[purpose], {}, { title: AUTH_MESSAGES.invalidLinkTitle, links: NEXT_STEPS[purpose] });
}
