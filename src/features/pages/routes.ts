import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config.js';
import { GUIDELINES } from './guidelines.js';

const publicPage = { config: { access: 'public' as const } };

const pageRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  app.get('/', publicPage, async (request, reply) =>
    request.member ? reply.view('pages/home', { title: `Welcome, ${request.member.displayName}` }) : reply.view('pages/landing', { title: 'A community for public servants' }),
  );

  app.get('/guidelines', publicPage, async (_request, reply) =>
    reply.view('pages/guidelines', { title: 'Community guidelines', guidelinesVersion: GUIDELINES.version, guidelinesDate: GUIDELINES.inEffectFrom }),
  );

  app.get('/privacy', publicPage, async (_request, reply) => reply.view('pages/privacy', { title: 'Privacy notice', contactAddress: config.contactAddress }));

  app.get('/accessibility', publicPage, async (_request, reply) => reply.view('pages/accessibility', { title: 'Accessibility statement', contactAddress: config.contactAddress }));
};

export default pageRoutes;
