import { createHash, randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { BadRequest, HttpError } from '../../../lib/errors.js';
import type { FormBody } from '../../../lib/forms.js';
import { PAGE_MESSAGES } from '../../../lib/messages.js';
import { isMultipart } from '../../../plugins/csrf.js';
import { cleanName, displayName, nameForMessages, settleType } from './filename.js';
import { FILE_MESSAGES } from './messages.js';
import { ALLOWED_FILE_TYPES, type ReceivedFile } from './received-file.js';
import { FileSniffer, type Sniffed } from './sniff.js';
import { inspectOfficeZip } from './zip.js';

/**
 * A multipart form read as it streams: text fields collected, each file written to a
 * temporary file (never held in memory) while it is hashed and its type sniffed, and cut at the
 * size limit. A file that cannot be accepted is a problem on its field, so the route can show
 * the form again filled in; a form that is broken or hostile (no token first, too many parts, a
 * body shorter or longer than it said) is refused whole. Nothing here touches the database.
 */

/** What one form may hold; busboy's share is set where the parser is registered (multipart.ts). */
export const MULTIPART_LIMITS = {
  /** Files one form may carry; empty file inputs do not count. */
  files: 5,
  /** File parts busboy reads at all, empty inputs included, before refusing the form. */
  fileParts: 20,
  fields: 60,
  parts: 70,
  fieldBytes: 128 * 1024,
  /** All text fields together: a case study's five Markdown sections fit with room to spare. */
  allFieldBytes: 1024 * 1024,
  fieldNameLength: 100,
  partHeaderBytes: 16 * 1024,
} as const;

export interface UploadProblem {
  /** The file input it concerns, for the message beside it. */
  field: string;
  message: string;
  /** 413 for a file too large or too many files, 422 for one refused. */
  status: 413 | 422;
}

export interface ReceivedForm {
  fields: FormBody;
  files: ReceivedFile[];
  problems: UploadProblem[];
  /** Removes the temporary files; also done once the answer is sent, whatever the route did. */
  discard(): Promise<void>;
}

export interface ReceiveOptions {
  maxFileBytes?: number;
  maxFiles?: number;
}

/** The temporary files of one form (or one command), removed together. */
export class TemporaryFiles {
  private readonly paths = new Set<string>();

  constructor(private readonly dir: string) {}

  create(): string {
    const file = path.join(this.dir, randomUUID());
    this.paths.add(file);
    return file;
  }

  async remove(file: string): Promise<void> {
    this.paths.delete(file);
    await rm(file, { force: true });
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.paths].map((file) => this.remove(file)));
  }
}

const formsOf = new WeakMap<FastifyRequest, TemporaryFiles>();

export async function discardUploadsOf(request: FastifyRequest): Promise<void> {
  await formsOf.get(request)?.removeAll();
}

const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
// Part headers and boundaries: a form's overhead beyond its files and fields, generously.
const OVERHEAD_BYTES = 256 * 1024;

/**
 * Reads the form of a route with `config: { multipartForm: true }`. Its `_csrf` field must be the
 * form's first element. A form posted urlencoded (no file inputs, or a client without them) comes
 * back as its parsed body with no files, its token already checked like any other form's.
 */
export async function receiveForm(request: FastifyRequest, options: ReceiveOptions = {}): Promise<ReceivedForm> {
  if (!isMultipart(request)) {
    if (request.body === null || typeof request.body !== 'object') throw new HttpError(415, FILE_MESSAGES.notMultipart);
    return { fields: request.body as FormBody, files: [], problems: [], discard: async () => {} };
  }
  const { dir, maxFileBytes: configured } = request.server.uploads;
  const limits = { maxFileBytes: options.maxFileBytes ?? configured, maxFiles: options.maxFiles ?? MULTIPART_LIMITS.files };
  const temporary = new TemporaryFiles(dir);
  formsOf.set(request, temporary);
  try {
    const form = await readParts(request, limits, temporary);
    return { ...form, discard: () => temporary.removeAll() };
  } catch (error) {
    await temporary.removeAll();
    throw asHttpError(error);
  }
}

type Limits = { maxFileBytes: number; maxFiles: number };

