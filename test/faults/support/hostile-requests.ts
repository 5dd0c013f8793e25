import fc from 'fast-check';
import { LONE_SURROGATE } from '../../../src/lib/forms.js';
import type { RegisteredRoute } from '../../../src/plugins/access.js';
import { MultipartBody, type FormPart } from '../../support/uploads.js';

/**
 * Random requests for the hostile-input sweep: a route from the app's inventory, its path
 * parameters, a query string and a form, each value drawn from what a form of ours expects, what
 * an attacker sends, or nothing at all.
 */

/** What the test knows of the database, so a good share of requests name things that exist. */
export interface KnownValues {
  ids: number[];
  slugs: string[];
  handles: string[];
  emails: string[];
}

/** Field names the app's forms and schemas use (grepped from views/ and src/features/*\/schemas.ts). */
const FIELD_NAMES = [
  'action', 'actor', 'agency', 'agency_id', 'agency_type', 'answer', 'author', 'bio', 'body', 'case_study', 'category', 'code',
  'current_password', 'description', 'digest_hour', 'display_name', 'domain', 'effect', 'email', 'external_url', 'from', 'handle',
  'helpful', 'initiative', 'initiative_types', 'into', 'into_id', 'job_title', 'jurisdiction', 'kind', 'label', 'lessons', 'level',
  'link', 'member', 'message', 'move_to', 'name', 'new_password', 'next', 'note', 'outcome', 'page', 'parent_id', 'password',
  'position', 'post', 'posts', 'q', 'quote', 'reason', 'reply_to', 'resource', 'role', 'slug', 'sort', 'state', 'status', 'subject',
  'summary', 'tag', 'tags', 'target_type', 'time_zone', 'title', 'to', 'type', 'until', 'version', 'view', 'visible_to',
  'watched_reply', 'watched_thread', 'accept_guidelines', 'conduct', 'context', 'approach', 'section', 'policy', 'limit',
];

/** Values the forms' enums and checkboxes accept, so a random form sometimes passes validation. */
const WORDS = [
  'on', 'true', 'false', '1', '0', 'yes', 'member', 'moderator', 'administrator', 'guide', 'case_study', 'spam', 'off_topic', 'other',
  'disrespectful', 'newest', 'oldest', 'helpful', 'all', 'open', 'closed', 'commonwealth', 'state', 'territory', 'local', 'department',
  'regulator', 'council', 'hide', 'keep', 'members', 'moderators', 'daily', 'weekly', 'never', 'immediately', 'post', 'resource',
  'Australia/Sydney', 'UTC', '2030-01-31', '2020-01-01', '/', '/c', 'https://example.gov.au/report', 'finance.gov.au', 'allow', 'block',
  'Shared payroll pilot', 'What we learnt from moving records to the cloud', 'A reply with **Markdown** and a [link](https://example.gov.au).',
];

/** Values meant to break something: NUL, lone surrogates, bidi overrides, CRLF header injection, markup, numbers out of range. */
const HOSTILE_VALUES = [
  'a\u0000b', '\u0000', '\uD800', 'x\uDC00y', 'invoice\u202Efdp.exe', '\u200B\u200D', ' \t\n ', 'a@finance.gov.au\r\nBcc: x@evil.example',
  'subject\r\nX-Injected: 1', '<script>alert(1)</script>', '[x](javascript:alert(1))', "' OR 1=1 --", '%_\\', '{{constructor.constructor}}',
  '-1', '0', '1.5', '1e309', 'NaN', '99999999999999999999', '9223372036854775808', '-9223372036854775809', '0x10', ' 1 ', '',
  '../../etc/passwd', '//evil.example', 'https://evil.example', 'javascript:alert(1)', '𝒜😀漢字', 'e\u0301', 'Ａ＠ｂ．ｃｏｍ',
  'jane@finance.gov.au.evil.com', 'jane@xn--fnance-xxx.gov.au', '!&:*(', 'null', 'undefined', '[]', '{}',
];

/** Sizes either side of the field limits (150-character titles, 32,000-character posts) and the 256 KiB body limit. */
const OVERSIZED = [151, 256, 1_001, 5_001, 32_001, 300 * 1024];

const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', '__proto__[isAdmin]', 'constructor[prototype][x]', 'a[b]'];

