import { z } from 'zod';
import { textField } from '../../lib/forms.js';
import { DISCUSSION_MESSAGES } from '../discussions/messages.js';
import { databaseId, THREAD_LIMITS } from '../discussions/schemas.js';
import { THREAD_ACTION_MESSAGES } from './thread-messages.js';

export const THREAD_ACTION_LIMITS = { reason: 1000, splitPosts: 500 } as const;

/** The thread's version the form was opened at: the optimistic check's half from the page. */
const version = z.string({ error: THREAD_ACTION_MESSAGES.badVersion }).regex(/^[1-9][0-9]{0,8}$/, THREAD_ACTION_MESSAGES.badVersion).transform(Number);

const base = { _csrf: z.string(), version };

/** Lock, unlock, unpin, restore, delete: the version and nothing else. */
export const ThreadActionForm = z.strictObject(base);

export const PinThreadForm = z.strictObject({ ...base, scope: z.enum(['category', 'site'], { error: THREAD_ACTION_MESSAGES.badScope }) });

// A slug as categories have them (anything else names none, and never reaches the database).
const categorySlug = z
  .string({ error: THREAD_ACTION_MESSAGES.chooseCategory })
  .min(1, THREAD_ACTION_MESSAGES.chooseCategory)
  .max(60, THREAD_ACTION_MESSAGES.noSuchCategory)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, THREAD_ACTION_MESSAGES.noSuchCategory);

export const MoveThreadForm = z.strictObject({ ...base, category: categorySlug });

const title = textField({ label: 'Title', max: THREAD_LIMITS.title, required: DISCUSSION_MESSAGES.titleRequired }).refine((value) => [...value].length >= THREAD_LIMITS.titleMin, DISCUSSION_MESSAGES.titleTooShort);

export const RenameThreadForm = z.strictObject({ ...base, title });

export const HideThreadForm = z.strictObject({ ...base, reason: textField({ label: 'Reason', max: THREAD_ACTION_LIMITS.reason, required: THREAD_ACTION_MESSAGES.reasonRequired, multiline: true }) });

export const MergeThreadForm = z.strictObject({
  ...base,
  into: z.preprocess((value) => (typeof value === 'string' ? value.trim() : value), z.string({ error: THREAD_ACTION_MESSAGES.chooseTarget }).min(1, THREAD_ACTION_MESSAGES.chooseTarget).pipe(databaseId.catch(-1))).refine((id) => id > 0, THREAD_ACTION_MESSAGES.noSuchTarget),
});

export const SplitThreadForm = z.strictObject({
  ...base,
  posts: z.preprocess(
    (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
    z.array(databaseId.catch(-1)).min(1, THREAD_ACTION_MESSAGES.choosePosts).max(THREAD_ACTION_LIMITS.splitPosts, THREAD_ACTION_MESSAGES.tooManyPosts).refine((ids) => ids.every((id) => id > 0), THREAD_ACTION_MESSAGES.postsNotInThread),
  ),
  category: categorySlug,
  title,
});
