import { z } from 'zod';
import { databaseIdField, textField } from '../../lib/forms.js';
import { workEmail } from '../auth/schemas.js';
import { PageQuery } from '../discussions/schemas.js';
import { COORDINATOR_MESSAGES as M } from './messages.js';

/** As the migration allows (agency_attestations.note); a leaver's reason, as moderation's reasons. */
export const COORDINATOR_LIMITS = { note: 1000, reason: 1000 } as const;

export const MEMBERS_PER_PAGE = 50;

/** The coordinator's pages take only what they link to: anything else in the address is refused, not ignored. */
export const MembersQuery = z.strictObject(PageQuery.shape);
export const NoQuery = z.strictObject({});

/** Appointing a coordinator on an agency's /admin page: the member's work address, as `npm run admin` parses it. */
export const AppointCoordinatorForm = z.strictObject({ _csrf: z.string(), email: workEmail });
export type AppointCoordinatorForm = z.infer<typeof AppointCoordinatorForm>;

/** /admin/agencies/:id/coordinators/:memberId/remove */
export const CoordinatorParams = z.object({ id: databaseIdField(M.badId), memberId: databaseIdField(M.badId) });

/** A member of the coordinator's agency, by id in the path. */
export const MemberParams = z.object({ id: databaseIdField(M.badId) });

/**
 * "I confirm this list of N members is right": N is the count the page showed, so a list that
 * changed while the page was open is looked at again rather than confirmed unseen.
 */
export const AttestationForm = z.strictObject({
  _csrf: z.string(),
  member_count: z.string({ error: M.badCount }).regex(/^(0|[1-9][0-9]{0,8})$/, M.badCount).transform(Number),
  note: textField({ label: 'Note', max: COORDINATOR_LIMITS.note, optional: true, multiline: true }).transform((value) => (value === '' ? null : value)),
});
export type AttestationForm = z.infer<typeof AttestationForm>;

export const LeaverForm = z.strictObject({
  _csrf: z.string(),
  reason: textField({ label: 'Reason', max: COORDINATOR_LIMITS.reason, required: M.reasonRequired, multiline: true }),
});
export type LeaverForm = z.infer<typeof LeaverForm>;