/**
 * A field's value. A lone surrogate can only travel as bytes that are not UTF-8, which the body
 * parser refuses before any handler runs: only a hostile envelope sends one, so that the other
 * cases reach the handlers.
 */
export function valueArbitrary(known: KnownValues, hostileEnvelope: boolean): fc.Arbitrary<string> {
  const value = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...WORDS) },
    { weight: 3, arbitrary: fc.constantFrom(...known.ids).map(String) },
    { weight: 1, arbitrary: fc.constantFrom(...known.slugs, ...known.handles, ...known.emails) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
    { weight: 1, arbitrary: fc.constantFrom(...OVERSIZED).map((size) => 'x'.repeat(size)) },
  );
  return hostileEnvelope ? value : value.map((text) => text.replace(LONE_SURROGATES, ''));
}

/** A field's name: mostly one the app uses, sometimes random; in a hostile envelope, now and then a prototype or bracketed key. */
const fieldName = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 1, arbitrary: fc.stringMatching(/^[^[\]]{1,12}$/) });
const hostileFieldName = fc.oneof({ weight: 4, arbitrary: fieldName }, { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) });

/** Name and values (two or more values are a repeated key, a=1&a=2). */
export type Fields = [string, string[]][];

export function fieldsArbitrary(known: KnownValues, maxFields: number, hostileEnvelope: boolean): fc.Arbitrary<Fields> {
  const value = valueArbitrary(known, hostileEnvelope);
  const values = fc.oneof({ weight: 6, arbitrary: value.map((text) => [text]) }, { weight: 1, arbitrary: fc.array(value, { minLength: 2, maxLength: 3 }) });
  return fc.array(fc.tuple(hostileEnvelope ? hostileFieldName : fieldName, values), { maxLength: maxFields });
}

function pathValue(known: KnownValues, name: string): fc.Arbitrary<string> {
  const real = name === 'slug' ? known.slugs : name === 'handle' ? known.handles : known.ids.map(String);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...real) },
    { weight: 1, arbitrary: fc.constantFrom(...known.ids).map(String) },
    { weight: 2, arbitrary: fc.constantFrom('-1', '0', '1.5', '1e3', '99999999999999999999', '9223372036854775807', '%00', '%FF', '%C0%AF', '%C3%28', '..%2F..', 'a%20b', '%E2%80%AE', 'sample') },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.base64String({ minLength: 4, maxLength: 60 }).map((text) => text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '')) },
  );
}

/** The route's URL with each `:param` (and `*`) filled. */
export function urlArbitrary(route: RegisteredRoute, known: KnownValues): fc.Arbitrary<string> {
  const names = [...route.url.matchAll(/:([A-Za-z]+)|\*/g)].map((match) => match[1] ?? 'wildcard');
  return fc.tuple(...names.map((name) => pathValue(known, name))).map((values) => {
    let index = 0;
    return route.url.replace(/:[A-Za-z]+|\*/g, () => values[index++]!);
  });
}

/** How the form travels: as a browser sends it, with raw bytes that are not UTF-8 (in the route's own encoding), or multipart. */
export type Encoding = 'urlencoded' | 'raw-bytes' | 'multipart';

export type TokenChoice = 'valid' | 'missing' | 'wrong';

export interface HostileCase {
  route: RegisteredRoute;
  url: string;
  query: Fields;
  fields: Fields;
  encoding: Encoding;
  csrf: TokenChoice;
  formToken: boolean;
  /** Bytes that are not UTF-8, spliced into a raw body or query string. */
  badBytes: number[];
}

const INVALID_UTF8 = [[0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80]];

/**
 * A case for one role: three times in four a route its access level lets it reach, so that most
 * requests get past the guard to the handler; otherwise any route (the guard must refuse it).
 * Four times in five the envelope is what our own pages send (a valid token, urlencoded or the
 * route's multipart, field names without brackets) so that the fields meet the handler's own
 * validation; otherwise the envelope is hostile too: a missing or wrong token, raw bytes that are
 * not UTF-8, prototype and bracketed keys, multipart where none is taken.
 */
