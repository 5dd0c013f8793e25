import { describe, expect, it } from 'vitest';
import { queryLexemes, SNIPPET_SOURCE_MAX, snippetSource, wordsPattern } from '../../src/features/search/snippets.js';

describe('search snippets: the piece of a source around the words', () => {
  it('reads a querytree\'s lexemes, quotes included, each once', () => {
    expect(queryLexemes("'manag' & 'o''brien' | 'manag' <-> 'e-mail'")).toEqual(['manag', "o'brien", 'e-mail']);
    expect(queryLexemes('T')).toEqual([]);
  });

  it('finds a word by its stem or the stem less its last letter, in any case, but a short stem whole', () => {
    const words = wordsPattern(['polici', 'tax', 'x'])!;
    expect(words.exec('A Policy.')?.index).toBe(2);
    expect(words.exec('a table, then taxes')?.index).toBe(14);
    expect(words.exec('xylophone, then x')?.index).toBe(16);
    expect(wordsPattern([])).toBeNull();
  });

  it('never cuts inside a surrogate pair nor into a link\'s address', () => {
    const emoji = snippetSource(`a${'😀'.repeat(SNIPPET_SOURCE_MAX)}`, wordsPattern(['none']));
    expect(emoji.length).toBe(SNIPPET_SOURCE_MAX - 1);
    expect(emoji.endsWith('😀')).toBe(true);
    const linkAtEnd = `quokka ${'word '.repeat(SNIPPET_SOURCE_MAX / 5 - 10)}[guide](https://example.org/x "a title that runs past the cut")`;
    // The cut falls in the link's title, after its last whole word.
    const piece = snippetSource(linkAtEnd, wordsPattern(['quokka']));
    expect(piece).not.toContain('](');
    expect(piece.endsWith('[guide')).toBe(true);
  });

  it('starts at the words where a reader sees them, not inside a link\'s address', () => {
    const longAddress = `https://example.org/${'x'.repeat(400)}/bilby-notes`;
    const source = `See [the report](${longAddress}) and <${longAddress}> for more about the bilby.`;
    const piece = snippetSource(source, wordsPattern(['bilbi']));
    expect(piece).toContain('for more about the bilby.');
    expect(piece.startsWith('for more about')).toBe(true);
    // Only in an address: the source's start.
    expect(snippetSource(`See [it](${longAddress}) now.`, wordsPattern(['bilbi'])).startsWith('See [it]')).toBe(true);
  });
});
