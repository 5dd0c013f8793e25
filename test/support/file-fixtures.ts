import { deflateRawSync, deflateSync } from 'node:zlib';

/**
 * Small files of every accepted type, made in code (and a few that must be refused), for tests
 * of uploads and downloads. Each accepted one opens in the program it is meant for.
 */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const u16be = (n: number) => Buffer.from([n >> 8, n & 0xff]);
function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** A one-page PDF saying `text`, with a correct cross-reference table. */
export function pdfBytes(text = 'Shared services: what we learnt'): Buffer {
  const stream = `BT /F1 18 Tf 72 720 Td (${text.replace(/[()\\]/g, '\\$&')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((body, index) => {
    const offset = pdf.length;
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

export function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32be(data.length), typed, u32be(crc32(typed))]);
}

export interface PngOptions {
  width?: number;
  height?: number;
  /** Chunks between the header and the image data, e.g. pngChunk('tEXt', …). */
  chunks?: Buffer[];
  /** Stand-in image data, for sizes too large to fill (a pixel flood). */
  imageData?: Buffer;
  /** Bytes after IEND. */
  after?: Buffer;
}

/** A blue RGB PNG. */
export function pngBytes({ width = 2, height = 2, chunks = [], imageData, after = Buffer.alloc(0) }: PngOptions = {}): Buffer {
  const header = Buffer.concat([u32be(width), u32be(height), Buffer.from([8, 2, 0, 0, 0])]);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3).fill(Buffer.from([0x33, 0x66, 0xcc]))]);
  const data = imageData ?? deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header), ...chunks, pngChunk('IDAT', data), pngChunk('IEND', Buffer.alloc(0)), after]);
}

function jpegSegment(marker: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xff, marker]), u16be(body.length + 2), body]);
}

/**
 * A mid-grey baseline JPEG: one component, Huffman tables of a single code each, so every 8×8
 * block is two bits (DC unchanged, end of block).
 */
export function jpegBytes({ width = 8, height = 8, comment, after = Buffer.alloc(0) }: { width?: number; height?: number; comment?: string; after?: Buffer } = {}): Buffer {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const scan = Buffer.alloc(Math.ceil((blocks * 2) / 8));
  const spareBits = scan.length * 8 - blocks * 2;
  if (spareBits > 0) scan[scan.length - 1] = (1 << spareBits) - 1;
  const singleCode = (tableClass: number) => Buffer.from([tableClass, 1, ...new Array<number>(15).fill(0), 0x00]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xe0, Buffer.from('JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00', 'latin1')),
    ...(comment === undefined ? [] : [jpegSegment(0xfe, Buffer.from(comment))]),
    jpegSegment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)])),
    jpegSegment(0xc0, Buffer.concat([Buffer.from([8]), u16be(height), u16be(width), Buffer.from([1, 1, 0x11, 0])])),
    jpegSegment(0xc4, singleCode(0x00)),
    jpegSegment(0xc4, singleCode(0x10)),
    jpegSegment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    scan,
    Buffer.from([0xff, 0xd9]),
    after,
  ]);
}

/** A 1 × 1 transparent GIF. */
export const GIF_BYTES = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

/** Google's 1 × 1 WebP images (lossy, lossless, and extended with alpha), from its WebP FAQ. */
export const WEBP_BYTES = {
  lossy: Buffer.from('UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA', 'base64'),
  lossless: Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'),
  extended: Buffer.from('UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==', 'base64'),
};

export const CSV_TEXT = 'Agency,Initiative,Outcome\nDepartment of Finance,Shared payroll,"Saved 12% in the first year"\n';

export interface ZipEntry {
  name: string;
  data: Buffer | string;
  /** Deflated rather than stored. */
  deflate?: boolean;
  /** What the directory claims the entry opens to, whatever it really holds (a bomb's lie). */
  declaredSize?: number;
  /** Sizes in a ZIP64 extra field, as for entries over 4 GB. */
  zip64?: boolean;
  /** CRC and sizes after the data (general-purpose flag bit 3), as streaming writers (Java, LibreOffice) do. */
  dataDescriptor?: boolean;
}

/** A ZIP archive with its central directory, entries stored unless asked otherwise. */
export function zipBytes(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const raw = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data);
    const data = entry.deflate ? deflateRawSync(raw) : raw;
    const name = Buffer.from(entry.name);
    const size = entry.declaredSize ?? raw.length;
    const flags = entry.dataDescriptor ? 8 : 0;
    const fields = (short: Buffer, sizesAfter = false) => {
      short.writeUInt16LE(entry.deflate ? 8 : 0, 0);
      if (!sizesAfter) {
        short.writeUInt32LE(crc32(raw), 6);
        short.writeUInt32LE(data.length, 10);
        short.writeUInt32LE(entry.zip64 ? 0xffffffff : size, 14);
      }
      short.writeUInt16LE(name.length, 18);
      short.writeUInt16LE(entry.zip64 ? 12 : 0, 20);
      return short;
    };
    const extra = entry.zip64 ? Buffer.concat([Buffer.from([1, 0, 8, 0]), bigU64(size)]) : Buffer.alloc(0);
    const descriptor = Buffer.alloc(entry.dataDescriptor ? 16 : 0);
    if (entry.dataDescriptor) [0x08074b50, crc32(raw), data.length, size].forEach((n, index) => descriptor.writeUInt32LE(n, index * 4));
    const local = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, flags, 0]), fields(Buffer.alloc(22), entry.dataDescriptor), name, extra, data, descriptor]);
    const central = Buffer.concat([Buffer.from([0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, flags, 0]), fields(Buffer.alloc(22)), Buffer.alloc(14), name, extra]);
    central.writeUInt32LE(offset, 42);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function bigU64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const RELS_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const OFFICE_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument';

function ooxml(mainPart: string, mainType: string, mainXml: string, more: ZipEntry[] = []): ZipEntry[] {
  return [
    {
      name: '[Content_Types].xml',
      data: `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/${mainPart}" ContentType="${mainType}"/></Types>`,
    },
    { name: '_rels/.rels', data: `${XML}<Relationships xmlns="${RELS_NS}"><Relationship Id="rId1" Type="${OFFICE_REL}" Target="${mainPart}"/></Relationships>` },
    { name: mainPart, data: `${XML}${mainXml}` },
    ...more,
  ];
}

