import { z } from 'zod';
import { EnvSchema, parseSiteSetting, SITE_SETTING_NAMES, SITE_SETTINGS, siteSettingText, type SiteSettingName, type SiteSettingSpec } from '../../config.js';
import { blankAsMissing, databaseIdField, formToken, LONE_SURROGATE, textField } from '../../lib/forms.js';
import { parseRuleEntry } from '../auth/email-domain.js';
import type { Audience } from '../discussions/access.js';
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
export const DOMAIN_RULE_LIMITS = { note: 500 } as const;
export const AGENCY_LIMITS = { name: 200 } as const;
// A page's "deactivate these members" form lists each one; past this the form asks for a narrower list.
export const MAX_MEMBERS_PER_DEACTIVATION = 500;

export const RULE_EFFECTS = ['allow', 'block'] as const;
export type RuleEffect = (typeof RULE_EFFECTS)[number];

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

/**
 * A rule's domain as an administrator writes it: `finance.gov.au` admits addresses at the domain
 * and under it, `*.gov.au` only under it. The address parser's own domain rules apply (ASCII
 * letters, digits and hyphens; an internationalised domain in its xn-- form), so a rule can never
 * name a domain no address could have.
 */
export const RuleDomain = z.string({ error: M.ruleDomainRequired }).transform((input, ctx) => {
  const entry = parseRuleEntry(input);
  if (entry.ok) return { domain: entry.domain, admitsOwnDomain: entry.admitsOwnDomain };
  ctx.addIssue({ code: 'custom', message: entry.reason });
  return z.NEVER;
});

export const RuleEffect = z.enum(RULE_EFFECTS, { error: M.ruleEffectMissing });

/** An empty note is no note; a note is one line, as the command's rules table prints it. */
export const RuleNote = z
  .string({ error: M.noteTooLong(DOMAIN_RULE_LIMITS.note) })
  .transform((input) => input.trim())
  .refine((note) => [...note].length <= DOMAIN_RULE_LIMITS.note, M.noteTooLong(DOMAIN_RULE_LIMITS.note))
  .refine((note) => !/[\u0000-\u001f\u007f-\u009f]/.test(note), M.noteControls)
  .transform((note) => (note === '' ? null : note));

/** An agency chosen from a list, or empty for none. */
const agencyChoice = z.union([z.literal('').transform(() => null), databaseIdField(M.unknownAgencyChoice)], { error: M.unknownAgencyChoice });

/** "Who may join": addresses at the domain itself too, or only under it (a namespace such as gov.au). */
const ownDomain = z.enum(['yes', 'no'], { error: M.ownDomainMissing }).transform((answer) => answer === 'yes');

export const NewDomainRuleForm = z.strictObject({
  _csrf: z.string(),
  domain: RuleDomain,
  effect: RuleEffect,
  agency_id: agencyChoice,
  note: RuleNote.default(null),
});
export type NewDomainRuleForm = z.infer<typeof NewDomainRuleForm>;

/** A rule's domain and effect are what it is; to change either, add another and remove this one. */
export const EditDomainRuleForm = z.strictObject({
  _csrf: z.string(),
  agency_id: agencyChoice,
  note: RuleNote.default(null),
  own_domain: ownDomain.optional(),
});
export type EditDomainRuleForm = z.infer<typeof EditDomainRuleForm>;

/** The members listed on the review page, sent back as they were shown: only those are deactivated. */
export const DeactivateMembersForm = z.strictObject({
  _csrf: z.string(),
  member: z
    .union([z.string(), z.array(z.string())], { error: M.noMembersChosen })
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .pipe(z.array(databaseIdField(M.noMembersChosen)).min(1, M.noMembersChosen).max(MAX_MEMBERS_PER_DEACTIVATION, M.tooManyMembers(MAX_MEMBERS_PER_DEACTIVATION))),
});
export type DeactivateMembersForm = z.infer<typeof DeactivateMembersForm>;

/** An agency's name: spaces tidied, on one line, with nothing invisible in it. */
export const AgencyName = textField({ label: 'Name', max: AGENCY_LIMITS.name, required: M.agencyNameRequired })
  .transform((name) => name.replace(/ {2,}/g, ' '))
  .refine((name) => !CONTROL_CHARACTERS.test(name), M.agencyNameControls);

export const NewAgencyForm = z.strictObject({ _csrf: z.string(), name: AgencyName, ...AgencyClassification.shape });
export type NewAgencyForm = z.infer<typeof NewAgencyForm>;

export const RenameAgencyForm = z.strictObject({ _csrf: z.string(), name: AgencyName });
export type RenameAgencyForm = z.infer<typeof RenameAgencyForm>;

/** The agency an agency is part of; empty for none. */
export const AgencyParentForm = z.strictObject({
  _csrf: z.string(),
  parent_id: z.union([z.literal('').transform(() => null), databaseIdField(M.parentUnknown)], { error: M.parentUnknown }),
});
export type AgencyParentForm = z.infer<typeof AgencyParentForm>;

