import { ERROR_PAGES, waitInWords } from './messages.js';

/**
 * Expected failures, each with the status it answers with and the message a person reads.
 * The central error handler (plugins/errors.ts) renders them; anything else is a 500.
 */
export interface PageLink {
  href: string;
  text: string;
}

/** What an error page may say besides its message: its own heading, and where to go next. */
export interface ErrorPageExtras {
  title?: string;
  links?: PageLink[];
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message?: string,
    readonly headers: Record<string, string> = {},
    readonly page: ErrorPageExtras = {},
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

/** Past a limit: the page says in words when to try again, and Retry-After says it to machines. */
export class RateLimited extends HttpError {
  /** `reason` says which limit, when the general "a lot of requests" would puzzle. */
  constructor(retryAfterSeconds: number, reason = ERROR_PAGES[429]!.message, page: ErrorPageExtras = {}) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(429, `${reason} Try again ${waitInWords(seconds)}.`, { 'retry-after': String(seconds) }, page);
  }
}

/** Too busy to take this on now (a full queue): 503 with Retry-After, never an endless wait. */
export class Overloaded extends HttpError {
  constructor(retryAfterSeconds: number) {
    super(503, undefined, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

/**
 * An action refused for what it would do to the data as it stands (a duplicate, an agency merged
 * into itself, a member already deactivated), not for how it was typed: a page shows the message
 * with the form (against `field` when one field is to blame), and `npm run admin` prints it as its
 * whole answer. Unhandled, it is an error page with the same words.
 */
export class Refused extends HttpError {
  constructor(
    message: string,
    readonly field = '_form',
    statusCode = 422,
  ) {
    super(statusCode, message);
  }
}