async function readParts(request: FastifyRequest, limits: Limits, temporary: TemporaryFiles): Promise<Omit<ReceivedForm, 'discard'>> {
  const declared = declaredLength(request);
  if (declared > limits.maxFiles * limits.maxFileBytes + MULTIPART_LIMITS.allFieldBytes + OVERHEAD_BYTES) throw new HttpError(413, FILE_MESSAGES.requestTooLarge(limits.maxFiles, limits.maxFileBytes));

  const form: Omit<ReceivedForm, 'discard'> = { fields: Object.create(null) as FormBody, files: [], problems: [] };
  const parts = request.parts({ limits: { fileSize: limits.maxFileBytes, headerSize: MULTIPART_LIMITS.partHeaderBytes } });
  // The first step pipes the body into the parser; counting starts after, so no byte is missed by either.
  let step = parts.next();
  const received = countBytes(request.raw);
  let fieldBytes = 0;
  let fileCount = 0;
  let first = true;
  for (let result = await step; !result.done; result = await step) {
    const part = result.value;
    if (first) {
      first = false;
      // Before a byte of any file is read: a form from elsewhere uploads nothing.
      request.verifyCsrfToken(part.type === 'field' && part.fieldname === '_csrf' ? part.value : undefined);
    }
    checkFieldName(part.fieldname);
    if (part.type === 'field') {
      fieldBytes += addField(form.fields, part);
      if (fieldBytes > MULTIPART_LIMITS.allFieldBytes) throw new HttpError(413, FILE_MESSAGES.fieldTooLong);
    } else if (part.filename === '') {
      // A file input left empty: browsers send it as a part with no name and no bytes.
      await drain(part);
    } else if (++fileCount > limits.maxFiles) {
      await drain(part);
      if (!form.problems.some((problem) => problem.status === 413 && problem.field === part.fieldname)) {
        form.problems.push({ field: part.fieldname, message: FILE_MESSAGES.tooManyFiles(limits.maxFiles), status: 413 });
      }
    } else {
      const outcome = await receiveFile(part, limits.maxFileBytes, temporary);
      if ('problem' in outcome) form.problems.push(outcome.problem);
      else form.files.push(outcome.file);
    }
    step = parts.next();
  }
  // An empty body has no parts, and so no token.
  if (first) request.verifyCsrfToken(undefined);
  await bodyEnd(request.raw);
  if (received.bytes !== declared) throw new BadRequest(FILE_MESSAGES.incomplete);
  return form;
}

function declaredLength(request: FastifyRequest): number {
  const header = request.headers['content-length'];
  if (header === undefined || !/^[0-9]{1,15}$/.test(header)) throw new HttpError(411, FILE_MESSAGES.lengthRequired);
  return Number(header);
}

function countBytes(raw: IncomingMessage): { bytes: number } {
  const counter = { bytes: 0 };
  raw.on('data', (chunk: Buffer) => {
    counter.bytes += chunk.length;
  });
  return counter;
}

/** Reads what follows the closing boundary; a body cut short never ends. */
async function bodyEnd(raw: IncomingMessage): Promise<void> {
  if (raw.readableEnded) return;
  await new Promise<void>((resolve, reject) => {
    raw.once('end', resolve);
    raw.once('error', reject);
    raw.once('close', () => (raw.readableEnded ? resolve() : reject(new BadRequest(FILE_MESSAGES.incomplete))));
    raw.resume();
  });
}

function checkFieldName(name: string): void {
  if (name.length > MULTIPART_LIMITS.fieldNameLength || FORBIDDEN_NAMES.has(name) || /[[\]]/.test(name)) throw new BadRequest(PAGE_MESSAGES.unexpectedField);
}

/** Adds a text field as the urlencoded parser does (repeats become a list); returns its size. */
function addField(fields: FormBody, part: Exclude<Multipart, MultipartFile>): number {
  // A part may declare itself JSON, which the plugin parses into an object: no form of ours sends one.
  if (typeof part.value !== 'string') throw new BadRequest(PAGE_MESSAGES.unexpectedField);
  if (part.valueTruncated) throw new HttpError(413, FILE_MESSAGES.fieldTooLong);
  // The parser decodes UTF-8 leniently: a replacement character means the bytes were not text.
  if (part.value.includes('\uFFFD')) throw new BadRequest(PAGE_MESSAGES.invalidEncoding);
  const existing = fields[part.fieldname];
  if (existing === undefined) fields[part.fieldname] = part.value;
  else if (Array.isArray(existing)) existing.push(part.value);
  else fields[part.fieldname] = [existing, part.value];
  return Buffer.byteLength(part.value);
}

