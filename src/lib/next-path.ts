import type { FastifyReply } from 'fastify';

/**
 * Where the site may send a browser: only a path on this site, so `?next=` can never become an
 * open redirect (`//evil.example`, `/\evil.example`, `/.//evil.example`, `javascript:…`, an
 * absolute URL).
 */
const MAX_LENGTH = 2000;
const BASE = 'http://commons.invalid';

/**
 * One leading `/` and no second one or `\` after it; no `//` in the path part (only an empty
 * segment can become `//` once `.` and `..` are resolved); and no backslash or control character
 * anywhere, since browsers drop tab, CR and LF from a URL and read `\` as `/`.
 */
export function isLocalPath(value: string): boolean {
  if (!/^\/(?![/\\])/.test(value) || /[\u0000-\u001f\u007f\\]/.test(value)) return false;
  return !value.split(/[?#]/, 1)[0]!.includes('//');
}

/**
 * The path a browser would go to, resolved as a browser resolves it (`.`, `..`, `%2e`); the
 * fallback unless both what was given and what it resolves to are paths on this site.
 */
export function safeNextPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length > MAX_LENGTH || !isLocalPath(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return fallback;
  }
  const resolved = `${url.pathname}${url.search}${url.hash}`;
  return url.origin === BASE && isLocalPath(resolved) ? resolved : fallback;
}

/**
 * Every redirect to a page of ours goes through here, so a path that slipped past a check
 * upstream (a slug, a query value) goes to the home page, logged, never to another site and
 * never as a 500.
 */
export function redirectTo(reply: FastifyReply, path: string): FastifyReply {
  if (isLocalPath(path)) return reply.redirect(path, 303);
  reply.log.warn({ path: path.slice(0, 100) }, 'refused to redirect off this site; sent to the home page instead');
  return reply.redirect('/', 303);
}
