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
