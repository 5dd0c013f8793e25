import { fileUrl } from './filename.js';
import { ALLOWED_FILE_TYPES, type AllowedFileType } from './received-file.js';

const UNITS = ['bytes', 'KB', 'MB', 'GB'];

/** "812 bytes", "14 KB", "2.5 MB": a size as a file list shows it. */
function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 || value >= 10 ? Math.round(value).toLocaleString('en-AU') : value.toFixed(1);
  return `${shown} ${UNITS[unit]}`;
}

/** A file as a list shows it, on a resource page or under a post: a link, what it is, how big. */
export interface FileLink {
  href: string;
  name: string;
  typeLabel: string;
  size: string;
}

export function fileLink(file: { id: number; name: string; contentType: AllowedFileType; byteSize: number }): FileLink {
  return { href: fileUrl(file), name: file.name, typeLabel: ALLOWED_FILE_TYPES[file.contentType].label, size: formatSize(file.byteSize) };
}
