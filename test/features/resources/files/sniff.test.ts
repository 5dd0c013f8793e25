import { describe, expect, it } from 'vitest';
import { FileSniffer, MAX_IMAGE_PIXELS, type SniffResult } from '../../../../src/features/resources/files/sniff.js';
import { CSV_TEXT, GIF_BYTES, HOSTILE, jpegBytes, pdfBytes, pngBytes, pngChunk, WEBP_BYTES, zipBytes } from '../../../support/file-fixtures.js';

/** Sniffs bytes as they would stream in, `step` bytes at a time (1 shows nothing depends on where chunks end). */
function sniff(bytes: Buffer, step = 4096): SniffResult {
  const sniffer = new FileSniffer();
  for (let at = 0; at < bytes.length; at += step) sniffer.push(bytes.subarray(at, at + step));
  return sniffer.finish();
}

const reasonOf = (result: SniffResult) => (result.ok ? 'accepted' : result.refusal.reason);

describe('sniffing what a file is from its bytes', () => {
  it.each([1, 3, 4096])('reads every accepted kind, %i bytes at a time', (step) => {
    expect(sniff(pdfBytes(), step)).toEqual({ ok: true, sniffed: { kind: 'pdf' } });
    expect(sniff(Buffer.from(CSV_TEXT), step)).toEqual({ ok: true, sniffed: { kind: 'text' } });
    expect(sniff(pngBytes({ width: 3, height: 2 }), step)).toEqual({ ok: true, sniffed: { kind: 'image', type: 'image/png', width: 3, height: 2 } });
    expect(sniff(jpegBytes({ width: 20, height: 11, comment: 'Taken at the launch' }), step)).toEqual({ ok: true, sniffed: { kind: 'image', type: 'image/jpeg', width: 20, height: 11 } });
    expect(sniff(GIF_BYTES, step)).toEqual({ ok: true, sniffed: { kind: 'image', type: 'image/gif', width: 1, height: 1 } });
    for (const webp of Object.values(WEBP_BYTES)) expect(sniff(webp, step)).toEqual({ ok: true, sniffed: { kind: 'image', type: 'image/webp', width: 1, height: 1 } });
  });

  it('accepts text with a byte-order mark, leading blank lines, tabs and every script, and tags after the start', () => {
    expect(reasonOf(sniff(Buffer.from('\uFEFF\n\n\tNamen,Größe\n日本,<b>bold</b>\n')))).toBe('accepted');
    expect(reasonOf(sniff(Buffer.from('Use <script> tags sparingly.\n')))).toBe('accepted');
  });

  it('refuses pages, SVG and XML at the start of text, whatever the whitespace or case before them', () => {
    expect(reasonOf(sniff(HOSTILE.html))).toBe('html');
    expect(reasonOf(sniff(Buffer.from('\r\n  <HtMl>\n<p>hi</p>')))).toBe('html');
    expect(reasonOf(sniff(Buffer.from('<script>alert(1)</script>')))).toBe('html');
    expect(reasonOf(sniff(Buffer.from('\uFEFF<!-- comment -->')))).toBe('html');
    expect(reasonOf(sniff(HOSTILE.svg, 1))).toBe('svg');
    expect(reasonOf(sniff(Buffer.from('<svg/onload=alert(1)>')))).toBe('svg');
    expect(reasonOf(sniff(Buffer.from('<?xml version="1.0"?><catalog/>')))).toBe('xml');
  });

  it('refuses text that is not UTF-8, and bytes no text holds', () => {
    expect(reasonOf(sniff(Buffer.from('Name,Caf\xe9\n', 'latin1')))).toBe('not-utf8');
    // Cut in the middle of a character at the very end.
    expect(reasonOf(sniff(Buffer.from('Name,Café', 'utf8').subarray(0, -1)))).toBe('not-utf8');
    expect(reasonOf(sniff(Buffer.from('Name,\0Value\n')))).toBe('unknown');
    expect(reasonOf(sniff(Buffer.from('\x01\x02\x03binary')))).toBe('unknown');
  });

  it('refuses programs, archives, old Office files and HEIC photos by their signatures', () => {
    expect(reasonOf(sniff(HOSTILE.exe))).toBe('program');
    expect(reasonOf(sniff(Buffer.from('\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0', 'latin1')))).toBe('program');
    expect(reasonOf(sniff(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])))).toBe('archive');
    expect(reasonOf(sniff(Buffer.from('Rar!\x1a\x07\x01\0rest of it', 'latin1')))).toBe('archive');
    expect(reasonOf(sniff(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0, 0, 0, 0, 0])))).toBe('old-office');
    expect(reasonOf(sniff(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1')))).toBe('heic');
  });

  it('sends a zip on to have its directory read', () => {
    expect(sniff(HOSTILE.plainZip)).toEqual({ ok: true, sniffed: { kind: 'zip' } });
  });
});

