/**
 * Where to send someone after signing in: only a path on this site, so `?next=` can never
 * become an open redirect (`//evil.example`, `/\evil.example`, `javascript:…`, an absolute URL).
 */
export function safeNextPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  // Browsers treat tab, CR, LF and backslash in a URL as they please; refuse any control character.
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  const base = 'http://commons.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return fallback;
  }
  return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : fallback;
}