export const MergeAgencyForm = z.strictObject({ _csrf: z.string(), into_id: databaseIdField(M.mergeTargetMissing) });
export type MergeAgencyForm = z.infer<typeof MergeAgencyForm>;

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

/** "Move up" and "Move down" (initiative types, categories) send the place they move to, so pressing one twice moves once. */
export const MoveToPositionForm = z.strictObject({
  _csrf: z.string(),
  position: z.string().regex(/^[1-9][0-9]{0,5}$/).transform(Number),
});
export type MoveToPositionForm = z.infer<typeof MoveToPositionForm>;

// The categories table's check constraints (migration 0006) hold the same limits, pattern and audiences.
export const CATEGORY_LIMITS = { name: 80, slug: 60, description: 500 } as const;
const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const AUDIENCES = ['members', 'moderators'] as const satisfies readonly Audience[];

const categoryName = textField({ label: 'Name', max: CATEGORY_LIMITS.name, required: M.categoryNameRequired }).refine((name) => !CONTROL_CHARACTERS.test(name), M.categoryNameControls);

/** A category's address under /c: made once, when it is added (see categories.ts). */
const categorySlug = textField({ label: 'Address', max: CATEGORY_LIMITS.slug, required: M.categorySlugRequired }).refine((slug) => SLUG_PATTERN.test(slug), M.categorySlugPattern);

const categoryDescription = textField({ label: 'Description', max: CATEGORY_LIMITS.description, optional: true }).refine((text) => !CONTROL_CHARACTERS.test(text), M.categoryDescriptionControls);

const audience = (missing: string) => z.enum(AUDIENCES, { error: missing });

/** Who may see it and who may start threads in it: only those who see a category can start threads there. */
const categorySettings = {
  name: categoryName,
  description: categoryDescription,
  visible_to: audience(M.visibleToMissing),
  threads_started_by: audience(M.threadsStartedByMissing),
};

function startersSeeIt(settings: { visible_to: Audience; threads_started_by: Audience }, ctx: z.RefinementCtx): void {
  if (settings.visible_to === 'moderators' && settings.threads_started_by === 'members') ctx.addIssue({ code: 'custom', path: ['threads_started_by'], message: M.startersMustSeeIt });
}

/** A category's settings as `npm run admin` gives them, checked as the forms check them. */
export const CategorySettingsInput = z.strictObject(categorySettings).superRefine(startersSeeIt);
export const CategorySlug = categorySlug;

export const NewCategoryForm = z.strictObject({ _csrf: z.string(), form_token: formToken, slug: categorySlug, ...categorySettings }).superRefine(startersSeeIt);
export type NewCategoryForm = z.infer<typeof NewCategoryForm>;

export const EditCategoryForm = z.strictObject({ _csrf: z.string(), ...categorySettings }).superRefine(startersSeeIt);
export type EditCategoryForm = z.infer<typeof EditCategoryForm>;

/** Removing a category: where its threads go, or empty when it holds none. */
export const RemoveCategoryForm = z.strictObject({
  _csrf: z.string(),
  move_to: z.union([z.literal('').transform(() => null), databaseIdField(M.moveTargetUnknown)], { error: M.moveTargetUnknown }).default(null),
});
export type RemoveCategoryForm = z.infer<typeof RemoveCategoryForm>;

export const MEMBERS_PER_PAGE = 50;
export const MEMBER_SEARCH_LIMIT = 100;

export const ROLES = ['member', 'moderator', 'administrator'] as const;

/**
 * What a member row can be, as the members table holds it (migrations 0002, 0010): every member
 * verified their address before the row was written (`verified_at` is not null), so there is no
 * "unverified" member to list; a sign-up still waiting for its link is a signup request, not a member.
 */
export const MEMBER_STATUSES = ['active', 'suspended', 'awaiting_approval', 'deactivated'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];
export const MEMBER_STATUS_NAMES: Record<MemberStatus, string> = { active: 'Active', suspended: 'Suspended', awaiting_approval: 'Awaiting approval', deactivated: 'Deactivated' };

/**
 * Why a member was deactivated: they are told it when they sign in with the right password
 * (eligibility/messages.ts). Stored in members.deactivation_reason; a deactivation recorded
 * before reasons were, has none and reads as an administrator's.
 */
export const DEACTIVATION_REASONS = ['administrator', 'rejected', 'bounced', 'domain_not_admitted', 'left_agency'] as const;
export type DeactivationReason = (typeof DEACTIVATION_REASONS)[number];

/** /admin/members and /admin/members.csv: one search box, four filters, and the keyset cursor (the last id shown). */
export const MemberListQuery = z.strictObject({
  q: blankAsMissing(
    textField({ label: 'Search', max: MEMBER_SEARCH_LIMIT, optional: true }).refine((text) => !CONTROL_CHARACTERS.test(text), M.searchControls),
  ),
  agency: blankAsMissing(databaseIdField(M.unknownAgencyFilter)),
  role: blankAsMissing(z.enum(ROLES, { error: M.unknownRoleFilter })),
  status: blankAsMissing(z.enum(MEMBER_STATUSES, { error: M.unknownStatusFilter })),
  reason: blankAsMissing(z.enum(DEACTIVATION_REASONS, { error: M.unknownReasonFilter })),
  before: blankAsMissing(databaseIdField(M.badMemberCursor)),
}).superRefine((query, context) => {
  if (query.reason !== undefined && query.status !== undefined && query.status !== 'deactivated') context.addIssue({ code: 'custom', path: ['reason'], message: M.reasonWithOtherStatus });
});
export type MemberListQuery = z.infer<typeof MemberListQuery>;

