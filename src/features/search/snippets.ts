import { readableText } from '../../lib/markdown.js';

/*
 * The piece of a result's Markdown its snippet is made from. Parsing Markdown and ts_headline
 * both cost in proportion to what they are given (ts_headline about 0.27 ms a KB), and a page
 * has twenty results: so each snippet reads a small piece of its source, around the first place
 * the query's words occur, rather than a long stretch from its start.
 */

/**
 * How far before that first occurrence a paragraph's start is looked for. A paragraph that
 * starts further back is entered at a word this far before it instead: enough for the sentence
 * around the match, as ts_headline shows a fragment of some thirty words around it.
 */
const SOURCE_BEFORE_MATCH = 300;

/**
 * The most source a piece holds: Markdown yields rather less text than its source, so this
 * fills SNIPPET_TEXT_MAX in all but the most syntax-heavy posts.
 */
export const SNIPPET_SOURCE_MAX = 1_500;

/**
 * The most text ts_headline is given for a snippet: it reads all of it, and two fragments of
 * thirty words are all it shows. A resource's summary (at most 600 characters) comes first, and
 * the piece of its description after it still holds the match.
 */
export const SNIPPET_TEXT_MAX = 1_000;

// Letters, marks and digits: what a word is made of, in any script.
const WORD_CHARACTER = '[\\p{L}\\p{M}\\p{N}]';
const PARAGRAPH_BREAK = /\n[ \t\r]*\n/g;

