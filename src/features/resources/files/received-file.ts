/**
 * The types a file may have, decided from its bytes (never its name or the client's
 * Content-Type): what the resource library and post attachments accept.
 */
export const ALLOWED_FILE_TYPES = {
  'application/pdf': { label: 'PDF', image: false },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { label: 'Word document', image: false },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { label: 'Excel workbook', image: false },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': { label: 'PowerPoint presentation', image: false },
  'application/vnd.oasis.opendocument.text': { label: 'OpenDocument text', image: false },
  'application/vnd.oasis.opendocument.spreadsheet': { label: 'OpenDocument spreadsheet', image: false },
  'application/vnd.oasis.opendocument.presentation': { label: 'OpenDocument presentation', image: false },
  'text/csv': { label: 'CSV', image: false },
  'text/plain': { label: 'Plain text', image: false },
  'image/png': { label: 'PNG image', image: true },
  'image/jpeg': { label: 'JPEG image', image: true },
  'image/gif': { label: 'GIF image', image: true },
  'image/webp': { label: 'WebP image', image: true },
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