/** The same role names as `npm run admin -- grant` and `revoke`. */
export const RoleForm = z.strictObject({ _csrf: z.string(), role: z.enum(ROLES, { error: M.chooseRole }) });
export type RoleForm = z.infer<typeof RoleForm>;

export const EMAILS_PER_PAGE = 50;

/**
 * The mail queue's unsent emails by where they are: not yet tried, tried and due again (or being
 * sent), or given up on after every attempt (status failed, until someone retries it).
 */
export const MAIL_STATES = ['pending', 'retrying', 'failed'] as const;
export type MailState = (typeof MAIL_STATES)[number];
export const MAIL_STATE_NAMES: Record<MailState, string> = { pending: 'Waiting to be sent', retrying: 'Retrying', failed: 'Failed' };

/** /admin/mail: which state to show (all three unless one is chosen) and the keyset cursor. */
export const MailListQuery = z.strictObject({
  state: blankAsMissing(z.enum(MAIL_STATES, { error: M.unknownMailState })),
  before: blankAsMissing(databaseIdField(M.badMailCursor)),
});
export type MailListQuery = z.infer<typeof MailListQuery>;

/** What a site setting is edited with, from what its environment variable holds. */
export type SettingInput = { kind: 'boolean' } | { kind: 'number'; min?: number; max?: number } | { kind: 'choice'; choices: readonly string[] } | { kind: 'text' };

export function settingInput(name: SiteSettingName): SettingInput {
  const spec: SiteSettingSpec = SITE_SETTINGS[name];
  if (spec.choices) return { kind: 'choice', choices: spec.choices };
  const schema = EnvSchema.shape[name];
  const inner = schema instanceof z.ZodDefault ? schema.unwrap() : schema;
  if (inner instanceof z.ZodNumber) return { kind: 'number', min: inner.minValue ?? undefined, max: inner.maxValue ?? undefined };
  return typeof schema.safeParse(undefined).data === 'boolean' ? { kind: 'boolean' } : { kind: 'text' };
}

// The setting_overrides table's check holds the same limit (migration 0015).
export const SETTING_VALUE_MAX = 1000;

/** Why a submitted value cannot be stored at all, before its own rules are asked. */
function unstorable(name: SiteSettingName, value: unknown): string | undefined {
  if (typeof value !== 'string') return M.settingGivenTwice;
  if (value.length > SETTING_VALUE_MAX) return M.settingTooLong(SETTING_VALUE_MAX);
  if (value.includes('\0') || LONE_SURROGATE.test(value)) return M.settingNotText;
  // Numbers and yes-or-no need a value: an empty one would otherwise read as 0.
  if (value.trim() === '' && settingInput(name).kind !== 'text') return M.settingMissing;
  return undefined;
}

/**
 * A save of one or more settings from /admin/settings: each value checked by its own EnvSchema
 * field (the rules and words start-up uses), then turned into the text its variable takes. Only
 * the settings in SITE_SETTINGS may be named; any other field refuses the form.
 */
export const SiteSettingsForm = z
  .strictObject({ _csrf: z.string(), ...Object.fromEntries(SITE_SETTING_NAMES.map((name) => [name, z.unknown().optional()])) })
  .transform((form, ctx) => {
    const values: Partial<Record<SiteSettingName, string>> = {};
    for (const name of SITE_SETTING_NAMES) {
      const given = (form as Record<string, unknown>)[name];
      if (given === undefined) continue;
      const problem = unstorable(name, given);
      const parsed = problem ? undefined : parseSiteSetting(name, given as string);
      if (parsed?.ok) values[name] = siteSettingText(parsed.value);
      else ctx.addIssue({ code: 'custom', path: [name], message: `${SITE_SETTINGS[name].label}: ${problem ?? (parsed as { message: string }).message}` });
    }
    if (Object.keys(values).length === 0 && ctx.issues.length === 0) ctx.addIssue({ code: 'custom', path: ['_form'], message: M.noSettingsGiven });
    return values;
  });
export type SiteSettingsForm = z.infer<typeof SiteSettingsForm>;

export const ResetSettingForm = z.strictObject({
  _csrf: z.string(),
  name: z.enum(SITE_SETTING_NAMES as [SiteSettingName, ...SiteSettingName[]], { error: M.settingNotEditable }),
});
export type ResetSettingForm = z.infer<typeof ResetSettingForm>;

/** /admin/usage and its CSVs take no filters: anything in the address is refused, not ignored. */
export const UsageQuery = z.strictObject({});
