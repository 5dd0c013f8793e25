import { z } from 'zod';
import { formToken, textField } from '../../lib/forms.js';
import { databaseId } from '../discussions/schemas.js';
import { ADMIN_MESSAGES as M } from './messages.js';

/**
 * What administrators enter, on the /admin pages and through `npm run admin`: both parse with
 * these schemas, so the form and the command accept exactly the same values.
 */

// The agencies table's check constraints hold the same lists (migrations 0001 and 0008).
export const JURISDICTIONS = ['commonwealth', 'state', 'territory', 'local'] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];
export const JURISDICTION_NAMES: Record<Jurisdiction, string> = { commonwealth: 'Commonwealth', state: 'State', territory: 'Territory', local: 'Local' };

export const AGENCY_TYPES = ['department', 'regulator', 'service_delivery', 'council', 'statutory_body', 'other'] as const;
export type AgencyType = (typeof AGENCY_TYPES)[number];
export const AGENCY_TYPE_NAMES: Record<AgencyType, string> = {
  department: 'Department',
  regulator: 'Regulator',
  service_delivery: 'Service delivery',
  council: 'Council',
  statutory_body: 'Statutory body',
  other: 'Other',
};

export const AGENCIES_PER_PAGE = 50;
export const INITIATIVE_TYPE_LIMITS = { name: 80 } as const;

/** Line breaks, other control characters and the invisible marks that reorder text. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * One value of a fixed list, or empty for "not set" (null). Case, spaces and hyphens are
 * forgiven (`--type "Service delivery"` is service_delivery); a form always sends the field, so
 * a missing one is an error of its own.
 */
function oneOfOrNotSet<const T extends readonly string[]>(values: T, messages: { missing: string; unknown: string }) {
  return z.string({ error: (issue) => (issue.input === undefined ? messages.missing : messages.unknown) }).transform((input, ctx): T[number] | null => {
    const value = input.trim().toLowerCase().replace(/[\s-]+/g, '_');
    if (value === '') return null;
    if ((values as readonly string[]).includes(value)) return value;
    ctx.addIssue({ code: 'custom', message: messages.unknown });
    return z.NEVER;
  });
}

/** An agency's place in government: its jurisdiction and its type, each possibly not set. */
export const AgencyClassification = z.object({
  jurisdiction: oneOfOrNotSet(JURISDICTIONS, { missing: M.jurisdictionMissing, unknown: M.unknownJurisdiction }),
  agency_type: oneOfOrNotSet(AGENCY_TYPES, { missing: M.agencyTypeMissing, unknown: M.unknownAgencyType }),
});
export type AgencyClassification = z.infer<typeof AgencyClassification>;

export const AgencyClassificationForm = z.strictObject({ _csrf: z.string(), ...AgencyClassification.shape });
export type AgencyClassificationForm = z.infer<typeof AgencyClassificationForm>;

/** `/admin/agencies/:id`, `/admin/initiative-types/:id`: anything but an id names nothing (404). */
export const AdminItemParams = z.object({ id: databaseId });

const initiativeTypeName = textField({ label: 'Name', max: INITIATIVE_TYPE_LIMITS.name, required: M.initiativeTypeNameRequired }).refine(
  (name) => !CONTROL_CHARACTERS.test(name),
  M.initiativeTypeNameControls,
);

export const NewInitiativeTypeForm = z.strictObject({ _csrf: z.string(), form_token: formToken, name: initiativeTypeName });
export type NewInitiativeTypeForm = z.infer<typeof NewInitiativeTypeForm>;

export const RenameInitiativeTypeForm = z.strictObject({ _csrf: z.string(), name: initiativeTypeName });
export type RenameInitiativeTypeForm = z.infer<typeof RenameInitiativeTypeForm>;

/** "Move up" and "Move down" send the place they move to, so pressing one twice moves once. */
export const MoveInitiativeTypeForm = z.strictObject({
  _csrf: z.string(),
  position: z.string().regex(/^[1-9][0-9]{0,5}$/).transform(Number),
});
export type MoveInitiativeTypeForm = z.infer<typeof MoveInitiativeTypeForm>;
