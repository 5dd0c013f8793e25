import { z } from 'zod';
import { textField } from '../../lib/forms.js';
import { databaseId } from '../discussions/schemas.js';
import { MODERATION_MESSAGES as M } from './messages.js';

export const FLAG_LIMITS = { note: 1000 } as const;
export const HIDE_LIMITS = { reason: 1000 } as const;
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
    note: textField({ label: 'Note', max: FLAG_LIMITS.note, optional: true, multiline: true }),
  })
  // "Something else" says nothing by itself: the note is what the moderator reads.
  .refine((form) => form.reason !== 'other' || form.note.length > 0, { path: ['note'], message: M.noteRequired });
export type FlagForm = z.infer<typeof FlagForm>;

export const HideForm = z.strictObject({
  _csrf: z.string(),
  reason: textField({ label: 'Reason', max: HIDE_LIMITS.reason, required: M.reasonRequired, multiline: true }),
});
export type HideForm = z.infer<typeof HideForm>;

export const DeleteForm = z.strictObject({
  _csrf: z.string(),
  reason: textField({ label: 'Reason', max: HIDE_LIMITS.reason, optional: true, multiline: true }),
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
