import type { Deps } from '../../../deps.js';
import { formValues, rawField, type FieldErrors } from '../../../lib/forms.js';
import { JURISDICTION_NAMES, JURISDICTIONS } from '../../admin/schemas.js';
import { NEW_FILES_FIELD } from '../file-changes.js';
import { ACCEPTED, megabytes } from '../files/messages.js';
import { ALLOWED_FILE_TYPES } from '../files/received-file.js';
import { MULTIPART_LIMITS, type ReceivedForm } from '../files/upload.js';
import { RESOURCE_MESSAGES as M } from '../messages.js';
import { listAgencyChoices, listInitiativeTypes } from '../queries/choices.js';
import type { ResourceState } from '../queries/versions.js';
import { CASE_STUDY_SECTIONS, RESOURCE_KINDS, RESOURCE_LIMITS } from '../schemas.js';

/** What a resource form is re-filled with: its text fields, the initiative types ticked, and the files ticked to be removed. */
export interface ResourceFormValues {
  values: Record<string, string>;
  initiativeTypes: string[];
  removedFiles: string[];
}

function ticked(body: unknown, name: string): string[] {
  const value = rawField(body, name);
  return (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
}

/** The form as it was sent, to show again with its messages. */
export function submittedValues(body: unknown): ResourceFormValues {
  return { values: formValues(body), initiativeTypes: ticked(body, 'initiative_types'), removedFiles: ticked(body, 'remove_files') };
}

/**
 * What a form shown again says about the files it came with: each refused one's message on its
 * input, and, as no browser fills a file input again, that they must be chosen again.
 */
export function fileMessages(received: Pick<ReceivedForm, 'files' | 'problems'>): FieldErrors {
  const errors: FieldErrors = {};
  for (const { field, message } of received.problems) errors[field] = errors[field] === undefined ? message : `${errors[field]} ${message}`;
  if (received.files.length > 0 || received.problems.length > 0) errors[NEW_FILES_FIELD] = [errors[NEW_FILES_FIELD], M.chooseFilesAgain].filter(Boolean).join(' ');
  return errors;
}

/** A form refused for its files or its fields: 413 when a file was too large or there were too many, else 422. */
export const refusedFormStatus = (received: Pick<ReceivedForm, 'problems'>) => (received.problems.some((problem) => problem.status === 413) ? 413 : 422);

const ACCEPTED_EXTENSIONS = Object.values(ALLOWED_FILE_TYPES).flatMap((type) => type.extensions.map((extension) => `.${extension}`));

/** The file inputs' accept list and hint: the types Commons takes, how large, how many at a time. */
export function fileInputData(maxFileBytes: number) {
  return {
    fileAccept: ACCEPTED_EXTENSIONS.join(','),
    filesHint: M.filesHint(ACCEPTED, megabytes(maxFileBytes), MULTIPART_LIMITS.files),
  };
}

/** A resource as its edit form starts. */
export function currentValues(resource: ResourceState): ResourceFormValues {
  return {
    values: {
      kind: resource.kind,
      title: resource.title,
      summary: resource.summary,
      body: resource.body,
      tags: resource.tags.join(', '),
      agency: resource.agency ? String(resource.agency.id) : '',
      external_url: resource.externalUrl ?? '',
      ...resource.sections,
    },
    initiativeTypes: resource.initiativeTypes.map((type) => type.slug),
    removedFiles: [],
  };
}

const UNKNOWN_JURISDICTION = 'Jurisdiction not recorded';

/**
 * What views/partials/resource-fields.hbs needs: the choices (kinds, initiative types, agencies
 * grouped by jurisdiction) with the submitted ones marked, and each field's value and message.
 */
export async function resourceFormData(deps: Pick<Deps, 'db' | 'config'>, form: ResourceFormValues, errors: FieldErrors | undefined, ownAgencyId: number | null = null) {
  const [initiativeTypes, agencies] = await Promise.all([listInitiativeTypes(deps.db), listAgencyChoices(deps.db)]);
  const { values } = form;
  const groups = [...JURISDICTIONS, null].map((jurisdiction) => ({
    label: jurisdiction === null ? UNKNOWN_JURISDICTION : JURISDICTION_NAMES[jurisdiction],
    options: agencies
      .filter((agency) => agency.jurisdiction === jurisdiction)
      .map((agency) => ({ value: String(agency.id), label: agency.id === ownAgencyId ? `${agency.name} (your agency)` : agency.name })),
  }));
  return {
    values,
    errors,
    limits: RESOURCE_LIMITS,
    kinds: Object.entries(RESOURCE_KINDS).map(([value, label]) => ({ value, label, checked: values.kind === value })),
    initiativeTypes: initiativeTypes.map((type) => ({ value: type.slug, label: type.name, checked: form.initiativeTypes.includes(type.slug) })),
    agencyGroups: groups.filter((group) => group.options.length > 0),
    sections: CASE_STUDY_SECTIONS.map((section) => ({ ...section, value: values[section.name], error: errors?.[section.name] })),
    summaryHint: `One paragraph: what it is and who it helps. At most ${RESOURCE_LIMITS.summary} characters.`,
    bodyHint: `Markdown works: **bold**, _italic_, lists, links and > quotes. At most ${RESOURCE_LIMITS.body.toLocaleString('en-AU')} characters.`,
    tagsHint: `Up to ${RESOURCE_LIMITS.tags}, separated by commas, such as: records, social media, accessibility.`,
    linkHint: 'Optional: a web page it lives on, starting with https://',
    ...fileInputData(deps.config.uploadMaxFileBytes),
    sectionHint: `Markdown works. At most ${RESOURCE_LIMITS.section.toLocaleString('en-AU')} characters each.`,
  };
}
