import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../src/db/database.js';
import { inTransaction } from '../../src/db/transaction.js';
import { insertFiles, replaceFile, type FileOwner } from '../../src/features/resources/files/queries.js';
import { withStoredFiles } from '../../src/features/resources/files/service.js';
import { PostgresFileStore } from '../../src/features/resources/files/storage.js';
import { receiveForm } from '../../src/features/resources/files/upload.js';
import { HttpError } from '../../src/lib/errors.js';
import { parseForm, textField } from '../../src/lib/forms.js';
import { RENDERER_VERSION } from '../../src/lib/markdown.js';
import { buildTestApp, TEST_HOST, type Browser, type TestApp, type TestAppOptions } from './app.js';
import { createTestDatabase } from './database.js';
import { createCategory, createThreads } from './forum-rows.js';

/**
 * Uploading files in tests: multipart bodies built in code (big files generated as they are
 * sent, never held whole), a probe route that does what a real form will (receiveForm, the
 * store, insertFiles in a transaction), and what a refused upload must not leave behind.
 */

/** `size` bytes: `head`, `fill` repeated, then `tail`; generated as they are sent. */
export interface GeneratedBytes {
  head: Buffer;
  size: number;
  fill?: number;
  tail?: Buffer;
}

/** The start and end of a PDF, for GeneratedBytes: the sniffer wants both. */
export const PDF_HEAD = Buffer.from('%PDF-1.7\n');
export const PDF_TAIL = Buffer.from('\n%%EOF\n');

export type FormPart = { name: string; value: string } | { name: string; filename: string; data: Buffer | GeneratedBytes; contentType?: string; disposition?: string };

const CHUNK = 64 * 1024;

function partHeader(part: FormPart): Buffer {
  if ('value' in part) return Buffer.from(`Content-Disposition: form-data; name="${part.name}"\r\n\r\n`);
  const disposition = part.disposition ?? `form-data; name="${part.name}"; filename="${part.filename}"`;
  return Buffer.from(`Content-Disposition: ${disposition}\r\nContent-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`);
}

function* partBody(part: FormPart): Generator<Buffer> {
  if ('value' in part) return yield Buffer.from(part.value);
  if (Buffer.isBuffer(part.data)) return yield part.data;
  const { head, size, fill = 0x20, tail = Buffer.alloc(0) } = part.data;
  yield head;
  const block = Buffer.alloc(CHUNK, fill);
  for (let left = size - head.length - tail.length; left > 0; left -= CHUNK) yield left >= CHUNK ? block : block.subarray(0, left);
  yield tail;
}

const bodyLength = (part: FormPart) => ('value' in part ? Buffer.byteLength(part.value) : Buffer.isBuffer(part.data) ? part.data.length : part.data.size);

export class MultipartBody {
  readonly boundary = `----CommonsTest${randomBytes(8).toString('hex')}`;

  constructor(readonly parts: FormPart[]) {}

  get contentType(): string {
    return `multipart/form-data; boundary=${this.boundary}`;
  }

  get length(): number {
    const delimiter = Buffer.byteLength(`--${this.boundary}\r\n`);
    return this.parts.reduce((sum, part) => sum + delimiter + partHeader(part).length + bodyLength(part) + 2, 0) + Buffer.byteLength(`--${this.boundary}--\r\n`);
  }

  *pieces(): Generator<Buffer> {
    for (const part of this.parts) {
      yield Buffer.from(`--${this.boundary}\r\n`);
      yield partHeader(part);
      yield* partBody(part);
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${this.boundary}--\r\n`);
  }

  stream(): Readable {
    return Readable.from(this.pieces(), { objectMode: false });
  }

  toBuffer(): Buffer {
    return Buffer.concat([...this.pieces()]);
  }
}

/** Posts a multipart form as the browser would, its CSRF token first; a stated Content-Length may differ from the body's. */
export async function postMultipart(app: FastifyInstance, browser: Browser, url: string, body: MultipartBody, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { host: TEST_HOST, origin: `http://${TEST_HOST}`, cookie: browser.cookieHeader, 'content-type': body.contentType, 'content-length': String(body.length), ...headers },
    payload: body.stream(),
  });
}

export const csrfPart = (token: string): FormPart => ({ name: '_csrf', value: token });

export const UPLOAD_PROBE = '/test/upload';

const ProbeForm = z.object({
  _csrf: z.string(),
  title: textField({ label: 'Title', max: 150, optional: true }),
  resource_id: z.coerce.number().int().positive().optional(),
  post_id: z.coerce.number().int().positive().optional(),
  /** Replace this file (of the same owner) with the one uploaded. */
  replace: z.coerce.number().int().positive().optional(),
  /** Fail the transaction after attaching, as a conflict would. */
  fail: z.literal('yes').optional(),
});