async function drain(part: MultipartFile): Promise<void> {
  for await (const chunk of part.file) void chunk;
}

export type FileOutcome = { file: ReceivedFile } | { problem: UploadProblem };

/** One file as it arrives: from a form's part, or (for the demo library) made in code. */
export interface IncomingFile {
  field: string;
  /** The name the client gave it: only its extension is believed, and only if the bytes agree. */
  filename: string;
  bytes: Readable;
  /** True when the source stopped at the size limit. */
  cut: () => boolean;
}

async function receiveFile(part: MultipartFile, maxFileBytes: number, temporary: TemporaryFiles): Promise<FileOutcome> {
  return acceptFile({ field: part.fieldname, filename: part.filename, bytes: part.file, cut: () => part.file.truncated }, maxFileBytes, temporary);
}

/**
 * Writes a file to a temporary file while hashing and sniffing it, then judges it: a file a
 * member may share, or the problem to show them. Every accepted file, whoever sends it, passes here.
 */
export async function acceptFile(incoming: IncomingFile, maxFileBytes: number, temporary: TemporaryFiles): Promise<FileOutcome> {
  const tempPath = temporary.create();
  const sniffer = new FileSniffer();
  const hash = createHash('sha256');
  let byteSize = 0;
  const inspect = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      byteSize += chunk.length;
      hash.update(chunk);
      sniffer.push(chunk);
      // Once refused, the rest is read (to reach the next part) but not written.
      done(null, sniffer.refusal ? undefined : chunk);
    },
  });
  // Opened before any byte is piped, so the file exists by the time an error could remove it.
  const target = await open(tempPath, 'wx', 0o600);
  await pipeline(incoming.bytes, inspect, target.createWriteStream());

  const cleaned = cleanName(incoming.filename);
  const shown = nameForMessages(cleaned);
  const refuse = async (message: string, status: 413 | 422 = 422): Promise<FileOutcome> => {
    await temporary.remove(tempPath);
    return { problem: { field: incoming.field, message, status } };
  };
  if (incoming.cut()) return refuse(FILE_MESSAGES.tooLarge(shown, maxFileBytes), 413);
  if (byteSize === 0) return refuse(FILE_MESSAGES.empty(shown));
  const sniffed = sniffer.finish();
  if (!sniffed.ok) return refuse(FILE_MESSAGES.refused(shown, sniffed.refusal));
  const detected = await detectedType(sniffed.sniffed, tempPath, byteSize);
  if (!detected.ok) return refuse(FILE_MESSAGES.refused(shown, detected.refusal));
  const settled = settleType(detected.type, cleaned);
  if (!settled.ok) return refuse(FILE_MESSAGES.wrongExtension(shown, settled.extension, detected.type === 'text' ? 'text file' : ALLOWED_FILE_TYPES[detected.type].label));
  const dimensions = sniffed.sniffed.kind === 'image' ? { width: sniffed.sniffed.width, height: sniffed.sniffed.height } : { width: null, height: null };
  return {
    file: { field: incoming.field, tempPath, name: displayName(cleaned, settled.type), byteSize, sha256: hash.digest('hex'), contentType: settled.type, ...dimensions },
  };
}

async function detectedType(sniffed: Sniffed, tempPath: string, byteSize: number) {
  switch (sniffed.kind) {
    case 'pdf':
      return { ok: true, type: 'application/pdf' } as const;
    case 'text':
      return { ok: true, type: 'text' } as const;
    case 'image':
      return { ok: true, type: sniffed.type } as const;
    case 'zip':
      return inspectOfficeZip(tempPath, byteSize);
  }
}

const BROKEN_BODY = /unexpected end of multipart data|terminated early|boundary not found|malformed part header/i;

/** What the multipart parser throws, as the page a person sees. */
function asHttpError(error: unknown): unknown {
  if (error instanceof HttpError) return error;
  const { code, message } = error as { code?: string; message?: string };
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT' || code === 'FST_FILES_LIMIT') return new HttpError(413, FILE_MESSAGES.tooManyParts);
  if (code === 'FST_PROTO_VIOLATION' || code === 'FST_INVALID_JSON_FIELD_ERROR') return new BadRequest(PAGE_MESSAGES.unexpectedField);
  if (code === 'FST_MP_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || BROKEN_BODY.test(message ?? '')) return new BadRequest(FILE_MESSAGES.incomplete);
  return error;
}
