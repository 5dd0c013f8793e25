import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import multipart from '@fastify/multipart';
import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config.js';
import { discardUploadsOf, MULTIPART_LIMITS } from './upload.js';

export interface UploadSettings {
  /**
   * Where uploads wait to be checked and stored: a directory of this process's own (mode 0700)
   * under the system's temporary directory (TMPDIR), removed when it stops. Not DATA_DIR, which a
   * production instance (with DATABASE_URL, SMTP_URL and SESSION_SECRET) never creates.
   */
  dir: string;
  maxFileBytes: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    uploads: UploadSettings;
  }
}

// No upload takes this long (requests time out after 60 s): anything older was missed by every cleanup.
const STALE_AFTER_MS = 60 * 60 * 1000;

export async function removeStaleUploads(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_AFTER_MS) {
      await rm(file, { force: true, recursive: true });
      removed += 1;
    }
  }
  return removed;
}

function sweepHourly(dir: string, log: FastifyBaseLogger): () => void {
  const timer = setInterval(() => {
    removeStaleUploads(dir).then(
      (removed) => removed > 0 && log.warn({ removed }, 'removed uploads left behind'),
      (error: unknown) => log.error({ err: error }, 'could not sweep the uploads directory'),
    );
  }, STALE_AFTER_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Multipart forms (file uploads) for the whole site, with busboy's limits set once. A route
 * reads one only through receiveForm (upload.ts), and only if it says `multipartForm: true`
 * (plugins/csrf.ts); the parser registered here reads nothing until then.
 */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'commons-uploads-'));
    const stopSweeping = sweepHourly(dir, app.log);
    app.addHook('onClose', async () => {
      stopSweeping();
      await rm(dir, { recursive: true, force: true });
    });

    await app.register(multipart, {
      // Sizes are checked by receiveForm, which reports a file too large on the form.
      throwFileSizeLimit: false,
      limits: {
        fileSize: config.uploadMaxFileBytes,
        files: MULTIPART_LIMITS.fileParts,
        fields: MULTIPART_LIMITS.fields,
        parts: MULTIPART_LIMITS.parts,
        fieldSize: MULTIPART_LIMITS.fieldBytes,
        fieldNameSize: MULTIPART_LIMITS.fieldNameLength,
        headerPairs: 20,
      },
    });
    app.decorate('uploads', { dir, maxFileBytes: config.uploadMaxFileBytes });
    // Whatever a route did with a form, its temporary files go before the answer leaves (a
    // redirect is sent before a route's own `finally` runs), and at the latest when the
    // exchange ends (a client that went away gets no answer).
    app.addHook('onSend', async (request, _reply, payload) => {
      await discardUploadsOf(request);
      return payload;
    });
    app.addHook('onResponse', async (request) => discardUploadsOf(request));
  },
  { name: 'uploads' },
);
