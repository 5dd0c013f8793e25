import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { maskSecretsInUrl } from '../lib/logger.js';
import { clientAddressOf } from './client-address.js';

/**
 * One line per request at info, written when the response is let go, with what an operator looks
 * for: what was asked, how it ended, how long it took, from where and by whom (the request id is
 * on every line the request's logger writes). It replaces Fastify's pair of lines ("incoming
 * request" and "request completed"); the start of a request is logged at debug only, to follow
 * one that never ends. Fastify's other request lines (not found, its default error log) stay
 * off: our error pages log what they handle.
 */
export class RequestLogController extends LogController {
  constructor() {
    super({ disableRequestLogging: true });
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    request.log.debug({ req: request }, 'request received');
    // Written when the response is let go, on every path: Fastify's own completion call
    // skips the requests its router refuses (a bad URL), and those need a line too.
    reply.raw.once('close', () => logRequest(request, reply));
  }

  override requestCompleted(error: Error | null | undefined, _request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ err: error }, 'the response failed');
  }
}

function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  reply.log.info(
    {
      method: request.method,
      url: maskSecretsInUrl(request.url),
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime),
      memberId: request.member?.id,
      // Worked out here: a request the router refused has none of our decorators.
      remoteAddress: clientAddressOf(request),
      // The client went away before the whole response was sent.
      ...(reply.raw.writableFinished ? {} : { aborted: true }),
    },
    'request',
  );
}
