import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../lib/db-errors.js';
import { HttpError, type ErrorPageExtras } from '../lib/errors.js';
import { ERROR_PAGES } from '../lib/messages.js';

/**
 * One place turns every failure into a page: expected ones (HttpError, Fastify's 4xx) say what
 * went wrong in plain words; anything else is logged with the request id and shown as a 500
 * that quotes the id, never a stack trace.
 */

export function errorPageData(status: number, message?: string, extras: ErrorPageExtras = {}) {
  const page = ERROR_PAGES[status] ?? ERROR_PAGES[status >= 500 ? 500 : 400]!;
  return { title: extras.title ?? page.title, message: message ?? page.message, links: extras.links ?? [], status, showRequestId: status >= 500 };
}

export function renderError(reply: FastifyReply, status: number, message?: string, headers: Record<string, string> = {}, extras: ErrorPageExtras = {}): FastifyReply {
  const page = errorPageData(status, message, extras);
  reply.code(status).headers(headers);
  try {
    return reply.view('errors/error', page);
  } catch (error) {
    reply.log.error({ err: error }, 'the error page could not be rendered');
    return reply.type('text/plain; charset=utf-8').send(`${page.title}\n\n${page.message}\n\nRequest id: ${reply.request.id}\n`);
  }
}

/** Every pooled connection busy past the pool's wait: overload, answered as such, not a fault. */
function isDatabaseBusy(error: Error): boolean {
  return /timeout exceeded when trying to connect|Connection terminated due to connection timeout/.test(error.message);
}

/** A statement cancelled at the database's statement_timeout (SQLSTATE 57014, query_canceled). */
function isStatementTimeout(error: Error): boolean {
  return (error as { code?: unknown }).code === '57014';
}

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof HttpError) {
    return renderError(reply, error.statusCode, error.message || undefined, error.headers, error.page);
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // A 429 from the rate limiter arrives with its Retry-After header already set.
    return renderError(reply, status);
  }
  if (isDatabaseBusy(error)) {
    request.log.warn({ err: error }, 'no database connection came free in time');
    return renderError(reply, 503, undefined, { 'retry-after': '5' });
  }
  if (isStatementTimeout(error)) {
    // The page is the busy one, with a time to come back (the database may be swamped, and this
    // very request may go through later), but a statement that outlasts the limit is also
    // something to fix: logged as an error.
    request.log.error({ err: error }, 'a database statement ran past its time limit');
    return renderError(reply, 503, undefined, { 'retry-after': '5' });
  }
  if (isDatabaseUnavailable(error)) {
    // PostgreSQL restarting or out of reach: nothing was committed that the member was told of,
    // and the same form sent again in a few seconds goes through (its form token makes a second
    // send of a write that did commit find the first). A 500 would say the request was at fault.
    request.log.warn({ err: error }, 'the database is unreachable');
    return renderError(reply, 503, undefined, { 'retry-after': '5' });
  }
  request.log.error({ err: error }, 'request failed');
  return renderError(reply, status === 503 ? 503 : 500);
}

export function registerErrorPages(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) => renderError(reply, 404));
}
