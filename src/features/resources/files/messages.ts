import { extensionOf } from './filename.js';
import type { Refusal } from './sniff.js';
import { MAX_UNCOMPRESSED_BYTES } from './zip.js';

/** Every accepted type, as a sentence ends with it. */
export const ACCEPTED = 'a PDF; a Word, Excel or PowerPoint file; an OpenDocument text, spreadsheet or presentation; a CSV or plain text file; or a PNG, JPEG, GIF or WebP image';

export function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toLocaleString('en-AU', { maximumFractionDigits: 1 })} MB`;
}

function refusalMessage(name: string, refusal: Refusal): string {
  const file = `“${name}”`;
  switch (refusal.reason) {
    case 'html':
      return `${file} is a web page (HTML), which Commons does not accept. Save it as a PDF and try again.`;
    case 'svg':
      return `${file} is an SVG image, which Commons does not accept because SVG can carry scripts. Save it as a PNG and try again.`;
    case 'xml':
      return `${file} is an XML file, which Commons does not accept. Attach ${ACCEPTED}.`;
    case 'program':
      return `${file} is a program, which Commons does not accept.`;
    case 'archive':
      return `${file} is an archive (such as a ZIP file), which Commons does not accept. Attach the files in it one by one.`;
    case 'old-office':
      return `${file} is in an older Office format (.doc, .xls or .ppt) or has a password. Save it as .docx, .xlsx or .pptx without a password and try again.`;
    case 'heic':
      return `${file} is a HEIC or AVIF photo, which Commons does not accept. Save it as a JPEG and try again.`;
    case 'not-utf8':
      return ['csv', 'txt'].includes(extensionOf(name) ?? '')
        ? `${file} is not UTF-8 text. Save it as UTF-8 (in Excel, choose “CSV UTF-8”) and try again.`
        : `${file} is not a type of file Commons accepts. Attach ${ACCEPTED}.`;
    case 'unknown':
      return `${file} is not a type of file Commons accepts. Attach ${ACCEPTED}.`;
    case 'broken-image':
      return `${file} is damaged or incomplete (${refusal.detail}). Save it again and try again.`;
    case 'not-pdf':
      return `${file} starts like a PDF but is not one Commons accepts (${refusal.detail}). Save it as a PDF again and try again.`;
    case 'too-many-pixels':
      return `${file} is ${refusal.detail}, more than the 50 million pixels an image may have. Make it smaller and try again.`;
    case 'hidden-markup':
      return `${file} has web page or script code hidden in it, which Commons does not accept. Save the image again and try again.`;
    case 'data-after-end':
      return `${file} has data after the end of the image, which Commons does not accept. Save the image again and try again.`;
    case 'not-office':
      return `${file} is a ZIP archive, not an Office or OpenDocument file, and Commons does not accept archives. Attach the files in it one by one.`;
    case 'macros':
      return `${file} contains macros, which Commons does not accept. Save it as .docx, .xlsx or .pptx and try again.`;
    case 'encrypted':
      return `${file} is protected with a password. Save it without one and try again.`;
    case 'too-big-inside':
      return `${file} is refused because ${refusal.detail}; a document may come to at most ${megabytes(MAX_UNCOMPRESSED_BYTES)}.`;
    case 'broken-zip':
      return `${file} is damaged (${refusal.detail}). Save it again and try again.`;
  }
}

export const FILE_MESSAGES = {
  refused: refusalMessage,
  tooLarge: (name: string, maxBytes: number) => `“${name}” is larger than ${megabytes(maxBytes)}, the most a file may be.`,
  empty: (name: string) => `“${name}” is empty.`,
  wrongExtension: (name: string, extension: string, typeLabel: string) => `“${name}” is named as a .${extension} file but is ${/^[AEIOU]/i.test(typeLabel) ? 'an' : 'a'} ${typeLabel}. Rename it or choose the right file.`,
  tooManyFiles: (max: number) => `Attach at most ${max} files at a time.`,
  requestTooLarge: (maxFiles: number, maxBytes: number) => `What you sent is larger than Commons accepts: at most ${maxFiles} files of ${megabytes(maxBytes)} each.`,
  tooManyParts: 'The form had far more fields or files than any form on this site. Reload the page and try again.',
  fieldTooLong: 'A field in the form was far longer than Commons accepts. Shorten it and try again.',
  incomplete: 'The form did not arrive whole: the connection may have been cut. Try again.',
  lengthRequired: 'The form was sent without saying how long it is. Try again from the page.',
  notMultipart: 'The form was sent in a format Commons does not accept here. Reload the page and try again.',
  storeBusy: 'A file could not be saved just now. Try again in a moment.',
} as const;
