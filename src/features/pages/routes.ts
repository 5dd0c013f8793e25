import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.js';
import { loadHome } from '../discussions/home.js';
import { GUIDELINES } from './guidelines.js';

const publicPage = { config: { access: 'public' as const } };

const pageRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const { config } = deps;

  // One address for everyone: the landing page for visitors, the member's own home once signed in.
  app.get('/', publicPage, async (request, reply) => {
    if (!request.member) return reply.view('pages/landing', { title: 'A community for public servants' });
    return reply.view('pages/home', { title: `Welcome, ${request.member.displayName}`, ...(await loadHome(deps, request.member)) });
  });

  app.get('/guidelines', publicPage, async (_request, reply) =>
    reply.view('pages/guidelines', { title: 'Community guidelines', guidelinesVersion: GUIDELINES.version, guidelinesDate: GUIDELINES.inEffectFrom }),
  );

  app.get('/privacy', publicPage, async (_request, reply) => reply.view('pages/privacy', { title: 'Privacy notice', contactAddress: config.contactAddress }));

  app.get('/accessibility', publicPage, async (_request, reply) => reply.view('pages/accessibility', { title: 'Accessibility statement', contactAddress: config.contactAddress }));
};

export default pageRoutes;
