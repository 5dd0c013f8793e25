import { StreamedParser, type FormatParser } from './byte-parser.js';
import { parseGif, parseJpeg, parsePng, parseWebp, type ImageHeader } from './images.js';
import { HiddenMarkupScanner, leadingMarkup } from './markup.js';

/**
 * What a file is, decided from its bytes as they stream past (never its name or the client's
 * Content-Type), against a closed list: PDF, ZIP (an Office or OpenDocument file once zip.ts has
 * read its central directory), UTF-8 text, and four image formats walked end to end. Anything
 * else is refused, with a reason the member can act on.
 */

/** Larger images are refused: a 50,000 × 50,000 PNG of a few kilobytes would take a decoder 10 GB. */
export const MAX_IMAGE_PIXELS = 50_000_000;

export type RefusalReason =
  | 'html'
  | 'svg'
  | 'xml'
  | 'program'
  | 'archive'
  | 'old-office'
  | 'heic'
  | 'not-utf8'
  | 'unknown'
  | 'broken-image'
  | 'not-pdf'
  | 'too-many-pixels'
  | 'hidden-markup'
  | 'data-after-end'
  | 'not-office'
  | 'macros'
  | 'encrypted'
  | 'too-big-inside'
  | 'broken-zip';

export interface Refusal {
  reason: RefusalReason;
  /** What exactly: "it ends before its image", "8,000 × 9,000 pixels". */
  detail?: string;
}

type ImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

export type Sniffed = { kind: 'pdf' } | { kind: 'text' } | { kind: 'zip' } | { kind: 'image'; type: ImageType; width: number; height: number };

export type SniffResult = { ok: true; sniffed: Sniffed } | { ok: false; refusal: Refusal };

interface Inspector {
  push(chunk: Buffer): void;
  /** Set as soon as the bytes seen settle a refusal: the rest need not be kept. */
  readonly refusal: Refusal | undefined;
  finish(): SniffResult;
}

// Enough for every signature below (a HEIC brand ends at byte 12).
const SIGNATURE_BYTES = 16;

export class FileSniffer {
  private head: Buffer[] = [];
  private headBytes = 0;
  private inspector: Inspector | undefined;

  get refusal(): Refusal | undefined {
    return this.inspector?.refusal;
  }

  push(chunk: Buffer): void {
    if (this.inspector) {
      if (!this.inspector.refusal) this.inspector.push(chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes >= SIGNATURE_BYTES) this.startInspecting();
  }

  finish(): SniffResult {
    if (!this.inspector) this.startInspecting();
    const refusal = this.inspector!.refusal;
    return refusal ? { ok: false, refusal } : this.inspector!.finish();
  }

  private startInspecting(): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    this.inspector = inspectorFor(head);
    this.inspector.push(head);
  }
}

const ascii = (text: string) => Buffer.from(text, 'latin1');

function startsWith(head: Buffer, signature: Buffer | number[], at = 0): boolean {
  const bytes = Buffer.isBuffer(signature) ? signature : Buffer.from(signature);
  return head.length >= at + bytes.length && head.subarray(at, at + bytes.length).equals(bytes);
}

const PROGRAMS = [ascii('MZ'), ascii('\x7fELF'), [0xfe, 0xed, 0xfa, 0xce], [0xce, 0xfa, 0xed, 0xfe], [0xfe, 0xed, 0xfa, 0xcf], [0xcf, 0xfa, 0xed, 0xfe], [0xca, 0xfe, 0xba, 0xbe], ascii('\0asm')];
const ARCHIVES = [[0x1f, 0x8b], ascii('Rar!\x1a\x07'), ascii('7z\xbc\xaf\x27\x1c'), ascii('BZh'), ascii('\xfd7zXZ\0'), ascii('PK\x05\x06'), ascii('PK\x07\x08'), [0x28, 0xb5, 0x2f, 0xfd]];
// Compound File Binary: .doc, .xls, .ppt, and any Office file saved with a password.
const COMPOUND_FILE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis']);

function inspectorFor(head: Buffer): Inspector {
  if (startsWith(head, ascii('%PDF-'))) return new PdfInspector();
  if (startsWith(head, ascii('PK\x03\x04'))) return accepting({ kind: 'zip' });
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47])) return new ImageInspector('image/png', parsePng());
  if (startsWith(head, [0xff, 0xd8, 0xff])) return new ImageInspector('image/jpeg', parseJpeg());
  if (startsWith(head, ascii('GIF8'))) return new ImageInspector('image/gif', parseGif());
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return new ImageInspector('image/webp', parseWebp());
  if (PROGRAMS.some((signature) => startsWith(head, signature))) return refusing('program');
  if (ARCHIVES.some((signature) => startsWith(head, signature))) return refusing('archive');
  if (startsWith(head, COMPOUND_FILE)) return refusing('old-office');
  if (startsWith(head, ascii('ftyp'), 4)) return refusing(HEIF_BRANDS.has(head.toString('latin1', 8, 12)) ? 'heic' : 'unknown');
  return new TextInspector();
}

function accepting(sniffed: Sniffed): Inspector {
  return { push() {}, refusal: undefined, finish: () => ({ ok: true, sniffed }) };
}

function refusing(reason: RefusalReason): Inspector {
  return { push() {}, refusal: { reason }, finish: () => ({ ok: false, refusal: { reason } }) };
}

// A PDF's first kilobyte is its header and first objects; its last holds the trailer.
const PDF_END_BYTES = 1024;
const PDF_HEAD_BYTES = 1024;
const ZIP_LOCAL_HEADER = ascii('PK\x03\x04');
const PDF_END = ascii('%%EOF');
// PDF 2.0 §7.2.3's white-space characters.
const PDF_WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);