/** The lexemes of a querytree (`'manag' & 'o''brien'`), each once. */
export function queryLexemes(tree: string): string[] {
  return [...new Set(Array.from(tree.matchAll(/'((?:[^']|'')*)'/g), (match) => match[1]!.replace(/''/g, "'")))];
}

/**
 * A pattern for the words that may have given these lexemes, or null for none. An English stem
 * is usually the start of the word (manag: manager), but not always (polici: policy), so a word
 * that starts with the lexeme less its last letter counts; a stem of three letters or fewer is
 * kept whole (tax would otherwise find table), and one of a single letter must be the whole word.
 */
export function wordsPattern(lexemes: string[]): RegExp | null {
  const stems = lexemes.map((lexeme) => {
    const characters = Array.from(lexeme);
    const stem = escapeRegExp(characters.length > 3 ? characters.slice(0, -1).join('') : lexeme);
    return characters.length === 1 ? `${stem}(?!${WORD_CHARACTER})` : stem;
  });
  return stems.length === 0 ? null : new RegExp(`(?<!${WORD_CHARACTER})(?:${stems.join('|')})`, 'iu');
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/**
 * The part of a Markdown source to make a snippet from: from the start of the paragraph where
 * `words` first occur (or from a word SOURCE_BEFORE_MATCH before them, in a long paragraph) to
 * a paragraph break or a word at most SNIPPET_SOURCE_MAX further. The source's start when they
 * do not occur (a thread found by its title) or no words are given.
 */
export function snippetSource(source: string, words: RegExp | null): string {
  const at = words ? firstShownMatch(source, words) : 0;
  const start = pieceStart(source, at);
  if (source.length - start <= SNIPPET_SOURCE_MAX) return source.slice(start);
  return cutEnd(source.slice(start, start + SNIPPET_SOURCE_MAX), at - start);
}

/**
 * Where the words first occur in what a reader sees: the index (built from the source) also
 * holds the words of link addresses, and a piece started inside `](address)` or `<address>`
 * would show the address's tail as text. 0 when they occur only there, or not within the first
 * MATCHES_LOOKED_AT (a post of nothing but links is not searched through).
 */
function firstShownMatch(source: string, words: RegExp): number {
  let looked = 0;
  for (const match of source.matchAll(new RegExp(words.source, `${words.flags.replace('g', '')}g`))) {
    if (!insideLinkAddress(source, match.index!)) return match.index!;
    looked += 1;
    if (looked === MATCHES_LOOKED_AT) break;
  }
  return 0;
}

const MATCHES_LOOKED_AT = 20;

// An address runs from `](` or `<scheme:` to its `)` or `>`, with no whitespace in it.
const LINK_ADDRESS_BEFORE = /(?:\]\(|<[a-z][a-z0-9+.-]*:)\S*$/i;

function insideLinkAddress(source: string, at: number): boolean {
  const before = source.slice(Math.max(0, at - SNIPPET_SOURCE_MAX), at);
  const address = LINK_ADDRESS_BEFORE.exec(before);
  return address !== null && !/[)>]/.test(before.slice(address.index + 2));
}

function pieceStart(source: string, at: number): number {
  if (at <= SOURCE_BEFORE_MATCH) return 0;
  const before = source.slice(at - SOURCE_BEFORE_MATCH, at);
  const paragraph = Array.from(before.matchAll(PARAGRAPH_BREAK)).pop();
  if (paragraph) return at - SOURCE_BEFORE_MATCH + paragraph.index! + paragraph[0].length;
  // Whitespace is one UTF-16 unit, so the character after it never splits a surrogate pair;
  // with none, the match itself starts a word.
  const space = before.search(/\s/);
  return outsideLinkText(source, space < 0 ? at : at - SOURCE_BEFORE_MATCH + space + 1);
}

/**
 * A start inside a link's text would leave its `](address)` as text for the reader to see:
 * such a start moves back to the link's `[`. A `]` with no `[` before it in the whole source
 * is no link, and is text in the post too.
 */
function outsideLinkText(source: string, start: number): number {
  let depth = 0;
  for (let i = start; i < Math.min(source.length, start + SNIPPET_SOURCE_MAX); i += 1) {
    if (source[i] === '[') depth += 1;
    else if (source[i] === ']' && depth > 0) depth -= 1;
    else if (source[i] === ']') return source[i + 1] === '(' ? linkOpening(source, start) : start;
  }
  return start;
}

function linkOpening(source: string, start: number): number {
  let depth = 0;
  for (let i = start - 1; i >= 0; i -= 1) {
    if (source[i] === ']') depth += 1;
    else if (source[i] === '[' && depth > 0) depth -= 1;
    else if (source[i] === '[') return i;
  }
  return start;
}

/**
 * A piece ends at its last paragraph break after the match (`match`, an index into the piece),
 * else after its last whole word, else where it was cut, never inside a surrogate pair. A link
 * whose address the cut runs into is left out from its `]`, so the address cannot show as text.
 */
function cutEnd(piece: string, match: number): string {
  const paragraph = Array.from(piece.matchAll(PARAGRAPH_BREAK)).pop();
  if (paragraph && paragraph.index! > match) return piece.slice(0, paragraph.index);
  const space = piece.search(/\s\S*$/);
  const highSurrogateLast = /[\uD800-\uDBFF]$/.test(piece);
  const words = space > match ? piece.slice(0, space) : piece.slice(0, highSurrogateLast ? -1 : piece.length);
  const openAddress = /\]\([^)]*$/.exec(words);
  return openAddress ? words.slice(0, openAddress.index) : words;
}

/**
 * A result's snippet text: a resource's summary, then the text of the piece of its Markdown
 * around the first place the words occur (snippetSource), or of its start when the summary holds
 * them; no more than SNIPPET_TEXT_MAX characters, cut after a whole word where there is one.
 */
export function snippetText(plainSource: string, markdownSource: string, words: RegExp | null): string {
  const inSummary = words !== null && words.test(plainSource);
  const text = `${plainSource} ${readableText(snippetSource(markdownSource, inSummary ? null : words))}`.trim();
  if (text.length <= SNIPPET_TEXT_MAX) return text;
  const space = text.lastIndexOf(' ', SNIPPET_TEXT_MAX);
  // A cut inside a word never splits a surrogate pair.
  const end = space > 0 ? space : SNIPPET_TEXT_MAX - (/[\uD800-\uDBFF]/.test(text[SNIPPET_TEXT_MAX - 1]!) ? 1 : 0);
  return text.slice(0, end);
}
