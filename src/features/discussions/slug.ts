const MAX_SLUG = 80;

/**
 * The readable part of a thread's address, from its title: lower-case ASCII words joined by
 * hyphens ("Records keeping for posts?" → "records-keeping-for-posts"), whole words up to `max`
 * characters. Only decoration for a thread, which is found by its id; a title with no Latin
 * letters gets the fallback.
 */
export function slugify(title: string, { max = MAX_SLUG, fallback = 'thread' } = {}): string {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word;
    if (next.length > max) break;
    slug = next;
  }
  return slug || fallback;
}