/**
 * What a resource or post form will do with its files, until those forms exist: refuse the
 * form with its problems and write nothing, or store the files and attach them in a transaction.
 */
export function uploadProbe(db: Database['db'], onRegister: (site: FastifyInstance) => void = () => {}): FastifyPluginAsync {
  const fileStore = new PostgresFileStore(db);
  return async (site) => {
    onRegister(site);
    site.post(UPLOAD_PROBE, { config: { multipartForm: true } }, async (request, reply) => {
      const form = await receiveForm(request);
      try {
        const parsed = parseForm(ProbeForm, form.fields);
        if (!parsed.ok || form.problems.length > 0) {
          const status = form.problems.some((problem) => problem.status === 413) ? 413 : 422;
          return reply.code(status).send({ problems: form.problems, errors: parsed.ok ? {} : parsed.errors, fields: form.fields });
        }
        const owner: FileOwner = parsed.data.resource_id ? { resourceId: parsed.data.resource_id } : { postId: parsed.data.post_id! };
        const ids = await withStoredFiles({ fileStore }, form.files, () =>
          inTransaction(db, async (trx) => {
            const attached = parsed.data.replace
              ? [await replaceFile(trx, parsed.data.replace, form.files[0]!, owner, request.member!.id)]
              : await insertFiles(trx, form.files, owner, request.member!.id);
            if (parsed.data.fail) throw new HttpError(409, 'Made to fail after attaching.');
            return attached;
          }),
        );
        return reply.send({ ids, fields: form.fields });
      } finally {
        await form.discard();
      }
    });
  };
}

export interface UploadTestApp extends TestApp {
  /** Where the app keeps uploads while it reads them. */
  uploadsDir: string;
}

/** The real app with the upload probe, on a database of its own (the server's, or the `database` given), closed with it. */
export async function buildUploadTestApp(options: Omit<TestAppOptions, 'database' | 'extraSiteRoutes'> & { database?: Database } = {}): Promise<UploadTestApp> {
  const database = options.database ?? (await createTestDatabase());
  let uploadsDir = '';
  const t = await buildTestApp({ ...options, database, extraSiteRoutes: uploadProbe(database.db, (site) => (uploadsDir = site.uploads.dir)) });
  return {
    ...t,
    uploadsDir,
    async close() {
      await t.close();
      await database.close();
    },
  };
}

/** A resource made straight in the database, with its discussion thread; its id. */
export async function createResourceRow(db: Database['db'], sharerId: number, options: { removed?: boolean } = {}): Promise<number> {
  const category = await db.selectFrom('categories').select('id').where('slug', '=', 'resource-library').executeTakeFirstOrThrow();
  const [threadId] = await createThreads(db, category.id, sharerId, 1);
  const row = await db
    .insertInto('resources')
    .values({
      kind: 'guide',
      title: 'Running a shared payroll',
      summary: 'How three agencies moved to one payroll service.',
      renderer_version: RENDERER_VERSION,
      sharer_id: sharerId,
      thread_id: threadId!,
      form_token: randomUUID(),
      removed_at: options.removed ? sql`now()` : null,
      removed_by: options.removed ? sharerId : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface PostRowOptions {
  visibleTo?: 'members' | 'moderators';
  hidden?: boolean;
  deleted?: boolean;
  threadHidden?: boolean;
}

/** A thread's first post made straight in the database, in a category of its own; its id. */
export async function createPostRow(db: Database['db'], authorId: number, options: PostRowOptions = {}): Promise<number> {
  const category = await createCategory(db, { visibleTo: options.visibleTo ?? 'members' });
  const [threadId] = await createThreads(db, category.id, authorId, 1);
  if (options.threadHidden) await db.updateTable('threads').set({ hidden_at: sql`now()` }).where('id', '=', threadId!).execute();
  const post = await db
    .updateTable('posts')
    .set({ hidden_at: options.hidden ? sql`now()` : null, deleted_at: options.deleted ? sql`now()` : null })
    .where('thread_id', '=', threadId!)
    .returning('id')
    .executeTakeFirstOrThrow();
  return post.id;
}

/** Everything an upload can write: file rows, stored contents and their chunks. */
export async function fileRows(db: Database['db']): Promise<{ files: number; blobs: number; chunks: number }> {
  const count = async (table: 'files' | 'file_blobs' | 'file_blob_chunks') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { files: await count('files'), blobs: await count('file_blobs'), chunks: await count('file_blob_chunks') };
}

/** The uploads waiting in the app's temporary directory. */
export function temporaryUploads(t: UploadTestApp): string[] {
  return fs.readdirSync(t.uploadsDir);
}
