import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { STATIC_DIR } from '../lib/paths.js';
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
};

export default staticFiles;