describe('images', () => {
  it('refuses more than 50 million pixels from the header alone (a pixel flood)', () => {
    const flood = pngBytes({ width: 50_000, height: 50_000, imageData: Buffer.alloc(16) });
    expect(flood.length).toBeLessThan(200);
    expect(sniff(flood)).toEqual({ ok: false, refusal: { reason: 'too-many-pixels', detail: '50,000 × 50,000 pixels' } });
    expect(reasonOf(sniff(jpegBytes({ width: 10_000, height: 5_001 })))).toBe('too-many-pixels');
    expect(reasonOf(sniff(pngBytes({ width: 10_000, height: 5_000, imageData: Buffer.alloc(16) })))).toBe('accepted');
    expect(10_000 * 5_000).toBe(MAX_IMAGE_PIXELS);
  });

  it('refuses an image cut short, at any point', () => {
    for (const image of [pngBytes(), jpegBytes(), GIF_BYTES, WEBP_BYTES.lossy]) {
      for (const cut of [13, Math.floor(image.length / 2), image.length - 1]) {
        expect(sniff(image.subarray(0, cut))).toMatchObject({ ok: false, refusal: { reason: 'broken-image' } });
      }
    }
  });

  it('refuses images whose structure is broken, saying how', () => {
    const png = pngBytes();
    const noHeader = Buffer.concat([png.subarray(0, 8), png.subarray(8 + 25)]);
    expect(sniff(noHeader)).toEqual({ ok: false, refusal: { reason: 'broken-image', detail: 'it does not start with its header' } });
    const jpeg = Buffer.from(jpegBytes());
    // The marker after the JFIF segment (at 2 + 18) made into data.
    jpeg[20] = 0x00;
    expect(sniff(jpeg)).toEqual({ ok: false, refusal: { reason: 'broken-image', detail: 'a segment is followed by something that is not a marker' } });
    expect(sniff(Buffer.from('GIF89a\x00\x00\x00\x00\x00\x00\x00;', 'latin1'))).toEqual({ ok: false, refusal: { reason: 'broken-image', detail: 'its screen descriptor says it has no pixels' } });
  });

  it('refuses markup hidden in metadata or after the end (PNG/HTML polyglots)', () => {
    expect(reasonOf(sniff(HOSTILE.pngWithScriptChunk, 5))).toBe('hidden-markup');
    expect(reasonOf(sniff(HOSTILE.pngHtmlPolyglot))).toBe('hidden-markup');
    expect(reasonOf(sniff(pngBytes({ chunks: [pngChunk('iTXt', Buffer.from('XML:com.adobe.xmp\0\0\0\0\0<IFRAME src=//evil>'))] })))).toBe('hidden-markup');
    expect(reasonOf(sniff(jpegBytes({ comment: 'nice <svg onload=alert(1)>' })))).toBe('hidden-markup');
    expect(reasonOf(sniff(jpegBytes({ after: Buffer.from('<html><body>hi</body></html>') })))).toBe('hidden-markup');
  });

  it('keeps metadata that merely looks like markup (XMP), and data phones append to JPEGs', () => {
    const xmp = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description dc:title="Launch"/></rdf:RDF></x:xmpmeta>';
    expect(reasonOf(sniff(pngBytes({ chunks: [pngChunk('iTXt', Buffer.from(`XML:com.adobe.xmp\0\0\0\0\0${xmp}`))] })))).toBe('accepted');
    expect(reasonOf(sniff(jpegBytes({ comment: xmp, after: Buffer.from('SEFHSEFT\0\0\0\x01trailer', 'latin1') })))).toBe('accepted');
  });

  it('refuses anything after the end of a PNG, GIF or WebP', () => {
    expect(reasonOf(sniff(pngBytes({ after: Buffer.from('PK\x03\x04 hidden archive', 'latin1') })))).toBe('data-after-end');
    expect(reasonOf(sniff(Buffer.concat([GIF_BYTES, Buffer.from('extra')])))).toBe('data-after-end');
    expect(reasonOf(sniff(Buffer.concat([WEBP_BYTES.lossless, Buffer.from('extra')])))).toBe('data-after-end');
  });
});

describe('PDF', () => {
  const notPdf = (detail: string) => ({ ok: false, refusal: { reason: 'not-pdf', detail } });

  it('accepts whitespace after %%EOF, and tags in its content past the first kilobyte', () => {
    expect(reasonOf(sniff(Buffer.concat([pdfBytes(), Buffer.from('\r\n\0 \n')]), 1))).toBe('accepted');
    const pdf = pdfBytes();
    const withLateTag = Buffer.concat([pdf.subarray(0, 9), Buffer.from(`% ${'x'.repeat(1100)}\n% <script> in a comment\n`), pdf.subarray(9)]);
    expect(reasonOf(sniff(withLateTag, 3))).toBe('accepted');
  });

  it('refuses a PDF with no %%EOF in its last kilobyte, or something after it', () => {
    // Over a kilobyte, so that what is appended is judged by the end alone.
    const pdf = pdfBytes('What we learnt. '.repeat(100));
    expect(sniff(pdf.subarray(0, pdf.length - 3))).toEqual(notPdf('it does not end as a PDF does'));
    expect(sniff(Buffer.concat([pdf, Buffer.from('<html><script>alert(1)</script></html>')]), 7)).toEqual(notPdf('it does not end as a PDF does'));
    expect(sniff(Buffer.concat([pdf, zipBytes([{ name: 'payload.exe', data: 'MZ' }])]))).toEqual(notPdf('it does not end as a PDF does'));
    expect(sniff(Buffer.concat([pdf, Buffer.alloc(1100, 0x20)]))).toEqual(notPdf('it does not end as a PDF does'));
  });

  it('refuses a ZIP archive or a web page behind %PDF-, whatever ends it', () => {
    const eof = Buffer.from('\n%%EOF\n');
    expect(sniff(Buffer.concat([Buffer.from('%PDF-'), zipBytes([{ name: 'payload.exe', data: 'MZ' }]), eof]), 1)).toEqual(notPdf('it has a ZIP archive at its start'));
    expect(sniff(Buffer.concat([Buffer.from('%PDF-<html><script>alert(document.domain)</script></html>'), eof]))).toEqual(notPdf('it has web page code at its start'));
    expect(sniff(Buffer.concat([pdfBytes().subarray(0, 200), Buffer.from('<svg onload=alert(1)>'), Buffer.alloc(5000, 0x20), eof]), 3)).toEqual(notPdf('it has web page code at its start'));
  });
});
