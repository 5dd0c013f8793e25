/**
 * Markup where none belongs: at the start of a text file (where a browser's sniffer would take
 * it for a page, WHATWG MIME Sniffing §7.1) and in an image's metadata (a PNG/HTML polyglot).
 */

// After a tag name, what ends it: WHATWG's tag-terminating bytes (space, `>`), and what an HTML
// parser also accepts there (tab, line breaks, `/`).
const TAG_ENDS = new Set([0x20, 0x3e, 0x09, 0x0a, 0x0c, 0x0d, 0x2f]);

// WHATWG's patterns for "text/html", each followed by a tag-terminating byte.
const HTML_START = ['!doctype html', 'html', 'head', 'script', 'iframe', 'h1', 'div', 'font', 'table', 'a', 'style', 'title', 'b', 'body', 'br', 'p', '!--'];

// Inside images only tag names of three letters or more: binary data holds `<a ` or `<p>` by
// chance every few megabytes, `<svg ` about once in 60 GB.
const HIDDEN_TAGS = ['!doctype', 'html', 'head', 'script', 'iframe', 'body', 'style', 'title', 'table', 'font', 'svg', 'object', 'embed', 'meta', 'form', 'link', 'frameset'];
const LONGEST_HIDDEN = Math.max(...HIDDEN_TAGS.map((tag) => tag.length)) + 2;

const WHITESPACE = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x20]);

/** `byte` is `lower`, or its capital when `lower` is a letter a-z. */
function sameIgnoringCase(byte: number, lower: number): boolean {
  return byte === lower || (lower >= 0x61 && lower <= 0x7a && byte === lower - 0x20);
}

/** Whether `bytes` has `<` + `name` (ASCII letters matched in any case) + a tag end at `at`. */
function tagAt(bytes: Uint8Array, at: number, name: string): 'yes' | 'no' | 'too-short' {
  if (bytes[at] !== 0x3c) return 'no';
  for (let i = 0; i < name.length; i += 1) {
    const byte = bytes[at + 1 + i];
    if (byte === undefined) return 'too-short';
    if (!sameIgnoringCase(byte, name.charCodeAt(i))) return 'no';
  }
  const end = bytes[at + 1 + name.length];
  if (end === undefined) return 'too-short';
  return TAG_ENDS.has(end) ? 'yes' : 'no';
}

export type LeadingMarkup = 'html' | 'svg' | 'xml';

/** What markup a text file opens with once leading whitespace is skipped, if any (its first 4 KB or so). */
export function leadingMarkup(head: Uint8Array): LeadingMarkup | undefined {
  let at = 0;
  while (at < head.length && WHITESPACE.has(head[at]!)) at += 1;
  const mentionsSvg = () => containsTag(head, 'svg');
  if (tagAt(head, at, 'svg') === 'yes') return 'svg';
  if (HTML_START.some((name) => tagAt(head, at, name) === 'yes')) return 'html';
  if (startsWithIgnoringCase(head, at, '<?xml') || startsWithIgnoringCase(head, at, '<!doctype')) return mentionsSvg() ? 'svg' : 'xml';
  return undefined;
}

function startsWithIgnoringCase(bytes: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const byte = bytes[at + i];
    if (byte === undefined || !sameIgnoringCase(byte, text.charCodeAt(i))) return false;
  }
  return true;
}

function containsTag(bytes: Uint8Array, name: string): boolean {
  for (let at = bytes.indexOf(0x3c); at !== -1; at = bytes.indexOf(0x3c, at + 1)) {
    if (tagAt(bytes, at, name) === 'yes') return true;
  }
  return false;
}

/**
 * Looks for HTML or SVG tags in bytes fed to it piece by piece (an image's metadata), keeping
 * the end of each piece so a tag split between two is still found.
 */
export class HiddenMarkupScanner {
  found = false;
  private carry: Buffer = Buffer.alloc(0);

  push(piece: Buffer): void {
    if (this.found || piece.length === 0) return;
    const bytes = this.carry.length > 0 ? Buffer.concat([this.carry, piece]) : piece;
    for (let at = bytes.indexOf(0x3c); at !== -1; at = bytes.indexOf(0x3c, at + 1)) {
      if (HIDDEN_TAGS.some((name) => tagAt(bytes, at, name) === 'yes')) {
        this.found = true;
        return;
      }
    }
    // A tag cut short at the end is looked at again with the next piece.
    this.carry = Buffer.from(bytes.subarray(Math.max(0, bytes.length - LONGEST_HIDDEN)));
  }

  /** A new stretch of metadata: a tag cannot run from one into the next. */
  reset(): void {
    this.carry = Buffer.alloc(0);
  }
}
