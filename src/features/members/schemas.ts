import { z } from 'zod';
import { textField } from '../../lib/forms.js';
import { HANDLE } from '../auth/schemas.js';
import { PageQuery } from '../discussions/schemas.js';
import { MEMBER_MESSAGES } from './messages.js';

export const MEMBERS_PER_PAGE = 30;
export const PROFILE_POSTS_PER_PAGE = 20;
// A profile shows recent posts, not a whole history (search is for that): counting stops at
// 1,000, so neither the count nor the OFFSET of the last page grows with how much a member
// has written (a 5,000-post author's profile costs what a 1,000-post author's does).
export const PROFILE_POST_PAGES = 50;
export const MEMBER_SEARCH_MAX = 100;

/** `/u/:handle`: anything but a handle's shape names no one (a 404, like an unknown handle). */
export const ProfileParams = z.object({ handle: z.string().regex(HANDLE) });

// The directory's form sends `agency=` for "All agencies" and `q=` for an empty search box.
const emptyIsAbsent = (value: unknown) => (value === '' ? undefined : value);

export const MemberListQuery = PageQuery.extend({
  q: textField({ label: 'Search', max: MEMBER_SEARCH_MAX, optional: true }),
  // Fifteen digits stay below 2^53, so an id never reaches PostgreSQL rounded.
  agency: z.preprocess(emptyIsAbsent, z.string({ error: MEMBER_MESSAGES.badAgency }).regex(/^[1-9][0-9]{0,14}$/, MEMBER_MESSAGES.badAgency).transform(Number).optional()),
});
export type MemberListQuery = z.infer<typeof MemberListQuery>;
