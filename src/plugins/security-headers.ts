import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import type { Config } from '../config.js';

/**
 * The headers of SECURITY.md's bar, item 7, spelled out rather than taken from helmet's
 * defaults (which allow inline styles and framing by the same origin).
 */
function cspDirectives(https: boolean): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'form-action': ["'self'"],
    'frame-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'manifest-src': ["'self'"],
    ...(https ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

/**
 * The same policy for the few answers Fastify makes before any hook runs (a URL the router
 * cannot decode), where helmet never gets a turn.
 */
export function securityHeadersWithoutHooks(config: Config): Record<string, string> {
  const https = config.publicUrl.protocol === 'https:';
  const csp = Object.entries(cspDirectives(https))
    .map(([name, values]) => [name, ...values].join(' '))
    .join(';');
  return {
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const https = config.publicUrl.protocol === 'https:';
    await app.register(helmet, {
      global: true,
      contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(https) },
      strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true, preload: false } : false,
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'same-origin' },
      noSniff: true,
      crossOriginOpenerPolicy: { policy: 'same-origin' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      crossOriginEmbedderPolicy: false,
      originAgentCluster: true,
      dnsPrefetchControl: { allow: false },
      xDownloadOptions: true,
      xPermittedCrossDomainPolicies: { permittedPolicies: 'none' },
      xXssProtection: false,
      hidePoweredBy: true,
    });
    app.addHook('onSend', async (_request, reply) => {
      reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
      // Pages can carry a member's private view; static files set their own caching.
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    });
  },
  { name: 'security-headers' },
);
