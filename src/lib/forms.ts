import { z } from 'zod';
import { BadRequest, HttpError, NotFound, Refused } from './errors.js';
import { PAGE_MESSAGES } from './messages.js';

/**
 * Form input, from the raw body to typed values: strict decoding (invalid UTF-8 is a 400, never
 * a silent U+FFFD), no prototype keys, and text fields that refuse NUL bytes and lone surrogates
 * and count whitespace-only (including zero-width characters) as empty.
 */

export type FormBody = Record<string, string | string[]>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// No form of ours has more than a few dozen fields; thousands of them are an attack on the parser.
export const MAX_FORM_FIELDS = 200;

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new BadRequest(PAGE_MESSAGES.invalidEncoding);
  }
}

/** application/x-www-form-urlencoded (and query strings), decoded strictly. */
export function parseUrlEncoded(raw: string): FormBody {
  // A raw U+FFFD means the body held bytes that were not UTF-8 (browsers percent-encode it).
  if (raw.includes('\uFFFD')) throw new BadRequest(PAGE_MESSAGES.invalidEncoding);
  const result: FormBody = Object.create(null);
  if (raw === '') return result;
  const pairs = raw.split('&', MAX_FORM_FIELDS + 1);
  if (pairs.length > MAX_FORM_FIELDS) throw new HttpError(413, PAGE_MESSAGES.tooManyFields);
  for (const pair of pairs) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = decodeComponent(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decodeComponent(pair.slice(equals + 1));
    if (FORBIDDEN_KEYS.has(key) || /[[\]]/.test(key)) throw new BadRequest(PAGE_MESSAGES.unexpectedField);
    const existing = result[key];
    if (existing === undefined) result[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[key] = [existing, value];
  }
  return result;
}

// Unicode whitespace plus the invisible format characters people paste (zero-width space,
// joiners, the byte-order mark): a value made only of these is empty. Trimmed with index loops:
// a regular expression anchored at the end is quadratic on a long run of spaces.
const INVISIBLE = /[\s\u200B-\u200F\u2060-\u2064\uFEFF\u00AD]/;

export function trimInvisible(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && INVISIBLE.test(value[start]!)) start += 1;
  while (end > start && INVISIBLE.test(value[end - 1]!)) end -= 1;
  return value.slice(start, end);
}
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface TextFieldOptions {
  label: string;
  max: number;
  /** What to say when it is empty; "Enter <label in lower case>" by default. */
  required?: string;
  optional?: boolean;
  multiline?: boolean;
}

/** A text field: trimmed, NFC-normalised, length-checked in code points. A missing field is empty. */
export function textField({ label, max, required = `Enter ${label.toLowerCase()}`, optional = false, multiline = false }: TextFieldOptions) {
  return z.preprocess((value) => value ?? '', textValue({ label, max, required, optional, multiline }));
}

function textValue({ label, max, required, optional, multiline }: Required<TextFieldOptions>) {
  return z
    .string({ error: `${label} must be text` })
    .superRefine((value, ctx) => {
      if (value.includes('\0')) ctx.addIssue({ code: 'custom', message: `${label} must not contain NUL characters` });
      else if (LONE_SURROGATE.test(value)) ctx.addIssue({ code: 'custom', message: `${label} contains characters that are not valid text` });
      else if (!multiline && /[\r\n]/.test(value)) ctx.addIssue({ code: 'custom', message: `${label} must be on one line` });
    })
    .transform((value) => trimInvisible(value).normalize('NFC'))
    .superRefine((value, ctx) => {
      const length = [...value].length;
      if (length === 0 && !optional) ctx.addIssue({ code: 'custom', message: required });
      else if (length > max) ctx.addIssue({ code: 'custom', message: `${label} must be at most ${max.toLocaleString('en-AU')} characters (it is ${length.toLocaleString('en-AU')})` });
    });
}

/** The hidden field that makes a double submit land once (a unique index holds it). */
// Ids are bigint in the database and numbers here: one past what a number holds exactly names
// nothing (and must never reach PostgreSQL rounded, or past bigint as an error).
const MAX_ID = BigInt(Number.MAX_SAFE_INTEGER);

/** A positive database id from a path, query or form, refused with `message`; anything else fails to parse. */
export function databaseIdField(message: string) {
  return z
    .string({ error: message })
    .regex(/^[1-9][0-9]{0,18}$/, message)
    // Zod runs this even when the pattern failed: BigInt must never see anything but digits.
    .refine((value) => /^[0-9]+$/.test(value) && BigInt(value) <= MAX_ID, message)
    .transform(Number);
}

/** A query filter left empty is no filter: a form of filters sends every field, filled or not. */
export const blankAsMissing = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

export const formToken = z.uuid({ error: 'This form is missing its token; reload the page and try again' });

export type FieldErrors = Record<string, string>;

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors; values: Record<string, string> };

/** Parses a form; on failure, one message per field and the values to re-fill it with. */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): FormResult<z.infer<S>> {
  const input = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path.length > 0 ? String(issue.path[0]) : '_form';
    if (issue.code === 'unrecognized_keys') {
      errors._form ??= PAGE_MESSAGES.unexpectedField;
      continue;
    }
    errors[field] ??= issue.message;
  }
  return { ok: false, errors, values: formValues(input) };
}

/** One field exactly as submitted (a password must be checked as typed, NUL and all). */
export function rawField(body: unknown, name: string): unknown {
  return body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

/** The submitted text fields, to re-fill a form with (never the CSRF token, never a NUL). */
export function formValues(body: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  if (!body || typeof body !== 'object') return values;
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string' && key !== '_csrf') values[key] = value.replace(/\0/g, '');
  }
  return values;
}

/** Path parameters: one that does not parse names nothing here, so the page is not found. */
export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new NotFound();
  return parsed.data;
}

/** A query string: one that does not parse is a 400 page saying what was wrong (schemas word each message). */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = schema.safeParse(query ?? {});
  if (!parsed.success) throw new BadRequest(queryProblem(parsed.error.issues[0]));
  return parsed.data;
}

/** A service's refusal of a form (422) as its field errors, for the page to show again; anything else goes on up. */
export function refusalAsFieldErrors(error: unknown): FieldErrors {
  if (error instanceof Refused && error.statusCode === 422) return { [error.field]: error.message };
  throw error;
}

/** Zod's own words for a field the address should not have name it in code; a person reads this. */
function queryProblem(issue: z.core.$ZodIssue | undefined): string {
  return issue?.code === 'unrecognized_keys' ? PAGE_MESSAGES.unexpectedFilter : (issue?.message ?? '');
}

/**
 * A list page's filters from its query string. On failure: the first problem, keyed by the filter
 * it is about (so the summary links to it and the field says it too), and the filters as typed
 * (single strings only) to re-fill the form beside it.
 */
export function parseFilterQuery<S extends z.ZodType>(
  schema: S,
  query: unknown,
  fields: readonly string[],
): { ok: true; data: z.infer<S> } | { ok: false; field: string; message: string; typed: Record<string, string> } {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? '_form');
  return {
    ok: false,
    field: fields.includes(field) ? field : '_form',
    message: queryProblem(issue),
    typed: typedFilters(query, fields),
  };
}

/** The filters as typed, to re-fill the form beside a message about them: single strings only, never a NUL. */
export function typedFilters(query: unknown, fields: readonly string[]): Record<string, string> {
  const raw = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  return Object.fromEntries(fields.map((name) => [name, typeof raw[name] === 'string' ? raw[name].replace(/\0/g, '') : '']));
}
