import { z } from 'zod';
import { blankAsMissing as optional, databaseIdField, textField } from '../../lib/forms.js';
import { isCalendarDay } from '../../lib/time.js';
import { DISCUSSION_MESSAGES } from '../discussions/messages.js';
import { databaseId, THREAD_LIMITS } from '../discussions/schemas.js';
import { APPROVAL_MESSAGES, MODERATION_MESSAGES as M, THREAD_ACTION_MESSAGES } from './messages.js';

/** As the migrations allow: every moderation reason and flag note, the log's page, a split's replies. */
export const MODERATION_LIMITS = { reason: 1000, note: 1000, logPageSize: 50, splitPosts: 500 } as const;

export const QUEUE_ITEMS_PER_PAGE = 20;
/** The posts shown before a flagged post, for its context in the queue. */
export const CONTEXT_POSTS = 2;

export const FLAG_REASONS = {
  off_topic: 'Off-topic',
  disrespectful: 'Disrespectful or harassing',
  conduct: 'Breaches the code of conduct or discloses information that is not public',
  spam: 'Spam',
  other: 'Something else',
} as const;
export type FlagReason = keyof typeof FLAG_REASONS;

export const FlagForm = z
  .strictObject({
    _csrf: z.string(),
    reason: z.enum(Object.keys(FLAG_REASONS) as [FlagReason, ...FlagReason[]], { error: M.chooseReason }),
    note: textField({ label: 'Note', max: MODERATION_LIMITS.note, optional: true, multiline: true }),
  })
  // "Something else" says nothing by itself: the note is what the moderator reads.
  .refine((form) => form.reason !== 'other' || form.note.length > 0, { path: ['note'], message: M.noteRequired });
export type FlagForm = z.infer<typeof FlagForm>;

export const HideForm = z.strictObject({
  _csrf: z.string(),
  reason: textField({ label: 'Reason', max: MODERATION_LIMITS.reason, required: M.reasonRequired, multiline: true }),
});
export type HideForm = z.infer<typeof HideForm>;

export const DeleteForm = z.strictObject({
  _csrf: z.string(),
  reason: textField({ label: 'Reason', max: MODERATION_LIMITS.reason, optional: true, multiline: true }),
});
export type DeleteForm = z.infer<typeof DeleteForm>;

export const ItemParams = z.object({ id: databaseId });

export const QueueQuery = z.strictObject({
  page: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, M.badPage)
    .transform(Number)
    .optional(),
});

export const MemberParams = z.object({ id: databaseIdField(M.badMemberId) });
export type MemberParams = z.infer<typeof MemberParams>;

export const WarningParams = z.object({ id: databaseIdField(M.badContentId) });

/** What a warning is about, as the queue links to it: ?post=ID or ?resource=ID, not both. */
export const WarnAbout = z
  .strictObject({ post: databaseIdField(M.badContentId).optional(), resource: databaseIdField(M.badContentId).optional() })
  .refine((about) => about.post === undefined || about.resource === undefined, M.oneContentOnly);
export type WarnAbout = z.infer<typeof WarnAbout>;

const reason = textField({ label: 'Reason', max: MODERATION_LIMITS.reason, required: M.memberReasonRequired, multiline: true });

export const WarnForm = z.strictObject({
  _csrf: z.string(),
  reason,
  post: z.string().optional(),
  resource: z.string().optional(),
});

export const SuspendForm = z.strictObject({
  _csrf: z.string(),
  until: textField({ label: 'End date', max: 10, required: M.endDateRequired }).refine(isCalendarDay, M.endDateNotADate),
  reason,
});
export type SuspendForm = z.infer<typeof SuspendForm>;


// The last row shown: its time to the microsecond, as PostgreSQL wrote it, and its id.
const CURSOR = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z_([1-9]\d{0,15})$/;

// The log began long after 2000; a bound keeps a filter's day after (for `to`) a four-digit year.
const LOG_YEARS = { first: '2000-01-01', last: '9998-12-31' };
const logDay = () =>
  z
    .string({ error: M.badDate })
    .refine(isCalendarDay, M.badDate)
    .refine((day) => day >= LOG_YEARS.first && day <= LOG_YEARS.last, M.dateOutOfRange);

/** The audit log's filters (on /mod/log and /admin/audit) and its keyset cursor. */
export const LogQuery = z
  .strictObject({
    actor: optional(databaseIdField(M.badActor)),
    member: optional(databaseIdField(M.badSubject)),
    action: optional(z.string({ error: M.badAction }).regex(/^[a-z_]{1,40}(\.[a-z_]{1,40})?$/, M.badAction)),
    // As audit_events' own check has it.
    target_type: optional(z.string({ error: M.badTargetType }).regex(/^[a-z][a-z_]{1,39}$/, M.badTargetType)),
    from: optional(logDay()),
    to: optional(logDay()),
    before: optional(
      z
        .string({ error: M.badCursor })
        .refine((value) => CURSOR.test(value) && isCalendarDay(CURSOR.exec(value)![1]!), M.badCursor)
        .transform((value) => ({ occurredAt: value.slice(0, value.indexOf('_')), id: Number(value.slice(value.indexOf('_') + 1)) })),
    ),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, M.datesReversed);
export type LogQuery = z.infer<typeof LogQuery>;

/** Approving: a note to the member is optional. */
export const ApproveForm = z.strictObject({
  _csrf: z.string(),
  reason: textField({ label: 'Note to the member', max: MODERATION_LIMITS.reason, optional: true, multiline: true }),
});
export type ApproveForm = z.infer<typeof ApproveForm>;

/** Approving a post: nothing to say, the post speaks for itself. */
export const ApprovePostForm = z.strictObject({ _csrf: z.string() });

/** Rejecting: the member is told why. */
export const RejectForm = z.strictObject({
  _csrf: z.string(),
  reason: textField({ label: 'Reason', max: MODERATION_LIMITS.reason, required: APPROVAL_MESSAGES.reasonRequired, multiline: true }),
});
export type RejectForm = z.infer<typeof RejectForm>;

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

export const HideThreadForm = z.strictObject({ ...base, reason: textField({ label: 'Reason', max: MODERATION_LIMITS.reason, required: THREAD_ACTION_MESSAGES.reasonRequired, multiline: true }) });

export const MergeThreadForm = z.strictObject({
  ...base,
  into: z.preprocess((value) => (typeof value === 'string' ? value.trim() : value), z.string({ error: THREAD_ACTION_MESSAGES.chooseTarget }).min(1, THREAD_ACTION_MESSAGES.chooseTarget).pipe(databaseId.catch(-1))).refine((id) => id > 0, THREAD_ACTION_MESSAGES.noSuchTarget),
});

export const SplitThreadForm = z.strictObject({
  ...base,
  posts: z.preprocess(
    (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
    z.array(databaseId.catch(-1)).min(1, THREAD_ACTION_MESSAGES.choosePosts).max(MODERATION_LIMITS.splitPosts, THREAD_ACTION_MESSAGES.tooManyPosts).refine((ids) => ids.every((id) => id > 0), THREAD_ACTION_MESSAGES.postsNotInThread),
  ),
  category: categorySlug,
  title,
});
