import { open, type FileHandle } from 'node:fs/promises';
import type { AllowedFileType } from './received-file.js';
import type { Refusal } from './sniff.js';

/**
 * Office Open XML and OpenDocument files are ZIP archives. Which one, and whether it is safe to
 * keep, is read from the central directory alone (ASVS 5.2.3): nothing is ever inflated, so a
 * bomb declaring 10 GB costs what reading its directory costs.
 */

/** What every entry may declare when opened, together: real documents declare a few megabytes. */
export const MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;
const MAX_ENTRIES = 10_000;
const MAX_DIRECTORY_BYTES = 4 * 1024 * 1024;
// Deflate cannot pass about 1,032:1, and XML reaches 100:1 at most; an entry that declares more
// than this over a megabyte is lying or a bomb.
const MAX_RATIO = 250;
const RATIO_CHECKED_ABOVE = 1024 * 1024;

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_BYTES = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_ENTRY_SIGNATURE = 0x02014b50;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_BYTES = 30;
const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;
const STORED = 0;
const DEFLATED = 8;

const ODF_TYPES = new Map<string, AllowedFileType>([
  ['application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.text'],
  ['application/vnd.oasis.opendocument.spreadsheet', 'application/vnd.oasis.opendocument.spreadsheet'],
  ['application/vnd.oasis.opendocument.presentation', 'application/vnd.oasis.opendocument.presentation'],
]);
const OOXML_MAIN_PARTS = new Map<string, AllowedFileType>([
  ['word/document.xml', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xl/workbook.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['ppt/presentation.xml', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
]);

export type ZipVerdict = { ok: true; type: AllowedFileType } | { ok: false; refusal: Refusal };

interface Sizes {
  compressedSize: number;
  uncompressedSize: number;
  localOffset?: number;
}

interface Entry extends Sizes {
  name: string;
  nameBytes: number;
  method: number;
  localOffset: number;
  /** Its sizes came from a ZIP64 extra field. */
  zip64: boolean;
}

class BrokenZip extends Error {}

export async function inspectOfficeZip(path: string, byteSize: number): Promise<ZipVerdict> {
  const file = await open(path, 'r');
  try {
    const directory = await findCentralDirectory(file, byteSize);
    const entries = readEntries(await readAt(file, directory.offset, directory.size), directory.count);
    await checkLocalHeaders(file, entries, directory.offset);
    const tooBig = declaredTooBig(entries);
    if (tooBig) return { ok: false, refusal: { reason: 'too-big-inside', detail: tooBig } };
    if (entries.some((entry) => /(^|\/)vbaProject\.bin$/i.test(entry.name))) return { ok: false, refusal: { reason: 'macros' } };
    const type = (await openDocumentType(file, entries)) ?? officeOpenXmlType(entries);
    return type ? { ok: true, type } : { ok: false, refusal: { reason: 'not-office' } };
  } catch (error) {
    if (error instanceof BrokenZip) return { ok: false, refusal: { reason: error.message === 'encrypted' ? 'encrypted' : 'broken-zip', detail: error.message } };
    throw error;
  } finally {
    await file.close();
  }
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new BrokenZip('it is shorter than its directory says');
  return buffer;
}

/**
 * The End of Central Directory record, which must end the file, and its ZIP64 form. Office and
 * OpenDocument write no comment after it, and a second record (a decoy in the first's comment,
 * for readers that search from the end) is refused rather than guessed between.
 */
async function findCentralDirectory(file: FileHandle, byteSize: number): Promise<{ offset: number; size: number; count: number }> {
  const tailBytes = Math.min(byteSize, EOCD_BYTES + 0xffff + ZIP64_LOCATOR_BYTES);
  const tail = await readAt(file, byteSize - tailBytes, tailBytes);
  const signature = Buffer.alloc(4);
  signature.writeUInt32LE(EOCD_SIGNATURE);
  const first = tail.indexOf(signature);
  if (first === -1) throw new BrokenZip('its central directory is missing');
  if (tail.indexOf(signature, first + 1) !== -1) throw new BrokenZip('it has two ends of its central directory');
  const at = first;
  if (at !== tail.length - EOCD_BYTES) throw new BrokenZip(at < tail.length - EOCD_BYTES && at + EOCD_BYTES + tail.readUInt16LE(at + 20) === tail.length ? 'its directory has a comment, which no document has' : 'its central directory is missing');
  const eocdOffset = byteSize - tailBytes + at;
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0 || tail.readUInt16LE(at + 8) !== tail.readUInt16LE(at + 10)) throw new BrokenZip('it spans several disks');
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  let directoryEnd = eocdOffset;
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    if (at < ZIP64_LOCATOR_BYTES || tail.readUInt32LE(at - ZIP64_LOCATOR_BYTES) !== ZIP64_LOCATOR_SIGNATURE) throw new BrokenZip('its ZIP64 locator is missing');
    directoryEnd = safeNumber(tail.readBigUInt64LE(at - ZIP64_LOCATOR_BYTES + 8));
    if (directoryEnd + 56 > eocdOffset) throw new BrokenZip('its ZIP64 record is misplaced');
    const record = await readAt(file, directoryEnd, 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) throw new BrokenZip('its ZIP64 record is missing');
    count = safeNumber(record.readBigUInt64LE(32));
    size = safeNumber(record.readBigUInt64LE(40));
    offset = safeNumber(record.readBigUInt64LE(48));
  }
  if (count === 0) throw new BrokenZip('it is empty');
  if (count > MAX_ENTRIES || size > MAX_DIRECTORY_BYTES) throw new BrokenZip('its directory is far larger than any document’s');
  if (offset + size !== directoryEnd) throw new BrokenZip('its central directory is misplaced');
  return { offset, size, count };
}

function safeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new BrokenZip('a size is out of range');
  return Number(value);
}

function readEntries(directory: Buffer, count: number): Entry[] {
  const entries: Entry[] = [];
  const names = new Set<string>();
  let at = 0;
  for (let index = 0; index < count; index += 1) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_ENTRY_SIGNATURE) throw new BrokenZip('an entry is malformed');
    const flags = directory.readUInt16LE(at + 8);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const next = at + 46 + nameLength + extraLength + directory.readUInt16LE(at + 32);
    if (next > directory.length) throw new BrokenZip('an entry is malformed');
    // Bit 0: encrypted; bit 6: strong encryption.
    if (flags & 0x41) throw new BrokenZip('encrypted');
    const entry: Entry = {
      name: directory.toString('utf8', at + 46, at + 46 + nameLength),
      nameBytes: nameLength,
      method: directory.readUInt16LE(at + 10),
      compressedSize: directory.readUInt32LE(at + 20),
      uncompressedSize: directory.readUInt32LE(at + 24),
      localOffset: directory.readUInt32LE(at + 42),
      zip64: false,
    };
    entry.zip64 = applyZip64Sizes(entry, directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
    if (entry.method !== STORED && entry.method !== DEFLATED) throw new BrokenZip('it uses a compression Office does not');
    if (entry.method === STORED && entry.compressedSize !== entry.uncompressedSize) throw new BrokenZip('an entry’s sizes disagree');
    if (!isSafeName(entry.name)) throw new BrokenZip('an entry has a name no document uses');
    if (names.has(entry.name)) throw new BrokenZip('two entries have the same name');
    names.add(entry.name);
    entries.push(entry);
    at = next;
  }
  if (at !== directory.length) throw new BrokenZip('its central directory has more in it than its entries');
  return entries;
}

/** Sizes and offsets of 0xFFFFFFFF are in the ZIP64 extra field (id 1), in this order; whether any were. */
function applyZip64Sizes(sizes: Sizes, extra: Buffer): boolean {
  const wide = (['uncompressedSize', 'compressedSize', 'localOffset'] as const).filter((key) => sizes[key] === 0xffffffff);
  if (wide.length === 0) return false;
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      if (length < wide.length * 8 || at + 4 + length > extra.length) break;
      wide.forEach((key, index) => (sizes[key] = safeNumber(extra.readBigUInt64LE(at + 4 + index * 8))));
      return true;
    }
    at += 4 + length;
  }
  throw new BrokenZip('an entry’s ZIP64 sizes are missing');
}

// Part names (ECMA-376 Part 2 §6.2.2): relative, forward slashes, no `.` or `..` segments.
function isSafeName(name: string): boolean {
  return name.length > 0 && !/[\\\0]/.test(name) && !name.startsWith('/') && !name.split('/').some((segment) => segment === '..' || segment === '.');
}

/**
 * Every entry's local header agrees with its directory entry, and the entries follow one another
 * from the file's first byte to the directory with nothing between them: no bytes a reader that
 * walks local headers would see and the directory would not (a second archive, a program).
 */
