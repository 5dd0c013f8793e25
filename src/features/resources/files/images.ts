import { nextMarker, read, skip, Unreadable, type FormatParser } from './byte-parser.js';

/**
 * The four image formats, walked from signature to end marker without decoding a pixel: the
 * size comes from the header (so a pixel flood is refused before anyone decodes it), a file
 * that stops before its end marker is broken, and metadata (text chunks, comments, EXIF and
 * XMP) is looked through for markup.
 */
export interface ImageHeader {
  width: number;
  height: number;
  /** The most pixels the canvas or any one frame declares: what a decoder would allocate. */
  pixels: number;
  /**
   * Whether bytes after the end marker are allowed (still looked through for markup): phones
   * append data to JPEGs (Samsung's trailer, motion photos); nothing writes past a PNG's IEND.
   */
  trailingAllowed: boolean;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MAX_PNG_CHUNK = 0x7fffffff;

function positive(width: number, height: number, what: string): void {
  if (width <= 0 || height <= 0) throw new Unreadable(`its ${what} says it has no pixels`);
}

export function* parsePng(): FormatParser<ImageHeader> {
  if (!(yield* read(8)).equals(PNG_SIGNATURE)) throw new Unreadable('its signature is wrong');
  let header: { width: number; height: number } | undefined;
  let sawImageData = false;
  for (;;) {
    const chunkHeader = yield* read(8);
    const length = chunkHeader.readUInt32BE(0);
    const type = chunkHeader.toString('latin1', 4, 8);
    if (length > MAX_PNG_CHUNK || !/^[A-Za-z]{4}$/.test(type)) throw new Unreadable('a chunk is malformed');
    if (!header) {
      if (type !== 'IHDR' || length !== 13) throw new Unreadable('it does not start with its header');
      const ihdr = yield* read(13);
      header = { width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4) };
      positive(header.width, header.height, 'header');
      yield* skip(4);
      continue;
    }
    if (type === 'IEND') {
      if (!sawImageData) throw new Unreadable('it has no image data');
      yield* skip(length + 4);
      return { ...header, pixels: header.width * header.height, trailingAllowed: false };
    }
    if (type === 'IHDR') throw new Unreadable('it has two headers');
    if (type === 'IDAT') sawImageData = true;
    // Compressed pixels are not looked through; text chunks and anything unknown are.
    yield* skip(length, type !== 'IDAT');
    yield* skip(4);
  }
}

// SOF0-SOF15 less DHT (C4), JPG (C8) and DAC (CC): the frame headers that carry the size.
const JPEG_FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const JPEG_SOS = 0xda;
const JPEG_EOI = 0xd9;
const JPEG_SOI = 0xd8;

export function* parseJpeg(): FormatParser<ImageHeader> {
  const start = yield* read(2);
  if (start[0] !== 0xff || start[1] !== JPEG_SOI) throw new Unreadable('its signature is wrong');
  let frame: { width: number; height: number } | undefined;
  let marker = yield* markerAfterSegment();
  for (;;) {
    if (marker === JPEG_EOI) {
      if (!frame) throw new Unreadable('it ends before its image');
      return { ...frame, pixels: frame.width * frame.height, trailingAllowed: true };
    }
    if (marker === JPEG_SOI) throw new Unreadable('it starts twice');
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      marker = yield* markerAfterSegment();
      continue;
    }
    const length = (yield* read(2)).readUInt16BE(0);
    if (length < 2) throw new Unreadable('a segment is malformed');
    if (JPEG_FRAME_MARKERS.has(marker)) {
      if (length < 8) throw new Unreadable('its frame header is malformed');
      const sof = yield* read(5);
      const size = { width: sof.readUInt16BE(3), height: sof.readUInt16BE(1) };
      // A height of 0 defers it to a DNL segment after the first scan: no camera writes one.
      positive(size.width, size.height, 'frame header');
      frame ??= size;
      yield* skip(length - 7);
      marker = yield* markerAfterSegment();
    } else if (marker === JPEG_SOS) {
      if (!frame) throw new Unreadable('its image data comes before its frame header');
      yield* skip(length - 2);
      marker = yield* nextMarker();
    } else {
      // APPn (EXIF, XMP, ICC) and COM are metadata; tables are not, but hold no tags either.
      yield* skip(length - 2, true);
      marker = yield* markerAfterSegment();
    }
  }
}

/** The next marker's code where one must follow at once (fill bytes 0xFF allowed). */
function* markerAfterSegment(): FormatParser<number> {
  if ((yield* read(1))[0] !== 0xff) throw new Unreadable('a segment is followed by something that is not a marker');
  for (;;) {
    const code = (yield* read(1))[0]!;
    if (code !== 0xff) return code;
  }
}

