import { trimInvisible } from '../../../lib/forms.js';
import { ALLOWED_FILE_TYPES, type AllowedFileType } from './received-file.js';

/**
 * A file's name is shown and sent back in Content-Disposition, never used as a path (files are
 * stored by their SHA-256). What is kept of the name the browser sent: its last path segment,
 * without control, format (bidi overrides, zero-width characters) or separator characters, at
 * most 200 characters with its extension, and never empty (SECURITY.md, the bar rows 5 and 25).
 */
export const MAX_NAME_LENGTH = 200;
// Longer than this after the last dot is part of the name, not an extension.
const MAX_EXTENSION_LENGTH = 16;
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

/** The sent name cleaned, before its type is known; may be empty. */
export function cleanName(sent: string): string {
  const base = sent.split(/[/\\]/).pop()!;
  const shown = trimInvisible(base.replace(UNSHOWABLE, '').normalize('NFC'));
  return shown === '.' || shown === '..' ? '' : shown;
}

/** The extension, lower case and without its dot; none for `report`, `report.` or `.profile`. */
export function extensionOf(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1 || name.length - dot - 1 > MAX_EXTENSION_LENGTH) return undefined;
  return name.slice(dot + 1).toLowerCase();
}

export type SettledType = { ok: true; type: AllowedFileType } | { ok: false; extension: string };

/**
 * The type a file is stored as: what its bytes are, where its name agrees. Text is CSV when
 * named `.csv`; a name without an extension takes its type's.
 */
export function settleType(detected: AllowedFileType | 'text', name: string): SettledType {
  const extension = extensionOf(name);
  if (detected === 'text') {
    if (extension === 'csv') return { ok: true, type: 'text/csv' };
    if (extension === undefined || extension === 'txt') return { ok: true, type: 'text/plain' };
    return { ok: false, extension };
  }
  if (extension === undefined || (ALLOWED_FILE_TYPES[detected].extensions as readonly string[]).includes(extension)) return { ok: true, type: detected };
  return { ok: false, extension };
}

/** The name to store: the cleaned one (or `file`), given its type's extension if it has none, cut to 200 characters. */
export function displayName(cleaned: string, type: AllowedFileType): string {
  const base = cleaned === '' ? 'file' : cleaned;
  const named = extensionOf(base) === undefined ? `${base}.${ALLOWED_FILE_TYPES[type].extensions[0]}` : base;
  return cutKeepingExtension(named, MAX_NAME_LENGTH);
}

/** The sent name as messages quote it, before its type is known. */
export function nameForMessages(cleaned: string): string {
  return cleaned === '' ? 'file' : cutKeepingExtension(cleaned, MAX_NAME_LENGTH);
}

function cutKeepingExtension(name: string, max: number): string {
  const characters = Array.from(name);
  if (characters.length <= max) return name;
  const extension = extensionOf(name);
  const suffix = extension === undefined ? '' : name.slice(name.lastIndexOf('.'));
  return trimInvisible(characters.slice(0, max - Array.from(suffix).length).join('')) + suffix;
}

const URL_NAME_LENGTH = 100;

/**
 * The name as it appears in a download's address: ASCII letters, digits, `-`, `_` and `.` only,
 * at most about 100 characters, so the address needs no escaping. Only cosmetic: the real name
 * travels in Content-Disposition.
 */
export function urlName(name: string): string {
  const extension = extensionOf(name);
  const stem = extension === undefined ? name : name.slice(0, name.lastIndexOf('.'));
  const ascii = (text: string) =>
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, URL_NAME_LENGTH);
  const shownStem = ascii(stem) || 'file';
  const shownExtension = extension === undefined ? '' : ascii(extension);
  return shownExtension ? `${shownStem}.${shownExtension}` : shownStem;
}

/** Where a stored file is downloaded from. */
export function fileUrl(file: { id: number; name: string }): string {
  return `/files/${file.id}/${urlName(file.name)}`;
}
