import { z } from 'zod';
import { formToken, textField } from '../../lib/forms.js';
import { AGENCY_TYPES, JURISDICTIONS } from '../admin/schemas.js';
import { databaseId, PageQuery } from '../discussions/schemas.js';
import { RESOURCE_MESSAGES as M } from './messages.js';

/** The kinds of resource, as stored (resources.kind) and as the library names them. */
export const RESOURCE_KINDS = {
  case_study: 'Case study',
  guide: 'Guide',
  template: 'Template',
  policy: 'Policy',
  presentation: 'Presentation',
  link: 'Link',
  other: 'Other',
} as const;
export type ResourceKind = keyof typeof RESOURCE_KINDS;
const KIND_VALUES = Object.keys(RESOURCE_KINDS) as [ResourceKind, ...ResourceKind[]];

export const RESOURCE_LIMITS = {
  titleMin: 5,
  title: 150,
  summary: 600,
  body: 32_000,
  section: 16_000,
  link: 2_000,
  tags: 10,
  tag: 40,
  tagsField: 600,
  initiativeTypes: 20,
} as const;
export const RESOURCES_PER_PAGE = 24;

/** A case study's four sections, in the order it reads: the form's field names and headings. */
export const CASE_STUDY_SECTIONS = [
  { name: 'context', label: 'Context', hint: 'The situation and the problem: who was affected, and why it mattered.' },
  { name: 'approach', label: 'What was done', hint: 'What your agency did, with whom, and over what time.' },
  { name: 'outcome', label: 'Outcome', hint: 'What changed, with figures where you have them.' },
  { name: 'lessons', label: 'Lessons learned', hint: 'What you would do again, and what you would do differently.' },
] as const;
export type SectionName = (typeof CASE_STUDY_SECTIONS)[number]['name'];
export type CaseStudySections = Record<SectionName, string>;

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * A tag as stored: lower-case ASCII letters and digits joined by single hyphens ("Social
 * Media" → "social-media", "Évaluation" → "evaluation"); empty when nothing of it is left.
 */
export function normaliseTag(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join('-');
}

// The comma-separated tags field: each one normalised, each once, in the order given.
const tagsField = textField({ label: 'Tags', max: RESOURCE_LIMITS.tagsField, optional: true }).transform((value, ctx) => {
  const tags: string[] = [];
  for (const raw of value.split(',')) {
    if (raw.trim() === '') continue;
    const tag = normaliseTag(raw);
    if (tag === '') ctx.addIssue({ code: 'custom', message: M.tagWithoutLetters(raw.trim()) });
    else if (tag.length > RESOURCE_LIMITS.tag) ctx.addIssue({ code: 'custom', message: M.tagTooLong(raw.trim(), RESOURCE_LIMITS.tag) });
    else if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length > RESOURCE_LIMITS.tags) ctx.addIssue({ code: 'custom', message: M.tooManyTags(RESOURCE_LIMITS.tags) });
  return tags;
});

/**
 * An external link: http or https only (never `javascript:`, `data:` or a scheme-relative
 * `//host`), with a host and no user name or password in it (`https://gov.au@evil.example` is
 * evil.example). Stored as the URL parser writes it back, so the scheme is lower case as the
 * table's check expects.
 */
export function webAddress(value: string): string | undefined {
  if (!/^https?:\/\//i.test(value) || /[\u0000-\u0020\u007f-\u009f\\]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.username !== '' || url.password !== '') return undefined;
  return url.href.length <= RESOURCE_LIMITS.link ? url.href : undefined;
}

const linkField = textField({ label: 'Link', max: RESOURCE_LIMITS.link, optional: true }).transform((value, ctx) => {
  if (value === '') return null;
  const href = webAddress(value);
  if (href === undefined) ctx.addIssue({ code: 'custom', message: M.badLink });
  return href ?? null;
});

const markdown = (label: string, max: number) => textField({ label, max, optional: true, multiline: true });

const resourceFields = {
  kind: z.enum(KIND_VALUES, { error: M.kindRequired }),
  title: textField({ label: 'Title', max: RESOURCE_LIMITS.title, required: M.titleRequired }).refine((value) => [...value].length >= RESOURCE_LIMITS.titleMin, M.titleTooShort),
  // One paragraph: line breaks typed into the box become spaces.
  summary: textField({ label: 'Summary', max: RESOURCE_LIMITS.summary, required: M.summaryRequired, multiline: true }).transform((value) => value.replace(/\s+/g, ' ')),
  body: markdown('Description', RESOURCE_LIMITS.body),
  tags: tagsField,
  // Checkboxes: none sent is an empty list, one sent is a string.
  initiative_types: z.preprocess(
    (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
    z
      .array(z.string({ error: M.badInitiativeType }).max(60, M.badInitiativeType).regex(SLUG, M.badInitiativeType), { error: M.badInitiativeType })
      .min(1, M.initiativeTypesRequired)
      .max(RESOURCE_LIMITS.initiativeTypes, M.badInitiativeType)
      .transform((slugs) => [...new Set(slugs)]),
  ),
  agency: z.string({ error: M.agencyRequired }).regex(/^[1-9][0-9]{0,14}$/, M.agencyRequired).transform(Number),
  external_url: linkField,
  context: markdown('Context', RESOURCE_LIMITS.section),
  approach: markdown('What was done', RESOURCE_LIMITS.section),
  outcome: markdown('Outcome', RESOURCE_LIMITS.section),
  lessons: markdown('Lessons learned', RESOURCE_LIMITS.section),
};

type ResourceFields = z.infer<z.ZodObject<typeof resourceFields>>;

/** A case study needs all four sections and nothing else has any; a link needs its address. */
function checkKindRules(form: ResourceFields, ctx: z.RefinementCtx): void {
  for (const { name, label } of CASE_STUDY_SECTIONS) {
    if (form.kind === 'case_study' && form[name] === '') ctx.addIssue({ code: 'custom', path: [name], message: M.sectionRequired(label) });
    if (form.kind !== 'case_study' && form[name] !== '') ctx.addIssue({ code: 'custom', path: [name], message: M.sectionOnlyForCaseStudies(label) });
  }
  if (form.kind === 'link' && form.external_url === null) ctx.addIssue({ code: 'custom', path: ['external_url'], message: M.linkNeeded });
}

export const NewResourceForm = z.strictObject({ _csrf: z.string(), form_token: formToken, ...resourceFields }).superRefine(checkKindRules);
export type NewResourceForm = z.infer<typeof NewResourceForm>;

/** The version of the resource an edit form was opened on: what the optimistic check compares. */
const resourceVersion = z.string({ error: M.badVersion }).regex(/^[1-9][0-9]{0,8}$/, M.badVersion).transform(Number);

/** The edit form's "remove" checkboxes: ids of the resource's current files (checked against them by the service). */
const removedFiles = z.preprocess(
  (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
  z.array(z.string().regex(/^[1-9][0-9]{0,15}$/, M.badFileChoice).transform(Number), { error: M.badFileChoice }).max(100, M.badFileChoice).transform((ids) => [...new Set(ids)]),
);

export const EditResourceForm = z.strictObject({ _csrf: z.string(), version: resourceVersion, remove_files: removedFiles, ...resourceFields }).superRefine(checkKindRules);
export type EditResourceForm = z.infer<typeof EditResourceForm>;

/** What a resource says, as services take it from either form. */
export interface ResourceInput {
  kind: ResourceKind;
  title: string;
  summary: string;
  body: string;
  tags: string[];
  /** Slugs of initiative types. */
  initiativeTypes: string[];
  agencyId: number;
  externalUrl: string | null;
  /** A case study's sections; null for every other kind. */
  sections: CaseStudySections | null;
}

export function resourceInput(form: ResourceFields): ResourceInput {
  return {
    kind: form.kind,
    title: form.title,
    summary: form.summary,
    body: form.body,
    tags: form.tags,
    initiativeTypes: form.initiative_types,
    agencyId: form.agency,
    externalUrl: form.external_url,
    sections: form.kind === 'case_study' ? { context: form.context, approach: form.approach, outcome: form.outcome, lessons: form.lessons } : null,
  };
}

export const ResourceParams = z.object({ id: databaseId, slug: z.string().max(200).optional() });

/** Buttons send the state wanted, so a second submit changes nothing. */
export const ResourceHelpfulForm = z.strictObject({ _csrf: z.string(), helpful: z.enum(['yes', 'no'], { error: M.badHelpful }) });
export const FeatureForm = z.strictObject({ _csrf: z.string(), featured: z.enum(['yes', 'no'], { error: M.badFeatured }) });

export const LIBRARY_SORTS = { newest: 'Newest', downloads: 'Most downloaded', helpful: 'Most helpful' } as const;
export type LibrarySort = keyof typeof LIBRARY_SORTS;

/** A filter's value from the query string: empty is no filter (the GET form sends every field); a repeated key is a bad request. */
function filter<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}
const oneOf = (message: string) => (issue: { input: unknown }) => (Array.isArray(issue.input) ? M.oneValueEach : message);

/** `/resources`' filters, sort and page: every view of the library is a URL. */
export const LibraryQuery = PageQuery.extend({
  type: filter(z.enum(KIND_VALUES, { error: oneOf(M.badType) })),
  initiative: filter(z.string({ error: oneOf(M.noSuchInitiativeType) }).max(60, M.noSuchInitiativeType).regex(SLUG, M.noSuchInitiativeType)),
  tag: filter(
    z
      .string({ error: oneOf(M.badTag) })
      .max(200, M.badTag)
      // SECURITY.md row 4: a NUL is refused, never quietly dropped by the normalising below.
      .refine((tag) => !tag.includes('\0'), M.badTag)
      .transform(normaliseTag)
      .refine((tag) => tag !== '' && tag.length <= RESOURCE_LIMITS.tag, M.badTag),
  ),
  agency: filter(z.string({ error: oneOf(M.badAgency) }).regex(/^[1-9][0-9]{0,14}$/, M.badAgency).transform(Number)),
  agency_type: filter(z.enum(AGENCY_TYPES, { error: oneOf(M.badAgencyType) })),
  jurisdiction: filter(z.enum(JURISDICTIONS, { error: oneOf(M.badJurisdiction) })),
  sort: filter(z.enum(Object.keys(LIBRARY_SORTS) as [LibrarySort, ...LibrarySort[]], { error: oneOf(M.badSort) })),
});
export type LibraryQuery = z.infer<typeof LibraryQuery>;
