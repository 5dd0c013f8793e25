import type { FastifyRequest } from 'fastify';

/** A notice that survives one redirect (POST → 303 → GET), kept in the session. */
declare module 'fastify' {
  interface Session {
    flash?: string;
  }
}

export function setFlash(request: FastifyRequest, notice: string): void {
  request.session.set('flash', notice);
}

/** The pending notice, removed as it is read; none where the route has no session. */
export function takeFlash(request: FastifyRequest): string | undefined {
  // No session where the route has none, and none that works on a request @fastify/session skipped.
  const session = (request as { session?: FastifyRequest['session'] }).session;
  if (typeof session?.get !== 'function') return undefined;
  const notice = session.get('flash');
  if (notice !== undefined) session.set('flash', undefined);
  return notice;
}
