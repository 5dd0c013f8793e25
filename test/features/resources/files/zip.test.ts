import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectOfficeZip } from '../../../../src/features/resources/files/zip.js';
import { docxBytes, docxEntries, HOSTILE, odpBytes, odsBytes, odtBytes, pptxBytes, xlsxBytes, zipBytes } from '../../../support/file-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-zip-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let count = 0;
async function inspect(bytes: Buffer) {
  const file = path.join(dir, `${(count += 1)}.zip`);
  fs.writeFileSync(file, bytes);
  return inspectOfficeZip(file, bytes.length);
}

describe('Office and OpenDocument files, from the central directory alone', () => {
  it('tells each kind from its parts', async () => {
    expect(await inspect(docxBytes())).toEqual({ ok: true, type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' });
    expect(await inspect(xlsxBytes())).toEqual({ ok: true, type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    expect(await inspect(pptxBytes())).toEqual({ ok: true, type: 'application/vnd.openxmlformats-officedocument.presentationml.presentation' });
    expect(await inspect(odtBytes())).toEqual({ ok: true, type: 'application/vnd.oasis.opendocument.text' });
    expect(await inspect(odsBytes())).toEqual({ ok: true, type: 'application/vnd.oasis.opendocument.spreadsheet' });
    expect(await inspect(odpBytes())).toEqual({ ok: true, type: 'application/vnd.oasis.opendocument.presentation' });
  });

  it('refuses a ZIP that is no Office file, or that names two applications, or whose mimetype is not first', async () => {
    expect(await inspect(HOSTILE.plainZip)).toEqual({ ok: false, refusal: { reason: 'not-office' } });
    expect(await inspect(zipBytes([{ name: '[Content_Types].xml', data: '<Types/>' }, { name: 'evil.html', data: '<script>' }]))).toMatchObject({ refusal: { reason: 'not-office' } });
    expect(await inspect(zipBytes([...docxEntries(), { name: 'xl/workbook.xml', data: '<workbook/>' }]))).toMatchObject({ refusal: { reason: 'not-office' } });
    const odt = zipBytes([{ name: 'META-INF/manifest.xml', data: '<manifest/>' }, { name: 'mimetype', data: 'application/vnd.oasis.opendocument.text' }]);
    expect(await inspect(odt)).toMatchObject({ refusal: { reason: 'not-office' } });
  });

  it('refuses entries declaring 10 GB (or a ratio no document has) without inflating a byte', async () => {
    expect(HOSTILE.ooxmlBomb.length).toBeLessThan(4096);
    expect(await inspect(HOSTILE.ooxmlBomb)).toEqual({ ok: false, refusal: { reason: 'too-big-inside', detail: 'its contents come to 10,241 MB once opened' } });
    const zip64 = zipBytes([...docxEntries(), { name: 'word/media/big.bin', data: 'x', deflate: true, declaredSize: 10 * 1024 ** 3, zip64: true }]);
    expect(await inspect(zip64)).toMatchObject({ ok: false, refusal: { reason: 'too-big-inside' } });
    const ratio = zipBytes([...docxEntries(), { name: 'word/media/flat.bin', data: Buffer.alloc(20_000), deflate: true, declaredSize: 150 * 1024 * 1024 }]);
    expect(await inspect(ratio)).toMatchObject({ ok: false, refusal: { reason: 'too-big-inside', detail: expect.stringMatching(/^one part expands [0-9,]+ times, to 150 MB$/) } });
  });

  it('refuses macros, passwords, traversal names, duplicates and overlapping entries', async () => {
    expect(await inspect(zipBytes([...docxEntries(), { name: 'word/vbaProject.bin', data: 'macro' }]))).toEqual({ ok: false, refusal: { reason: 'macros' } });
    const encrypted = Buffer.from(docxBytes());
    // The flags of the first central entry: bit 0, encrypted.
    encrypted.writeUInt16LE(1, encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 8);
    expect(await inspect(encrypted)).toMatchObject({ ok: false, refusal: { reason: 'encrypted' } });
    expect(await inspect(zipBytes([...docxEntries(), { name: '../../etc/passwd', data: 'x' }]))).toMatchObject({ refusal: { reason: 'broken-zip', detail: 'an entry has a name no document uses' } });
    expect(await inspect(zipBytes([...docxEntries(), { name: 'word/document.xml', data: 'twice' }]))).toMatchObject({ refusal: { reason: 'broken-zip', detail: 'two entries have the same name' } });
    const overlapping = Buffer.from(docxBytes());
    const second = overlapping.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), overlapping.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 4);
    overlapping.writeUInt32LE(0, second + 42);
    expect(await inspect(overlapping)).toMatchObject({ refusal: { reason: 'broken-zip', detail: 'two entries overlap' } });
  });

  it('refuses a ZIP that is truncated, padded, or has no directory', async () => {
    const docx = docxBytes();
    expect(await inspect(docx.subarray(0, docx.length - 5))).toMatchObject({ refusal: { reason: 'broken-zip', detail: 'its central directory is missing' } });
    expect(await inspect(Buffer.concat([docx, Buffer.from('trailing')]))).toMatchObject({ refusal: { reason: 'broken-zip' } });
    expect(await inspect(docx.subarray(0, 200))).toMatchObject({ refusal: { reason: 'broken-zip' } });
  });
});

const DOCX = { ok: true, type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' };
const LOCAL_HEADER = Buffer.from('PK\x03\x04', 'latin1');
const eocdOf = (zip: Buffer) => zip.subarray(zip.length - 22);

/** `zip` with `bytes` inserted at `at`, every offset after it moved on so that the directory still points at each entry. */
function insertAt(zip: Buffer, at: number, bytes: Buffer): Buffer {
  const directoryOffset = eocdOf(zip).readUInt32LE(16);
  const result = Buffer.concat([zip.subarray(0, at), bytes, zip.subarray(at)]);
  const moved = (offset: number) => (offset >= at ? offset + bytes.length : offset);
  const newDirectory = moved(directoryOffset);
  for (let entry = newDirectory; result.readUInt32LE(entry) === 0x02014b50; entry += 46 + result.readUInt16LE(entry + 28) + result.readUInt16LE(entry + 30) + result.readUInt16LE(entry + 32)) {
    result.writeUInt32LE(moved(result.readUInt32LE(entry + 42)), entry + 42);
  }
  eocdOf(result).writeUInt32LE(newDirectory, 16);
  return result;
}

const broken = (detail: string) => ({ ok: false, refusal: { reason: 'broken-zip', detail } });

describe('local headers, and nothing between the entries', () => {
  it('refuses bytes hidden before the first entry, between entries, or before the directory (an entry with a program)', async () => {
    const archive = zipBytes([{ name: 'payload.exe', data: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(2000, 0x90)]) }]);
    // Its entry alone: a whole second archive is refused sooner, for its second directory end.
    const hidden = archive.subarray(0, eocdOf(archive).readUInt32LE(16));
    const docx = docxBytes();
    expect(await inspect(insertAt(docx, 0, hidden))).toEqual(broken('it has bytes before its first entry'));
    expect(await inspect(insertAt(docx, docx.indexOf(LOCAL_HEADER, 4), hidden))).toEqual(broken('it has bytes between its entries'));
    expect(await inspect(insertAt(docx, eocdOf(docx).readUInt32LE(16), hidden))).toEqual(broken('it has bytes between its entries and its directory'));
  });

  it('refuses a local header naming another file, method or size than the directory, or missing', async () => {
    // The second entry is `_rels/.rels`: 11 bytes of name.
    const tamper = (change: (zip: Buffer, header: number) => void) => {
      const zip = docxBytes();
      change(zip, zip.indexOf(LOCAL_HEADER, 4));
      return inspect(zip);
    };
    const disagrees = broken('an entry’s local header disagrees with its directory');
    expect(await tamper((zip, at) => zip.write('payload.exe', at + 30, 'latin1'))).toEqual(disagrees);
    expect(await tamper((zip, at) => zip.writeUInt16LE(8, at + 8))).toEqual(disagrees);
    expect(await tamper((zip, at) => zip.writeUInt32LE(0xfffffff0, at + 22))).toEqual(disagrees);
    expect(await tamper((zip, at) => zip.writeUInt32LE(zip.readUInt32LE(at + 18) + 1, at + 18))).toEqual(disagrees);
    expect(await tamper((zip, at) => zip.fill(0x41, at, at + 4))).toEqual(disagrees);
  });

  it('accepts sizes in data descriptors that repeat the directory’s, and refuses one that does not', async () => {
    const streamed = docxEntries().map((entry) => ({ ...entry, deflate: true, dataDescriptor: true }));
    expect(await inspect(zipBytes(streamed))).toEqual(DOCX);
    const lying = zipBytes(streamed);
    // The first entry's descriptor ends just before the second entry's local header: its uncompressed size.
    const second = lying.indexOf(LOCAL_HEADER, 4);
    lying.writeUInt32LE(lying.readUInt32LE(second - 4) + 1, second - 4);
    expect(await inspect(lying)).toEqual(broken('an entry’s data descriptor disagrees with its directory'));
  });
});

describe('the end of the central directory', () => {
  it('refuses two of them (a clean directory hidden in a macro document’s comment)', async () => {
    const withMacros = zipBytes([...docxEntries(), { name: 'word/vbaProject.bin', data: 'macro' }]);
    const clean = zipBytes(docxEntries());
    // Its directory and end; the local entries are byte for byte the same as the macro document's.
    const cleanTail = Buffer.from(clean.subarray(eocdOf(clean).readUInt32LE(16)));
    eocdOf(cleanTail).writeUInt32LE(withMacros.length, 16);
    const composite = Buffer.concat([withMacros, cleanTail]);
    composite.writeUInt16LE(cleanTail.length, withMacros.length - 2);
    expect(await inspect(composite)).toEqual(broken('it has two ends of its central directory'));
  });

  it('refuses a comment after it, which no document has', async () => {
    const docx = docxBytes();
    const comment = Buffer.from('Made by a tool');
    const commented = Buffer.concat([docx, comment]);
    commented.writeUInt16LE(comment.length, docx.length - 2);
    expect(await inspect(commented)).toEqual(broken('its directory has a comment, which no document has'));
  });
});
