const MAX_SLUG = 80;

/**
 * The readable part of a thread's address, from its title: lower-case ASCII words joined by
 * hyphens ("Records keeping for posts?" → "records-keeping-for-posts"). Only decoration: a
 * thread is found by its id, and a title with no Latin letters gets "thread".
 */
export function slugify(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word;
    if (next.length > MAX_SLUG) break;
    slug = next;
  }
  return slug || 'thread';
}
