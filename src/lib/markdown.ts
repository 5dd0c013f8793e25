import MarkdownIt, { type StateCore, type Token } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/**
 * Markdown for posts (and later resources, search snippets and email excerpts). Two layers, as
 * SECURITY.md asks: markdown-it with raw HTML off and a link allow-list decides what may be a tag
 * or a link at all; sanitize-html then re-parses its output against an allow-list of tags,
 * attributes, classes and URL schemes, so a markdown-it bug or a later plugin cannot add a tag,
 * an event handler, a style or a script URL.
 *
 * Choices the output depends on (bump RENDERER_VERSION when one changes):
 * - Headings move down two levels (# → h3, ## → h4, ### → h5, deeper → h6): the page's h1 is the
 *   thread title and its h2s the page sections, and a post must never outrank them.
 * - No images, ever: `![alt](url)` is a plain link to the url with the alt as its text, so a post
 *   cannot track its readers or load anything. An image whose url is not allowed is not parsed as
 *   one at all (markdown-it's validateLink refuses it) and stays inert source text.
 * - Links: only http, https, mailto and relative paths; never protocol-relative (`//host`).
 *   Every link gets `rel="nofollow ugc noopener noreferrer"` and no `target`: opening a new
 *   window is the reader's choice, and an unexpected one disorients screen-reader users.
 * - Only links that carry a scheme (and email addresses) are linkified: linkify-it's fuzzy
 *   matching would turn file names such as `README.md` or `setup.py` into links.
 * - Table alignment becomes a class (`align-left|center|right`): style attributes are dropped.
 * - A fence keeps its language as `language-xxx` only if it is [a-z0-9+-] once lower-cased.
 * - Every syntactically valid @handle becomes a link to /u/<handle>, existing or not: rendering
 *   stays a pure function of the source (the stored HTML cannot go stale when a member joins or
 *   renames), and a dead mention is a 404 that shows nothing.
 */
// 1 was the placeholder the discussions feature landed with (markdown-it's defaults, h1s, images).
export const RENDERER_VERSION = 2;

