/** Whether a database error is a unique violation (of the named index, when given). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

// SQLSTATEs of a server going away or not yet back: shut down by an operator or a crash of
// another backend (57P01, 57P02), starting up or recovering (57P03), and the connection
// exceptions (class 08).
const SERVER_GONE_CODES = /^(?:57P0[123]|08...)$/;
// What pg and the network say when the connection itself is lost or refused.
const CONNECTION_LOST = /^(?:Connection terminated|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether an error says the database is out of reach (restarting, crashed, the network cut)
 * rather than that the statement was wrong: the request may well succeed in a few seconds.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (SERVER_GONE_CODES.test(code) || NETWORK_CODES.has(code))) return true;
  return typeof message === 'string' && CONNECTION_LOST.test(message);
}
