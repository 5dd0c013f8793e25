import path from 'node:path';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { isLoopbackHost } from '../../config.js';
import { NotFound } from '../../lib/errors.js';
import { findMailboxMessage, listMailbox } from '../../mail/mailbox.js';

/**
 * The on-disk mailbox, for development without SMTP. It shows live sign-in links, so it
 * answers only a browser on this machine talking to it directly: the socket's peer is a
 * loopback address, the Host is the configured loopback host and port, and no proxy header
 * is present (a proxy on this machine would otherwise make any visitor look local).
 */
export function isDirectLocalRequest(request: FastifyRequest, config: Config): boolean {
  const peer = request.raw.socket.remoteAddress ?? '';
  const viaProxy = Object.keys(request.headers).some((name) => name.startsWith('x-forwarded-') || name === 'forwarded' || name === 'x-real-ip');
  return isLoopbackHost(peer.replace(/^::ffff:/, '')) && isLoopbackHost(config.publicUrl.hostname) && request.headers.host === config.publicUrl.host && !viaProxy;
}

// Links in a plain-text email, made clickable only when they point at this site.
function linkify(text: string, origin: string): { text: string; href?: string }[] {
  return text.split(/(https?:\/\/[^\s<>"]+)/).map((part) => (part.startsWith(`${origin}/`) ? { text: part, href: part } : { text: part }));
}

const devMailRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const mailDir = path.join(config.dataDir, 'mail');
  const routeConfig = { config: { access: 'dev-mailbox' as const } };

  app.addHook('onRequest', async (request) => {
    if (!isDirectLocalRequest(request, config)) throw new NotFound();
  });

  app.get('/dev/mail', routeConfig, async (_request, reply) => reply.view('dev-mail/list', { title: 'Development mailbox', messages: listMailbox(mailDir).map((message) => ({ ...message, date: new Date(message.date) })) }));

  app.get<{ Params: { id: string } }>('/dev/mail/:id', routeConfig, async (request, reply) => {
    const message = findMailboxMessage(mailDir, request.params.id);
    if (!message) throw new NotFound();
    return reply.view('dev-mail/message', { title: message.subject, message: { ...message, date: new Date(message.date) }, parts: linkify(message.text, config.publicUrl.origin) });
  });

  // The HTML version in a sandbox of its own: an opaque origin with no script, so nothing in
  // an email can act as this site.
  app.get<{ Params: { id: string } }>('/dev/mail/:id/html', routeConfig, async (request, reply) => {
    const message = findMailboxMessage(mailDir, request.params.id);
    if (!message?.html) throw new NotFound();
    return reply
      .header('content-security-policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
      .type('text/html; charset=utf-8')
      .send(message.html);
  });
};

export default devMailRoutes;