const LINK_REL = 'nofollow ugc noopener noreferrer';
const ABSOLUTE_URL = /^(?:https?:\/\/|mailto:)/i;
// A path here (`/t/12`, `#p-4`, `?page=2`, `notes/x`): no scheme before the first / ? or #, and
// no second slash or backslash after a leading one, which browsers read as another host.
const RELATIVE_URL = /^(?:\/(?![/\\])|[#?]|[^:/?#\\]+(?:[/?#]|$))/;
const UNSAFE_URL_CHARACTER = /[\u0000-\u0020\u007f\\]/;
// Handles as the members table allows them (0002_membership). Not part of a word, an email
// address (`ann@agency`), a path or a scoped package (`@types/node`).
const MENTION = /(?<![\w@./+-])@(\w{3,30})(?![\w@/-]|\.\w)/g;
const LANGUAGE = /^[a-z0-9+-]{1,30}$/;
const ALIGNMENT = /^text-align:(left|center|right)$/;

/** Whether a link destination may become an href: http(s), mailto, or a path on this site. */
export function isAllowedHref(href: string): boolean {
  if (UNSAFE_URL_CHARACTER.test(href)) return false;
  return ABSOLUTE_URL.test(href) || RELATIVE_URL.test(href);
}

const md = new MarkdownIt('default', { html: false, linkify: true, typographer: false });
md.validateLink = isAllowedHref;
md.core.ruler.push('commons_blocks', shapeBlocks);
md.core.ruler.after('linkify', 'commons_mentions', linkMentions);
md.renderer.rules.image = (tokens, idx, options, env, renderer) => {
  const token = tokens[idx]!;
  const href = String(token.attrGet('src') ?? '');
  const text = renderer.renderInlineAsText(token.children ?? [], options, env) || href;
  return `<a href="${md.utils.escapeHtml(href)}">${md.utils.escapeHtml(text)}</a>`;
};

function shapeBlocks(state: StateCore): void {
  for (const token of state.tokens) {
    if (token.type === 'heading_open' || token.type === 'heading_close') {
      token.tag = `h${Math.min(Number(token.tag.slice(1)) + 2, 6)}`;
    } else if (token.type === 'th_open' || token.type === 'td_open') {
      const alignment = ALIGNMENT.exec(String(token.attrGet('style') ?? ''))?.[1];
      token.attrs = alignment ? [['class', `align-${alignment}`]] : null;
    } else if (token.type === 'fence') {
      const language = md.utils.unescapeAll(token.info).trim().split(/\s/, 1)[0]!.toLowerCase();
      token.info = LANGUAGE.test(language) ? language : '';
    }
  }
}

/**
 * Runs after linkify and before escaped characters are joined into the text around them, so
 * text inside links (and email addresses linkify found) is skipped, code is never text, and
 * `\@name` stays plain.
 */
function linkMentions(state: StateCore): void {
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const children: Token[] = [];
    let linkDepth = 0;
    for (const token of block.children) {
      if (token.type === 'link_open') linkDepth += 1;
      if (token.type === 'link_close') linkDepth -= 1;
      if (token.type === 'text' && linkDepth === 0) addWithMentions(state, token, children);
      else children.push(token);
    }
    block.children = children;
  }
}

/** Pushes the text token, or its pieces around each mention, one at a time: a 32 KB post can
 * hold thousands of mentions, too many to spread into one call's arguments. */
function addWithMentions(state: StateCore, token: Token, into: Token[]): void {
  const text = (content: string): Token => Object.assign(new state.Token('text', '', 0), { content, level: token.level });
  let last = 0;
  for (const match of token.content.matchAll(MENTION)) {
    const handle = match[1]!;
    if (match.index > last) into.push(text(token.content.slice(last, match.index)));
    const open = Object.assign(new state.Token('link_open', 'a', 1), { markup: 'mention', meta: { handle }, level: token.level });
    open.attrs = [['href', `/u/${handle}`], ['class', 'mention']];
    into.push(open, text(match[0]), Object.assign(new state.Token('link_close', 'a', -1), { markup: 'mention', level: token.level }));
    last = match.index + match[0].length;
  }
  if (last === 0) into.push(token);
  else if (last < token.content.length) into.push(text(token.content.slice(last)));
}

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ['h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'em', 'strong', 's', 'a', 'code', 'pre', 'blockquote',
    'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  allowedAttributes: { a: ['href', 'title', 'rel'], ol: ['start'] },
  allowedClasses: {
    a: ['mention'],
    code: [/^language-[a-z0-9+-]{1,30}$/],
    th: ['align-left', 'align-center', 'align-right'],
    td: ['align-left', 'align-center', 'align-right'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  transformTags: {
    a: (tagName, { href, ...attribs }) => ({
      tagName,
      attribs: { ...attribs, ...(href !== undefined && isAllowedHref(href) ? { href } : {}), rel: LINK_REL },
    }),
  },
};

/** HTML for a post body, safe to store beside its source and show with `{{{ }}}`. */
export function renderMarkdown(source: string): string {
  return sanitizeHtml(md.render(source), SANITIZE_OPTIONS);
}

/**
 * The handles a source mentions, each once and lower-cased (handles are unique regardless of
 * case), found by the same parse that renders them, so a notification goes to exactly the links
 * a reader sees.
 */
export function mentionedHandles(source: string): string[] {
  const handles = new Set<string>();
  for (const block of md.parse(source, {})) {
    for (const token of block.children ?? []) {
      if (token.type === 'link_open' && token.markup === 'mention') handles.add((token.meta as { handle: string }).handle.toLowerCase());
    }
  }
  return [...handles];
}

/**
 * A short plain-text excerpt of a source, for "in reply to" lines, notifications and email (the
 * caller escapes it like any text). What the author quoted is left out unless a post is nothing
 * but quotes, so a reply that opens with a quote is summed up by its own words.
 */
export function excerpt(source: string, maxChars: number): string {
  if (source.length > EXCERPT_SOURCE_KEPT) return makeExcerpt(source, maxChars);
  const key = `${maxChars}:${source}`;
  const known = excerpts.get(key);
  if (known !== undefined) return known;
  const made = makeExcerpt(source, maxChars);
  // Oldest first out: a Map iterates in insertion order.
  if (excerpts.size >= EXCERPTS_KEPT) excerpts.delete(excerpts.keys().next().value!);
  excerpts.set(key, made);
  return made;
}

// A thread page shows the excerpt of each post replied to on it, at every view, from the first
// 400 characters of its source: parsing that Markdown again each time was a tenth of the
// page's work. An excerpt depends on nothing but its source, so the recent ones are kept; only
// short sources, so the cache stays under about 4 MB (2,000 keys of at most 1,000 two-byte
// characters) whatever members open.
const EXCERPTS_KEPT = 2_000;
const EXCERPT_SOURCE_KEPT = 1_000;
const excerpts = new Map<string, string>();

function makeExcerpt(source: string, maxChars: number): string {
  const tokens = md.parse(source, {});
  const text = plainText(tokens, true) || plainText(tokens, false);
  const characters = Array.from(text);
  if (characters.length <= maxChars) return text;
  if (maxChars < 1) return '';
  // One character more than is kept, so a cut that falls just before a space keeps the whole word.
  const candidate = characters.slice(0, maxChars).join('');
  const lastSpace = candidate.lastIndexOf(' ');
  const kept = lastSpace > candidate.length / 2 ? candidate.slice(0, lastSpace) : characters.slice(0, maxChars - 1).join('');
  return `${kept.trimEnd()}…`;
}

/**
 * The text a reader sees of a source, quotes and code included, on one line: words, not
 * syntax, and a link's text, not its address (search cuts its snippets from it).
 */
export function readableText(source: string): string {
  return plainText(md.parse(source, {}), false);
}

function plainText(tokens: Token[], skipQuotes: boolean): string {
  const parts: string[] = [];
  let quoteDepth = 0;
  for (const token of tokens) {
    if (token.type === 'blockquote_open') quoteDepth += 1;
    if (token.type === 'blockquote_close') quoteDepth -= 1;
    if (skipQuotes && quoteDepth > 0) continue;
    if (token.type === 'inline') parts.push(md.renderer.renderInlineAsText(token.children ?? [], md.options, {}));
    if (token.type === 'fence' || token.type === 'code_block') parts.push(token.content);
  }
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

/**
 * What the Quote button puts in the reply box: an attribution line, then the source with every
 * line prefixed, so a quote that itself holds a quote nests one level deeper. The characters
 * that could make the name a link, code, emphasis or a mention are escaped (the rest would only
 * matter at the start of a line, and stay readable in the reply box), and a blank line ends the
 * quote so the reply typed after it is not pulled into it.
 */
export function quoteAsMarkdown(authorName: string, source: string): string {
  const name = authorName.replace(/\s+/g, ' ').trim().replace(/[\\`*_[\]<&@:~]/g, '\\$&');
  const lines = source.replace(/\r\n?/g, '\n').trimEnd().split('\n');
  const quoted = lines.slice(Math.max(lines.findIndex((line) => line.trim() !== ''), 0));
  return [`> **${name}** wrote:`, '>', ...quoted.map((line) => (line ? `> ${line}` : '>'))].join('\n') + '\n\n';
}
