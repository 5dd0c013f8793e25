/**
 * The types a file may have, decided from its bytes (never its name or the client's
 * Content-Type): what the resource library and post attachments accept. A file's name must end
 * in one of its type's extensions (the first is what a name without one is given).
 */
export const ALLOWED_FILE_TYPES = {
  'application/pdf': { label: 'PDF', image: false, extensions: ['pdf'] },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { label: 'Word document', image: false, extensions: ['docx'] },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { label: 'Excel workbook', image: false, extensions: ['xlsx'] },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': { label: 'PowerPoint presentation', image: false, extensions: ['pptx'] },
  'application/vnd.oasis.opendocument.text': { label: 'OpenDocument text', image: false, extensions: ['odt'] },
  'application/vnd.oasis.opendocument.spreadsheet': { label: 'OpenDocument spreadsheet', image: false, extensions: ['ods'] },
  'application/vnd.oasis.opendocument.presentation': { label: 'OpenDocument presentation', image: false, extensions: ['odp'] },
  'text/csv': { label: 'CSV', image: false, extensions: ['csv'] },
  'text/plain': { label: 'Plain text', image: false, extensions: ['txt'] },
  'image/png': { label: 'PNG image', image: true, extensions: ['png'] },
  'image/jpeg': { label: 'JPEG image', image: true, extensions: ['jpg', 'jpeg'] },
  'image/gif': { label: 'GIF image', image: true, extensions: ['gif'] },
  'image/webp': { label: 'WebP image', image: true, extensions: ['webp'] },
} as const;

export type AllowedFileType = keyof typeof ALLOWED_FILE_TYPES;

/**
 * An uploaded file that arrived whole and was accepted: it sits in a temporary file until it
 * is written to the store, and nothing of it is in the database yet.
 */
export interface ReceivedFile {
  /** The form field it came in. */
  field: string;
  tempPath: string;
  /** The name to show and to download under: a basename, control and bidi characters stripped, ≤ 200 characters. */
  name: string;
  byteSize: number;
  /** Lower-case hex; also the key it is stored under. */
  sha256: string;
  contentType: AllowedFileType;
  /** Images only, read from the header. */
  width: number | null;
  height: number | null;
}
