import type { Deps } from '../../../deps.js';
import { formValues, rawField, type FieldErrors } from '../../../lib/forms.js';
import { JURISDICTION_NAMES, JURISDICTIONS } from '../../admin/schemas.js';
import { listAgencyChoices, listInitiativeTypes } from '../queries/choices.js';
import type { ResourceState } from '../queries/versions.js';
import { CASE_STUDY_SECTIONS, RESOURCE_KINDS, RESOURCE_LIMITS } from '../schemas.js';

/** What a resource form is re-filled with: its text fields, and the initiative types ticked. */
export interface ResourceFormValues {
  values: Record<string, string>;
  initiativeTypes: string[];
}

/** The form as it was sent, to show again with its messages. */
export function submittedValues(body: unknown): ResourceFormValues {
  const ticked = rawField(body, 'initiative_types');
  const initiativeTypes = (Array.isArray(ticked) ? ticked : [ticked]).filter((value): value is string => typeof value === 'string');
  return { values: formValues(body), initiativeTypes };
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
  };
}

const UNKNOWN_JURISDICTION = 'Jurisdiction not recorded';

/**
 * What views/partials/resource-fields.hbs needs: the choices (kinds, initiative types, agencies
 * grouped by jurisdiction) with the submitted ones marked, and each field's value and message.
 */
export async function resourceFormData(deps: Pick<Deps, 'db'>, form: ResourceFormValues, errors: FieldErrors | undefined, ownAgencyId: number | null = null) {
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
    sectionHint: `Markdown works. At most ${RESOURCE_LIMITS.section.toLocaleString('en-AU')} characters each.`,
  };
}