/**
 * A PDF is its `%PDF-` header and a trailer ending in `%%EOF`, with no ZIP entry or page markup
 * in its first kilobyte, where polyglots put what another reader should find. Only the first and
 * last kilobyte are kept, whatever the file's size.
 */
class PdfInspector implements Inspector {
  refusal: Refusal | undefined;
  private readonly markup = new HiddenMarkupScanner();
  private head: Buffer[] = [];
  private headBytes = 0;
  private end = Buffer.alloc(0);

  push(chunk: Buffer): void {
    if (this.headBytes < PDF_HEAD_BYTES) {
      const piece = chunk.subarray(0, PDF_HEAD_BYTES - this.headBytes);
      this.head.push(piece);
      this.headBytes += piece.length;
      this.markup.push(piece);
      if (this.headBytes === PDF_HEAD_BYTES) this.checkHead();
    }
    const kept = chunk.subarray(Math.max(0, chunk.length - PDF_END_BYTES));
    this.end = Buffer.concat([this.end.subarray(Math.max(0, this.end.length + kept.length - PDF_END_BYTES)), kept]);
  }

  finish(): SniffResult {
    if (!this.refusal && this.headBytes < PDF_HEAD_BYTES) this.checkHead();
    if (!this.refusal) {
      const at = this.end.lastIndexOf(PDF_END);
      if (at === -1 || !this.end.subarray(at + PDF_END.length).every((byte) => PDF_WHITESPACE.has(byte))) this.refusal = { reason: 'not-pdf', detail: 'it does not end as a PDF does' };
    }
    return this.refusal ? { ok: false, refusal: this.refusal } : { ok: true, sniffed: { kind: 'pdf' } };
  }

  private checkHead(): void {
    if (Buffer.concat(this.head).includes(ZIP_LOCAL_HEADER)) this.refusal = { reason: 'not-pdf', detail: 'it has a ZIP archive at its start' };
    else if (this.markup.found) this.refusal = { reason: 'not-pdf', detail: 'it has web page code at its start' };
    this.head = [];
  }
}

class ImageInspector implements Inspector {
  private readonly parser: StreamedParser<ImageHeader>;

  constructor(private readonly type: ImageType, format: FormatParser<ImageHeader>) {
    this.parser = new StreamedParser(format);
  }

  get refusal(): Refusal | undefined {
    return this.parser.settled ? refusalOf(this.parser.finish()) : undefined;
  }

  push(chunk: Buffer): void {
    this.parser.push(chunk);
  }

  finish(): SniffResult {
    const outcome = this.parser.finish();
    const refusal = refusalOf(outcome);
    if (refusal || outcome.state !== 'done') return { ok: false, refusal: refusal ?? { reason: 'broken-image' } };
    const { width, height, pixels, trailingAllowed } = outcome.result;
    if (pixels > MAX_IMAGE_PIXELS) return { ok: false, refusal: { reason: 'too-many-pixels', detail: `${width.toLocaleString('en-AU')} × ${height.toLocaleString('en-AU')} pixels` } };
    if (outcome.trailingBytes > 0 && !trailingAllowed) return { ok: false, refusal: { reason: 'data-after-end' } };
    return { ok: true, sniffed: { kind: 'image', type: this.type, width, height } };
  }
}

function refusalOf(outcome: ReturnType<StreamedParser<ImageHeader>['finish']>): Refusal | undefined {
  if (outcome.state === 'hidden-markup') return { reason: 'hidden-markup' };
  if (outcome.state === 'unreadable') return { reason: 'broken-image', detail: outcome.detail };
  if (outcome.state === 'truncated') return { reason: 'broken-image', detail: 'it stops before its end' };
  return undefined;
}

// WHATWG's binary data bytes: no text file holds these (tab, line breaks, form feed and escape aside).
function isBinaryByte(byte: number): boolean {
  return byte <= 0x08 || byte === 0x0b || (byte >= 0x0e && byte <= 0x1a) || (byte >= 0x1c && byte <= 0x1f);
}

// Enough of the start to see past leading whitespace to a tag, and to tell SVG from other XML.
const TEXT_HEAD_BYTES = 4096;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** CSV or plain text: UTF-8 all through, no binary bytes, and not a page or an image in disguise. */
class TextInspector implements Inspector {
  refusal: Refusal | undefined;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private head: Buffer[] = [];
  private headBytes = 0;

  push(chunk: Buffer): void {
    if (this.refusal) return;
    if (this.headBytes < TEXT_HEAD_BYTES) {
      this.head.push(chunk.subarray(0, TEXT_HEAD_BYTES - this.headBytes));
      this.headBytes += Math.min(chunk.length, TEXT_HEAD_BYTES - this.headBytes);
      if (this.headBytes === TEXT_HEAD_BYTES) this.checkStart();
    }
    for (let i = 0; i < chunk.length; i += 1) {
      if (isBinaryByte(chunk[i]!)) {
        this.refusal = { reason: 'unknown' };
        return;
      }
    }
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.refusal = { reason: 'not-utf8' };
    }
  }

  finish(): SniffResult {
    if (!this.refusal && this.headBytes < TEXT_HEAD_BYTES) this.checkStart();
    if (!this.refusal) {
      try {
        this.decoder.decode();
      } catch {
        this.refusal = { reason: 'not-utf8' };
      }
    }
    return this.refusal ? { ok: false, refusal: this.refusal } : { ok: true, sniffed: { kind: 'text' } };
  }

  private checkStart(): void {
    let head = Buffer.concat(this.head);
    if (startsWith(head, UTF8_BOM)) head = head.subarray(UTF8_BOM.length);
    const markup = leadingMarkup(head);
    if (markup) this.refusal = { reason: markup };
  }
}