export function caseArbitrary(reachable: RegisteredRoute[], routes: RegisteredRoute[], known: KnownValues): fc.Arbitrary<HostileCase> {
  const route = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...reachable) }, { weight: 1, arbitrary: fc.constantFrom(...routes) });
  return fc.tuple(route, fc.nat(4)).chain(([route, envelope]) => {
    const hostileEnvelope = envelope === 0;
    const ownEncoding: Encoding = route.config.multipartForm ? 'multipart' : 'urlencoded';
    return fc.record({
      route: fc.constant(route),
      url: urlArbitrary(route, known),
      query: fc.oneof({ weight: 3, arbitrary: fc.constant<Fields>([]) }, { weight: 1, arbitrary: fieldsArbitrary(known, 4, hostileEnvelope) }),
      fields: fieldsArbitrary(known, 8, hostileEnvelope),
      encoding: hostileEnvelope ? fc.constantFrom<Encoding>('urlencoded', 'raw-bytes', 'raw-bytes', 'multipart') : fc.constant(ownEncoding),
      csrf: hostileEnvelope ? fc.constantFrom<TokenChoice>('valid', 'missing', 'wrong') : fc.constant<TokenChoice>('valid'),
      formToken: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      badBytes: fc.constantFrom(...INVALID_UTF8),
    });
  });
}

/**
 * Percent-encoding that keeps a lone surrogate as its three WTF-8 bytes (encodeURIComponent
 * throws on one, and a browser would send U+FFFD): the server must refuse them, not store them.
 */
function encodeComponent(text: string): string {
  return text
    .split(new RegExp(`(${LONE_SURROGATE.source})`))
    .map((piece, index) => {
      if (index % 2 === 0) return encodeURIComponent(piece);
      const unit = piece.charCodeAt(0);
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    })
    .join('');
}

function percentEncode(fields: Fields): string {
  return fields.flatMap(([name, values]) => values.map((value) => `${encodeComponent(name)}=${encodeComponent(value)}`)).join('&');
}

/** The form the case sends: its own fields, then the tokens its page would have given it. */
export function formFields(hostile: HostileCase, csrfToken: string, formToken: string): Fields {
  const tokens: Fields = [];
  if (hostile.csrf === 'valid') tokens.push(['_csrf', [csrfToken]]);
  if (hostile.csrf === 'wrong') tokens.push(['_csrf', [`${csrfToken.slice(0, -2)}xx`]]);
  if (hostile.formToken) tokens.push(['form_token', [formToken]]);
  return [...tokens, ...hostile.fields];
}

/** The URL with the case's query string, raw bytes and all for a raw-bytes case. */
export function requestUrl(hostile: HostileCase): string {
  const query = percentEncode(hostile.query);
  if (hostile.encoding === 'raw-bytes' && hostile.route.method === 'GET') return `${hostile.url}?q=${hostile.badBytes.map((byte) => `%${byte.toString(16).toUpperCase()}`).join('')}${query ? `&${query}` : ''}`;
  return query ? `${hostile.url}?${query}` : hostile.url;
}

// Stands in a multipart field's value for the raw bytes spliced in after the body is built.
const RAW_BYTES_MARK = 'RAW-BYTES-NOT-UTF-8';

export function requestBody(hostile: HostileCase, fields: Fields): { payload: Buffer; contentType: string } {
  const rawBytes = hostile.encoding === 'raw-bytes';
  if (hostile.encoding === 'multipart' || (rawBytes && hostile.route.config.multipartForm)) {
    const parts: FormPart[] = fields.flatMap(([name, values]) => values.map((value) => ({ name: name.replace(/["\r\n]/g, '_'), value })));
    const body = new MultipartBody(rawBytes ? [...parts, { name: 'body', value: RAW_BYTES_MARK }] : parts);
    const payload = body.toBuffer();
    if (!rawBytes) return { payload, contentType: body.contentType };
    const at = payload.lastIndexOf(RAW_BYTES_MARK);
    return { payload: Buffer.concat([payload.subarray(0, at), Buffer.from(hostile.badBytes), payload.subarray(at + RAW_BYTES_MARK.length)]), contentType: body.contentType };
  }
  const encoded = Buffer.from(percentEncode(fields));
  const payload = rawBytes ? Buffer.concat([encoded, Buffer.from(`${encoded.length ? '&' : ''}body=`), Buffer.from(hostile.badBytes)]) : encoded;
  return { payload, contentType: 'application/x-www-form-urlencoded' };
}
