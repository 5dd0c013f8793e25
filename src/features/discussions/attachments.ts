import { z } from 'zod';
import { formValues, parseForm, textField, type FieldErrors } from '../../lib/forms.js';
import { PAGE_MESSAGES } from '../../lib/messages.js';
import { megabytes } from '../resources/files/messages.js';
import { ALLOWED_FILE_TYPES, type ReceivedFile } from '../resources/files/received-file.js';
import type { ReceivedForm } from '../resources/files/upload.js';
import { DISCUSSION_MESSAGES } from './messages.js';

/**
 * Files on a post. The form has five places, each a file input (`file_1` … `file_5`) with its
 * own description field beside it (`alt_1` … `alt_5`): every image gets its own alt text, and
 * the member sees which description goes with which file, with no script. (One input taking
 * several files would leave the descriptions to be matched by an order the page never shows.)
 * WCAG 2.2 1.1.1: an image posted without a description is refused, never shown as decorative.
 */
// As many as receiveForm takes in one form (MULTIPART_LIMITS.files).
export const ATTACHMENT_PLACES = [1, 2, 3, 4, 5] as const;
// The files table's check on alt_text.
export const ALT_TEXT_MAX = 500;

const altText = (place: number) => textField({ label: `Description of file ${place}`, max: ALT_TEXT_MAX, optional: true });

/** The description fields, for the strict schemas of the forms that carry them. */
export const ALT_TEXT_FIELDS = { alt_1: altText(1), alt_2: altText(2), alt_3: altText(3), alt_4: altText(4), alt_5: altText(5) };
const AltTexts = z.object(ALT_TEXT_FIELDS);

/** A received file and the description its member gave (images only). */
export type PostAttachment = ReceivedFile & { altText: string | null };

function placeOf(field: string): number | undefined {
  const place = /^file_([1-9])$/.exec(field)?.[1];
  return place !== undefined && Number(place) <= ATTACHMENT_PLACES.length ? Number(place) : undefined;
}

const isImage = (file: ReceivedFile) => ALLOWED_FILE_TYPES[file.contentType].image;

type AttachmentsResult = { ok: true; files: PostAttachment[] } | { ok: false; status: 413 | 422; errors: FieldErrors };

/** The form's files with their descriptions, in the order of their places; or what is wrong, by field. */
function attachmentsOf(form: ReceivedForm): AttachmentsResult {
  const errors: FieldErrors = {};
  for (const problem of form.problems) {
    const field = placeOf(problem.field) === undefined ? '_form' : problem.field;
    errors[field] ??= problem.message;
  }
  const byPlace = new Map<number, ReceivedFile>();
  for (const file of form.files) {
    const place = placeOf(file.field);
    if (place === undefined) errors._form ??= PAGE_MESSAGES.unexpectedField;
    else if (byPlace.has(place)) errors[file.field] ??= DISCUSSION_MESSAGES.oneFilePerPlace;
    else byPlace.set(place, file);
  }
  const alts = AltTexts.safeParse(form.fields);
  if (!alts.success) for (const issue of alts.error.issues) errors[String(issue.path[0])] ??= issue.message;
  const described = (place: number) => (alts.success ? alts.data[`alt_${place}` as keyof typeof alts.data] : '');
  for (const place of ATTACHMENT_PLACES) {
    const file = byPlace.get(place);
    if (file && isImage(file) && alts.success && described(place) === '') errors[`alt_${place}`] ??= DISCUSSION_MESSAGES.describeImage(file.name);
    // A description alone: its file was never chosen, or not chosen again after the form came back.
    if (!file && described(place) !== '' && errors[`file_${place}`] === undefined) errors[`alt_${place}`] ??= DISCUSSION_MESSAGES.descriptionWithoutFile(place);
  }
  if (Object.keys(errors).length > 0) return { ok: false, status: form.problems.some((problem) => problem.status === 413) ? 413 : 422, errors };
  return { ok: true, files: ATTACHMENT_PLACES.flatMap((place) => byPlace.get(place) ?? []).map((file) => ({ ...file, altText: isImage(file) ? described(placeOf(file.field)!) : null })) };
}

export type PostFormResult<T> =
  | { ok: true; data: T; files: PostAttachment[]; values: Record<string, string> }
  | { ok: false; status: 413 | 422; errors: FieldErrors; values: Record<string, string> };

/** A new thread's or a reply's form, its text and its files, checked together so one answer names every problem. */
export function parsePostForm<S extends z.ZodType>(schema: S, form: ReceivedForm): PostFormResult<z.infer<S>> {
  const parsed = parseForm(schema, form.fields);
  const attached = attachmentsOf(form);
  if (parsed.ok && attached.ok) return { ok: true, data: parsed.data, files: attached.files, values: formValues(form.fields) };
  return {
    ok: false,
    status: attached.ok ? 422 : attached.status,
    errors: { ...(parsed.ok ? {} : parsed.errors), ...(attached.ok ? {} : attached.errors) },
    values: parsed.ok ? formValues(form.fields) : parsed.values,
  };
}

/** What a form with attachment places shows: each place with its values and messages, and the hint. */
export function attachmentFields(maxFileBytes: number, values: Record<string, string>, errors: FieldErrors = {}, filesDropped = false) {
  const places = ATTACHMENT_PLACES.map((place) => ({
    place,
    fileName: `file_${place}`,
    altName: `alt_${place}`,
    altValue: values[`alt_${place}`],
    fileError: errors[`file_${place}`],
    altError: errors[`alt_${place}`],
  }));
  return {
    places,
    // Open when anything in it needs the member's attention again.
    open: filesDropped || places.some((place) => place.altValue || place.fileError || place.altError),
    filesDropped,
    chooseAgain: DISCUSSION_MESSAGES.chooseFilesAgain,
    hint: DISCUSSION_MESSAGES.attachmentsHint(ATTACHMENT_PLACES.length, megabytes(maxFileBytes)),
    accept: Object.values(ALLOWED_FILE_TYPES)
      .flatMap((type) => type.extensions.map((extension) => `.${extension}`))
      .join(','),
    altMax: ALT_TEXT_MAX,
  };
}
