import { z } from 'zod';
import { databaseIdField, formToken, textField } from '../../lib/forms.js';
import { ALT_TEXT_FIELDS } from './attachments.js';
import { DISCUSSION_MESSAGES } from './messages.js';

export const THREAD_LIMITS = { titleMin: 5, title: 150, body: 32_000 } as const;
export const THREADS_PER_PAGE = 30;
export const POSTS_PER_PAGE = 20;
// Deeper replies are drawn at this depth, so a long back-and-forth stays readable on a phone.
export const MAX_SHOWN_DEPTH = 5;

/** A positive database id from a path or form; anything else fails to parse. */
export const databaseId = databaseIdField(DISCUSSION_MESSAGES.badPostId);

const title = textField({ label: 'Title', max: THREAD_LIMITS.title, required: DISCUSSION_MESSAGES.titleRequired }).refine(
  (value) => [...value].length >= THREAD_LIMITS.titleMin,
  DISCUSSION_MESSAGES.titleTooShort,
);

export const NewThreadForm = z.strictObject({
  _csrf: z.string(),
  form_token: formToken,
  title,
  body: textField({ label: 'Message', max: THREAD_LIMITS.body, required: DISCUSSION_MESSAGES.bodyRequired, multiline: true }),
  ...ALT_TEXT_FIELDS,
});
export type NewThreadForm = z.infer<typeof NewThreadForm>;

export const ReplyForm = z.strictObject({
  _csrf: z.string(),
  form_token: formToken,
  body: textField({ label: 'Reply', max: THREAD_LIMITS.body, required: DISCUSSION_MESSAGES.replyRequired, multiline: true }),
  reply_to: z.preprocess((value) => (value === '' ? undefined : value), databaseId.optional()),
  ...ALT_TEXT_FIELDS,
});
export type ReplyForm = z.infer<typeof ReplyForm>;

export const CategoryParams = z.object({ slug: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/).max(60) });
export const ThreadParams = z.object({ id: databaseId, slug: z.string().max(200).optional() });
export const PostParams = z.object({ id: databaseId });

/** `?page=`: absent is page 1; anything but one positive integer is a bad request. */
export const PageQuery = z.object({
  page: z.string({ error: DISCUSSION_MESSAGES.badPage }).regex(/^[1-9][0-9]{0,14}$/, DISCUSSION_MESSAGES.badPage).transform(Number).optional(),
});

export const ThreadQuery = PageQuery.extend({
  view: z.enum(['flat', 'threaded'], { error: DISCUSSION_MESSAGES.badView }).optional(),
  // "Reply" and "Quote" on a post, without JavaScript: the thread page with its form filled.
  reply_to: z.string({ error: DISCUSSION_MESSAGES.badPostId }).pipe(databaseId).optional(),
  quote: z.string({ error: DISCUSSION_MESSAGES.badPostId }).pipe(databaseId).optional(),
});
export type ThreadQuery = z.infer<typeof ThreadQuery>;

/** "Helpful" on a post: the state the member wants, so a second submit changes nothing. */
export const HelpfulForm = z.strictObject({
  _csrf: z.string(),
  helpful: z.enum(['yes', 'no'], { error: DISCUSSION_MESSAGES.badHelpful }),
});
export type HelpfulForm = z.infer<typeof HelpfulForm>;

/** "Mark as answer" and "Unmark answer": the state wanted, as for HelpfulForm. */
export const AnswerForm = z.strictObject({
  _csrf: z.string(),
  answer: z.enum(['yes', 'no'], { error: DISCUSSION_MESSAGES.badAnswer }),
});
export type AnswerForm = z.infer<typeof AnswerForm>;

/** The version of the post an edit form was opened on: what the optimistic check compares. */
const postVersion = z
  .string({ error: DISCUSSION_MESSAGES.badVersion })
  .regex(/^[1-9][0-9]{0,8}$/, DISCUSSION_MESSAGES.badVersion)
  .transform(Number);

/** Editing a reply: its body keeps the label it was written under. */
export const EditReplyForm = z.strictObject({
  _csrf: z.string(),
  version: postVersion,
  body: ReplyForm.shape.body,
});
export type EditReplyForm = z.infer<typeof EditReplyForm>;

/** Editing a thread's first post, and with it the thread's title. */
export const EditFirstPostForm = EditReplyForm.extend({
  title: NewThreadForm.shape.title,
  body: NewThreadForm.shape.body,
});
export type EditFirstPostForm = z.infer<typeof EditFirstPostForm>;

export const NOTIFICATIONS_PER_PAGE = 30;
export const NotificationParams = z.object({ id: databaseId });

// The watch forms' buttons send one of these; anything else did not come from them.
export const WatchThreadForm = z.strictObject({
  _csrf: z.string(),
  level: z.enum(['watching', 'muted', 'none'], { error: DISCUSSION_MESSAGES.badThreadWatch }),
});
export const WatchCategoryForm = z.strictObject({
  _csrf: z.string(),
  level: z.enum(['watching', 'none'], { error: DISCUSSION_MESSAGES.badCategoryWatch }),
});
