/**
 * An independent reading of rendered post HTML, for the Markdown property tests: it parses tags
 * and attributes the way a browser would rather than trusting the renderer's own allow-list, and
 * returns what it finds wrong (nothing, for safe HTML).
 */
const SITE = 'https://commons.example';
const TAGS = new Set(['h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'em', 'strong', 's', 'a', 'code', 'pre', 'blockquote',
  'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);
const ATTRIBUTES: Record<string, string[]> = { a: ['href', 'title', 'rel', 'class'], ol: ['start'], code: ['class'], th: ['class'], td: ['class'] };
// Text may say `style=` or `onclick=`; only `<` always starts a tag in sanitized output.
const FORBIDDEN_TEXT = ['<script', '<img', '<iframe', '<svg', '<style', '<object', '<embed', '<form', '<meta', '<base', '<link'];
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/y;
const ATTRIBUTE = /\s*([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?|\s*\/\s*$|\s+$/y;
// The sanitizer writes only these named references; any other could hide a character.
const NAMED_REFERENCES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function findUnsafeHtml(html: string): string[] {
  const problems = FORBIDDEN_TEXT.filter((text) => html.toLowerCase().includes(text)).map((text) => `contains ${text}`);
  for (let at = html.indexOf('<'); at >= 0; at = html.indexOf('<', at + 1)) {
    TAG.lastIndex = at;
    const tag = TAG.exec(html);
    if (!tag) {
      problems.push(`a "<" that starts no tag at ${at}`);
      continue;
    }
    const [, closing, name, rest] = tag as unknown as [string, string, string, string];
    if (!TAGS.has(name)) problems.push(`tag <${closing}${name}>`);
    if (!closing) problems.push(...attributeProblems(name, rest));
  }
  return problems;
}

function attributeProblems(tag: string, source: string): string[] {
  const problems: string[] = [];
  for (let at = 0; at < source.length; at = ATTRIBUTE.lastIndex) {
    ATTRIBUTE.lastIndex = at;
    const match = ATTRIBUTE.exec(source);
    if (!match || match[0] === '') return [...problems, `unreadable attributes in <${tag}${source}>`];
    const name = match[1]?.toLowerCase();
    if (name === undefined) continue;
    if (name.startsWith('on')) problems.push(`event handler ${name} on <${tag}>`);
    if (!ATTRIBUTES[tag]?.includes(name)) problems.push(`attribute ${name} on <${tag}>`);
    const value = decodeReferences(match[2] ?? match[3] ?? match[4] ?? '');
    if (value === undefined) problems.push(`unexpected character reference in ${name} on <${tag}>`);
    else if (name === 'href' || name === 'src') problems.push(...urlProblems(value));
  }
  return problems;
}

function decodeReferences(value: string): string | undefined {
  let unknown = false;
  const decoded = value.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);?/g, (reference, body: string) => {
    if (body.startsWith('#')) {
      const code = /^#[xX]/.test(body) ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
    }
    if (reference.endsWith(';') && NAMED_REFERENCES[body] !== undefined) return NAMED_REFERENCES[body];
    unknown = true;
    return reference;
  });
  return unknown ? undefined : decoded;
}

/** A browser's view of a link: WHATWG URL parsing drops the tabs, newlines and padding that hide a scheme. */
function urlProblems(href: string): string[] {
  const squeezed = href.toLowerCase().replace(/[\u0000-\u0020\u007f]/g, '');
  if (/^(?:javascript|vbscript|data):/.test(squeezed)) return [`script or data URL ${JSON.stringify(href)}`];
  let url: URL;
  try {
    url = new URL(href, `${SITE}/t/1`);
  } catch {
    return [];
  }
  if (!['http:', 'https:', 'mailto:'].includes(url.protocol)) return [`scheme ${url.protocol} in ${JSON.stringify(href)}`];
  const absolute = /^(?:https?:|mailto:)/.test(squeezed);
  if (!absolute && url.origin !== SITE) return [`relative link leaving the site ${JSON.stringify(href)}`];
  return [];
}
