import type { FastifyHttpOptions, FastifyReply } from 'fastify';
import type { Server } from 'node:http';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { parseUrlEncoded } from './lib/forms.js';
import { loggerOptions } from './lib/logger.js';
import { PAGE_MESSAGES } from './lib/messages.js';
import type { Templates } from './lib/templates.js';
import { errorPageData } from './plugins/errors.js';
import { RequestLogController } from './plugins/request-log.js';
import { INVALID_QUERY } from './plugins/request-target.js';
import { securityHeadersWithoutHooks } from './plugins/security-headers.js';
import { renderPage } from './plugins/view.js';
import type { SiteSettings } from './site-settings.js';

// SECURITY.md, the bar item 12.
export const BODY_LIMIT_BYTES = 256 * 1024;
const REQUEST_TIMEOUT_MS = 60_000;

/** Trust the nearest `hops` proxies, as proxy-addr counts them. */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

/** How Fastify itself is set up: limits, proxies, request ids, and what it answers on its own. */
export function serverOptions(config: Config, templates: Templates, settings: SiteSettings, logStream?: DestinationStream): FastifyHttpOptions<Server> {
  return {
    logger: loggerOptions(config.logLevel, logStream),
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // Request ids are ours: an id from outside could be forged to confuse the logs.
    requestIdHeader: false,
    logController: new RequestLogController(),
    genReqId: () => crypto.randomUUID(),
    // A URL the router cannot decode (`/verify/abc%`) gets our 400 page, with our headers.
    // Fastify's bare reply here has none of our decorators: the page is rendered directly.
    frameworkErrors: (error, _request, reply) => {
      const page = errorPageData(400, error.code === 'FST_ERR_BAD_URL' ? PAGE_MESSAGES.invalidEncoding : undefined);
      const plain = reply as FastifyReply;
      const html = renderPage(templates, config, settings, plain, 'errors/error', page);
      return plain.code(400).headers(securityHeadersWithoutHooks(config)).type('text/html; charset=utf-8').send(html);
    },
    routerOptions: {
      ignoreTrailingSlash: false,
      maxParamLength: 200,
      // Query strings are decoded as strictly as form bodies (invalid UTF-8 is a 400, in plugins/request-target.ts).
      querystringParser: (query) => {
        try {
          return parseUrlEncoded(query);
        } catch {
          return { [INVALID_QUERY]: true };
        }
      },
    },
  };
}
