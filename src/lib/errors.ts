/**
 * Expected failures, each with the status it answers with and the message a person reads.
 * The central error handler (plugins/errors.ts) renders them; anything else is a 500.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class BadRequest extends HttpError {
  constructor(message?: string) {
    super(400, message);
  }
}

export class Forbidden extends HttpError {
  constructor(message?: string) {
    super(403, message);
  }
}

export class NotFound extends HttpError {
  constructor(message?: string) {
    super(404, message);
  }
}

export class RateLimited extends HttpError {
  constructor(retryAfterSeconds: number, message?: string) {
    super(429, message, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}
