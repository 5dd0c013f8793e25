import { z } from 'zod';
import { textField } from '../../lib/forms.js';
import { databaseId } from '../discussions/schemas.js';
import { APPROVAL_MESSAGES } from './approval-messages.js';

/** As the migration allows for every moderation reason. */
export const APPROVAL_LIMITS = { reason: 1000 } as const;

export const ApprovalParams = z.object({ id: databaseId });

/** Approving: a note to the member is optional. */
export const ApproveForm = z.strictObject({
  _csrf: z.string(),
  reason: textField({ label: 'Note to the member', max: APPROVAL_LIMITS.reason, optional: true, multiline: true }),
});
export type ApproveForm = z.infer<typeof ApproveForm>;

/** Approving a post: nothing to say, the post speaks for itself. */
export const ApprovePostForm = z.strictObject({ _csrf: z.string() });

/** Rejecting: the member is told why. */
export const RejectForm = z.strictObject({
  _csrf: z.string(),
  reason: textField({ label: 'Reason', max: APPROVAL_LIMITS.reason, required: APPROVAL_MESSAGES.reasonRequired, multiline: true }),
});
export type RejectForm = z.infer<typeof RejectForm>;