/** The entries of a one-paragraph Word document; docxBytes() zips them. */
export function docxEntries(text = 'Lessons from the shared payroll pilot'): ZipEntry[] {
  return ooxml(
    'word/document.xml',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml',
    `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`,
  );
}

export const docxBytes = (text?: string) => zipBytes(docxEntries(text));

export function xlsxBytes(): Buffer {
  const wb = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  return zipBytes(
    ooxml(
      'xl/workbook.xml',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml',
      `<workbook xmlns="${wb}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Costs" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      [
        { name: 'xl/_rels/workbook.xml.rels', data: `${XML}<Relationships xmlns="${RELS_NS}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>` },
        { name: 'xl/worksheets/sheet1.xml', data: `${XML}<worksheet xmlns="${wb}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Cost</t></is></c></row></sheetData></worksheet>` },
      ],
    ),
  );
}

export function pptxBytes(): Buffer {
  return zipBytes(ooxml('ppt/presentation.xml', 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml', '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'));
}

function openDocument(mimetype: string, office: string): Buffer {
  return zipBytes([
    { name: 'mimetype', data: mimetype },
    { name: 'META-INF/manifest.xml', data: `${XML}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="${mimetype}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>` },
    { name: 'content.xml', data: `${XML}<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"><office:body><office:${office}/></office:body></office:document-content>` },
  ]);
}

export const odtBytes = () => openDocument('application/vnd.oasis.opendocument.text', 'text');
export const odsBytes = () => openDocument('application/vnd.oasis.opendocument.spreadsheet', 'spreadsheet');
export const odpBytes = () => openDocument('application/vnd.oasis.opendocument.presentation', 'presentation');

/** Hostile or unaccepted contents. */
export const HOSTILE = {
  html: Buffer.from('<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n'),
  svg: Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script><foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><p>x</p></body></foreignObject></svg>\n'),
  exe: Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'), Buffer.alloc(64), Buffer.from('This program cannot be run in DOS mode.')]),
  pngHtmlPolyglot: pngBytes({ after: Buffer.from('<html><script>alert(1)</script></html>') }),
  pngWithScriptChunk: pngBytes({ chunks: [pngChunk('tEXt', Buffer.from('Comment\0<script>alert(1)</script>', 'latin1'))] }),
  plainZip: zipBytes([{ name: 'notes.txt', data: 'Not an Office document.' }, { name: 'more/notes.txt', data: 'Still not.' }]),
  /** An OOXML file whose entries declare 10 GB between them, in a few kilobytes. */
  ooxmlBomb: zipBytes([
    ...docxEntries(),
    { name: 'word/media/a.bin', data: Buffer.alloc(4096), deflate: true, declaredSize: 0xfffffffe },
    { name: 'word/media/b.bin', data: Buffer.alloc(4096), deflate: true, declaredSize: 0xfffffffe },
    { name: 'word/media/c.bin', data: Buffer.alloc(4096), deflate: true, declaredSize: 10 * 1024 ** 3 - 2 * 0xfffffffe },
  ]),
};