const GIF_IMAGE = 0x2c;
const GIF_EXTENSION = 0x21;
const GIF_TRAILER = 0x3b;
const GIF_GRAPHIC_CONTROL = 0xf9;

export function* parseGif(): FormatParser<ImageHeader> {
  const screen = yield* read(13);
  const signature = screen.toString('latin1', 0, 6);
  if (signature !== 'GIF87a' && signature !== 'GIF89a') throw new Unreadable('its signature is wrong');
  const width = screen.readUInt16LE(6);
  const height = screen.readUInt16LE(8);
  positive(width, height, 'screen descriptor');
  let pixels = width * height;
  yield* skip(colourTableBytes(screen[10]!));
  let sawImage = false;
  for (;;) {
    const block = (yield* read(1))[0];
    if (block === GIF_TRAILER) {
      if (!sawImage) throw new Unreadable('it has no image');
      return { width, height, pixels, trailingAllowed: false };
    }
    if (block === GIF_IMAGE) {
      const descriptor = yield* read(9);
      pixels = Math.max(pixels, descriptor.readUInt16LE(4) * descriptor.readUInt16LE(6));
      yield* skip(colourTableBytes(descriptor[8]!));
      const codeSize = (yield* read(1))[0]!;
      if (codeSize < 1 || codeSize > 11) throw new Unreadable('its image data is malformed');
      yield* subBlocks(false);
      sawImage = true;
    } else if (block === GIF_EXTENSION) {
      const label = (yield* read(1))[0];
      // Comments, plain text and application data are metadata.
      yield* subBlocks(label !== GIF_GRAPHIC_CONTROL);
    } else {
      throw new Unreadable('a block is malformed');
    }
  }
}

/** A GIF descriptor's packed byte says whether a colour table follows, and its size. */
function colourTableBytes(packed: number): number {
  return packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0;
}

function* subBlocks(scan: boolean): FormatParser<void> {
  for (;;) {
    const length = (yield* read(1))[0]!;
    if (length === 0) return;
    yield* skip(length, scan);
  }
}

// Image data is not looked through; the metadata chunks (EXIF, XMP, ICCP) and unknown ones are.
const WEBP_IMAGE_CHUNKS = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANMF', 'ANIM']);

export function* parseWebp(): FormatParser<ImageHeader> {
  const riff = yield* read(12);
  if (riff.toString('latin1', 0, 4) !== 'RIFF' || riff.toString('latin1', 8, 12) !== 'WEBP') throw new Unreadable('its signature is wrong');
  let left = riff.readUInt32LE(4) - 4;
  let size: { width: number; height: number } | undefined;
  while (left > 0) {
    if (left < 8) throw new Unreadable('a chunk is malformed');
    const chunkHeader = yield* read(8);
    const type = chunkHeader.toString('latin1', 0, 4);
    const length = chunkHeader.readUInt32LE(4);
    const padded = length + (length % 2);
    if (padded > left - 8) throw new Unreadable('a chunk runs past the end of the file');
    left -= 8 + padded;
    if (!size) {
      size = yield* webpSize(type, length);
      positive(size.width, size.height, 'header');
      yield* skip(padded - webpHeaderBytes(type));
    } else {
      yield* skip(padded, !WEBP_IMAGE_CHUNKS.has(type));
    }
  }
  if (!size) throw new Unreadable('it has no image');
  return { ...size, pixels: size.width * size.height, trailingAllowed: false };
}

function webpHeaderBytes(type: string): number {
  return type === 'VP8 ' ? 10 : type === 'VP8L' ? 5 : 10;
}

function* webpSize(type: string, length: number): FormatParser<{ width: number; height: number }> {
  if (!['VP8 ', 'VP8L', 'VP8X'].includes(type) || length < webpHeaderBytes(type)) throw new Unreadable('it does not start with an image header');
  const bytes = yield* read(webpHeaderBytes(type));
  if (type === 'VP8 ') {
    // A key frame's tag, then the start code 9D 01 2A, then 14-bit width and height.
    if ((bytes[0]! & 0x01) !== 0 || bytes[3] !== 0x9d || bytes[4] !== 0x01 || bytes[5] !== 0x2a) throw new Unreadable('its image header is malformed');
    return { width: bytes.readUInt16LE(6) & 0x3fff, height: bytes.readUInt16LE(8) & 0x3fff };
  }
  if (type === 'VP8L') {
    if (bytes[0] !== 0x2f) throw new Unreadable('its image header is malformed');
    const bits = bytes.readUInt32LE(1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  // VP8X: flags, three reserved bytes, then the canvas size less one, 24 bits each.
  return { width: bytes.readUIntLE(4, 3) + 1, height: bytes.readUIntLE(7, 3) + 1 };
}
