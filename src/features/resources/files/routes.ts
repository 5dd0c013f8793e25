import { Transform } from 'node:stream';
import contentDisposition from 'content-disposition';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { parseParams } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { databaseId } from '../../discussions/schemas.js';
import { fileUrl, urlName } from './filename.js';
import { findDownloadableFile, type DownloadableFile } from './queries.js';
import { ALLOWED_FILE_TYPES } from './received-file.js';
import { recordDownload } from './service.js';

const FileParams = z.object({ id: databaseId, filename: z.string() });

// Whatever a file holds, a browser that opens it runs nothing and loads nothing (SECURITY.md, the bar item 9).
const FILE_POLICY = "default-src 'none'; sandbox";

/**
 * Downloads, authorised on every request (a file whose post is hidden stops downloading at
 * once): as an attachment named by Content-Disposition, images inline, with the type decided
 * when it was uploaded and nothing a browser could sniff or run.
 */
function fileHeaders(file: DownloadableFile): Record<string, string> {
  return {
    'content-type': file.contentType.startsWith('text/') ? `${file.contentType}; charset=utf-8` : file.contentType,
    'content-disposition': contentDisposition(file.name, { type: ALLOWED_FILE_TYPES[file.contentType].image ? 'inline' : 'attachment' }),
    'content-security-policy': FILE_POLICY,
    'x-content-type-options': 'nosniff',
    'cache-control': 'private, no-cache',
    // The contents under a key never change, so the key is the validator; a revalidation is authorised like any request.
    etag: `"${file.storageKey}"`,
  };
}

const fileRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // HEAD as a route of its own: Fastify's automatic one would say the length is 0.
  app.route({
    method: ['GET', 'HEAD'],
    url: '/files/:id/:filename',
    handler: async (request, reply) => {
      const params = parseParams(FileParams, request.params);
      const viewer = request.member!;
      const found = await findDownloadableFile(deps.db, viewer, params.id);
      if (!found) throw new NotFound();
      if (!found.mayDownload) {
        request.log.warn({ fileId: params.id }, 'refused a file the member may not see');
        throw new NotFound();
      }
      const { file } = found;
      if (params.filename !== urlName(file.name)) return redirectTo(reply, fileUrl(file));
      const headers = fileHeaders(file);
      reply.headers(headers);
      if (request.headers['if-none-match'] === headers.etag) return reply.code(304).send();
      if (request.method === 'HEAD') return reply.header('content-length', file.byteSize).send();
      const contents = await deps.fileStore.get(file.storageKey);
      if (!contents) {
        request.log.error({ fileId: file.id }, 'a file’s contents are missing from the store');
        throw new NotFound();
      }
      // Counted once the last byte is read, before the response ends: a download cut short
      // does not count towards "most downloaded".
      const counted = new Transform({
        transform: (chunk, _encoding, done) => done(null, chunk),
        flush: (done) => void recordDownload(deps, file.id, viewer.id).then(() => done(), done),
      });
      contents.once('error', (error) => counted.destroy(error));
      return reply.header('content-length', file.byteSize).send(contents.pipe(counted));
    },
  });
};

export default fileRoutes;
