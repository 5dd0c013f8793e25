import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, STATIC_DIR } from '../lib/paths.js';
import { markPublic } from './access.js';

/** static/ under /static/, outside the session's scope: serving a file never touches the database. */
const staticFiles: FastifyPluginAsync = async (app) => {
  markPublic(app);
  await app.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    maxAge: '1h',
    index: false,
    list: false,
    dotfiles: 'deny',
    decorateReply: false,
  });
  // The passkey ceremony's browser half, served from the installed package so it always matches
  // the server half's version, with no CDN and no copy to keep in step.
  const webauthnBrowser = fs.readFileSync(path.join(PROJECT_ROOT, 'node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js'));
  app.get('/static/vendor/simplewebauthn-browser.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(webauthnBrowser));
};

export default staticFiles;