async function checkLocalHeaders(file: FileHandle, entries: Entry[], directoryOffset: number): Promise<void> {
  const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  let next = 0;
  for (const entry of byOffset) {
    if (entry.localOffset < next) throw new BrokenZip('two entries overlap');
    if (entry.localOffset > next) throw new BrokenZip(next === 0 ? 'it has bytes before its first entry' : 'it has bytes between its entries');
    if (entry.localOffset + LOCAL_HEADER_BYTES + entry.nameBytes > directoryOffset) throw new BrokenZip('an entry runs into the central directory');
    const header = await readAt(file, entry.localOffset, LOCAL_HEADER_BYTES + entry.nameBytes);
    const nameLength = header.readUInt16LE(26);
    if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE || nameLength !== entry.nameBytes || header.readUInt16LE(8) !== entry.method || header.toString('utf8', LOCAL_HEADER_BYTES) !== entry.name) {
      throw new BrokenZip('an entry’s local header disagrees with its directory');
    }
    const dataAt = entry.localOffset + LOCAL_HEADER_BYTES + nameLength + header.readUInt16LE(28);
    next = dataAt + entry.compressedSize;
    if (next > directoryOffset) throw new BrokenZip('an entry runs into the central directory');
    // Bit 3: the sizes follow the data, in a data descriptor, rather than in the header.
    if (header.readUInt16LE(6) & 0x08) next += await checkDataDescriptor(file, entry, next, directoryOffset);
    else {
      const sizes: Sizes = { uncompressedSize: header.readUInt32LE(22), compressedSize: header.readUInt32LE(18) };
      applyZip64Sizes(sizes, await readAt(file, entry.localOffset + LOCAL_HEADER_BYTES + nameLength, header.readUInt16LE(28)));
      if (sizes.compressedSize !== entry.compressedSize || sizes.uncompressedSize !== entry.uncompressedSize) throw new BrokenZip('an entry’s local header disagrees with its directory');
    }
  }
  if (next !== directoryOffset) throw new BrokenZip('it has bytes between its entries and its directory');
}

/** The data descriptor at `at` (its signature optional, its sizes 8 bytes wide for ZIP64), which must repeat the directory's sizes; its length. */
async function checkDataDescriptor(file: FileHandle, entry: Entry, at: number, directoryOffset: number): Promise<number> {
  const sizeBytes = entry.zip64 ? 8 : 4;
  const longest = Math.min(4 + 4 + 2 * sizeBytes, directoryOffset - at);
  if (longest < 4 + 2 * sizeBytes) throw new BrokenZip('an entry’s data descriptor is missing');
  const descriptor = await readAt(file, at, longest);
  const signed = longest === 4 + 4 + 2 * sizeBytes && descriptor.readUInt32LE(0) === DATA_DESCRIPTOR_SIGNATURE ? 4 : 0;
  const size = (offset: number) => (entry.zip64 ? safeNumber(descriptor.readBigUInt64LE(offset)) : descriptor.readUInt32LE(offset));
  if (size(signed + 4) !== entry.compressedSize || size(signed + 4 + sizeBytes) !== entry.uncompressedSize) throw new BrokenZip('an entry’s data descriptor disagrees with its directory');
  return signed + 4 + 2 * sizeBytes;
}

function declaredTooBig(entries: Entry[]): string | undefined {
  const total = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  const mb = (bytes: number) => `${Math.ceil(bytes / (1024 * 1024)).toLocaleString('en-AU')} MB`;
  if (total > MAX_UNCOMPRESSED_BYTES) return `its contents come to ${mb(total)} once opened`;
  const bomb = entries.find((entry) => entry.uncompressedSize > RATIO_CHECKED_ABOVE && entry.uncompressedSize > entry.compressedSize * MAX_RATIO);
  return bomb && `one part expands ${Math.round(bomb.uncompressedSize / Math.max(1, bomb.compressedSize)).toLocaleString('en-AU')} times, to ${mb(bomb.uncompressedSize)}`;
}

/** OpenDocument (ODF 1.2 Part 3 §3.3): the first entry is `mimetype`, stored, and names the type. */
async function openDocumentType(file: FileHandle, entries: Entry[]): Promise<AllowedFileType | undefined> {
  const first = entries.find((entry) => entry.localOffset === 0);
  if (first?.name !== 'mimetype' || first.method !== STORED || first.compressedSize > 100) return undefined;
  if (!entries.some((entry) => entry.name === 'META-INF/manifest.xml')) return undefined;
  const header = await readAt(file, 0, LOCAL_HEADER_BYTES);
  if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) throw new BrokenZip('an entry is malformed');
  const dataAt = LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28);
  const mimetype = (await readAt(file, dataAt, first.compressedSize)).toString('latin1');
  return ODF_TYPES.get(mimetype);
}

/** Office Open XML (ECMA-376 Part 2): `[Content_Types].xml` and one application's main part. */
function officeOpenXmlType(entries: Entry[]): AllowedFileType | undefined {
  const names = new Set(entries.map((entry) => entry.name));
  if (!names.has('[Content_Types].xml')) return undefined;
  const types = [...OOXML_MAIN_PARTS].filter(([part]) => names.has(part)).map(([, type]) => type);
  return types.length === 1 ? types[0] : undefined;
}
