import { describe, expect, it } from 'vitest';
import { excerpt, isAllowedHref, readableText, mentionedHandles, quoteAsMarkdown, RENDERER_VERSION, renderMarkdown } from '../../src/lib/markdown.js';

const REL = 'rel="nofollow ugc noopener noreferrer"';
const inline = (source: string) => renderMarkdown(source).replace(/^<p>|<\/p>\n$/g, '');

describe('renderMarkdown', () => {
  it('renders every construct as pinned here; changing this output means bumping RENDERER_VERSION with it', () => {
    const source = [
      '# Title', '', 'Some *em*, **strong**, ~~gone~~ and `code` with @ann_lee and https://www.example.gov.au/x.', '',
      '1. one', '2. two', '   - nested', '', '> quoted  ', '> line', '',
      '| Left | Centre | Right |', '|:--|:-:|--:|', '| a | b | c |', '',
      '```TypeScript', 'const a = 1 < 2;', '```', '', '![diagram](/files/d.png) and [a link](https://example.org "Title")', '', '---',
    ].join('\n');
    expect({ version: RENDERER_VERSION, html: renderMarkdown(source) }).toEqual({
      version: 2,
      html: [
        '<h3>Title</h3>',
        `<p>Some <em>em</em>, <strong>strong</strong>, <s>gone</s> and <code>code</code> with <a class="mention" href="/u/ann_lee" ${REL}>@ann_lee</a> and <a href="https://www.example.gov.au/x" ${REL}>https://www.example.gov.au/x</a>.</p>`,
        '<ol>', '<li>one</li>', '<li>two', '<ul>', '<li>nested</li>', '</ul>', '</li>', '</ol>',
        '<blockquote>', '<p>quoted<br />', 'line</p>', '</blockquote>',
        '<table>', '<thead>', '<tr>', '<th class="align-left">Left</th>', '<th class="align-center">Centre</th>', '<th class="align-right">Right</th>', '</tr>', '</thead>',
        '<tbody>', '<tr>', '<td class="align-left">a</td>', '<td class="align-center">b</td>', '<td class="align-right">c</td>', '</tr>', '</tbody>', '</table>',
        '<pre><code class="language-typescript">const a = 1 &lt; 2;', '</code></pre>',
        `<p><a href="/files/d.png" ${REL}>diagram</a> and <a title="Title" href="https://example.org" ${REL}>a link</a></p>`,
        '<hr />', '',
      ].join('\n'),
    });
  });

  it('moves headings down two levels so a post never outranks the page, deeper ones staying h6', () => {
    expect(renderMarkdown('# a\n## b\n### c\n#### d\n##### e\n###### f\n\ng\n=')).toBe(
      '<h3>a</h3>\n<h4>b</h4>\n<h5>c</h5>\n<h6>d</h6>\n<h6>e</h6>\n<h6>f</h6>\n<h3>g</h3>\n',
    );
  });

  it('keeps an ordered list start and nests lists', () => {
    expect(renderMarkdown('3. c\n4. d\n   * e')).toBe('<ol start="3">\n<li>c</li>\n<li>d\n<ul>\n<li>e</li>\n</ul>\n</li>\n</ol>\n');
  });

  it('turns a hard line break into br', () => {
    expect(inline('a\\\nb')).toBe('a<br />\nb');
  });

  describe('links', () => {
    it.each([
      ['[x](https://a.example/p?q=1&r=2)', `<a href="https://a.example/p?q=1&amp;r=2" ${REL}>x</a>`],
      ['[x](HTTP://A.EXAMPLE)', `<a href="HTTP://A.EXAMPLE" ${REL}>x</a>`],
      ['[x](mailto:ann@agency.gov.au)', `<a href="mailto:ann@agency.gov.au" ${REL}>x</a>`],
      ['[x](/t/12#p-4)', `<a href="/t/12#p-4" ${REL}>x</a>`],
      ['[x](#p-4)', `<a href="#p-4" ${REL}>x</a>`],
      ['[x](?page=2)', `<a href="?page=2" ${REL}>x</a>`],
      ['[x](notes/a:b)', `<a href="notes/a:b" ${REL}>x</a>`],
      ['[x][r]\n\n[r]: https://a.example', `<a href="https://a.example" ${REL}>x</a>`],
      ['<https://a.example>', `<a href="https://a.example" ${REL}>https://a.example</a>`],
      ['see https://a.example/x.', `see <a href="https://a.example/x" ${REL}>https://a.example/x</a>.`],
      ['ann@agency.gov.au', `<a href="mailto:ann@agency.gov.au" ${REL}>ann@agency.gov.au</a>`],
    ])('renders %j with rel and no target', (source, html) => {
      expect(inline(source)).toBe(html);
    });

    it('does not link bare file names or domains, which would catch README.md and setup.py', () => {
      expect(inline('see README.md, setup.py and www.example.com')).toBe('see README.md, setup.py and www.example.com');
    });

    it.each([
      '[x](javascript:alert(1))', '[x](ftp://a.example/f)', '[x](file:///etc/passwd)', '[x](//evil.example)',
      '[x](data:text/html,hi)', '<javascript:alert(1)>', '[x]()', 'see //evil.example',
    ])('leaves %j as inert text, with no href', (source) => {
      expect(renderMarkdown(source)).not.toContain('href');
    });
  });

  describe('code', () => {
    it('escapes inline code and keeps it out of every other rule', () => {
      expect(inline('`<b> *x* @bob https://a.example`')).toBe('<code>&lt;b&gt; *x* @bob https://a.example</code>');
    });

    it.each([
      ['```ts\nx\n```', '<pre><code class="language-ts">x\n</code></pre>\n'],
      ['```C++ {linenos}\nx\n```', '<pre><code class="language-c++">x\n</code></pre>\n'],
      ['```objective-c\nx\n```', '<pre><code class="language-objective-c">x\n</code></pre>\n'],
      ['```js" onclick="x\nx\n```', '<pre><code>x\n</code></pre>\n'],
      ['```a_b\nx\n```', '<pre><code>x\n</code></pre>\n'],
      ['```\n<script>\n```', '<pre><code>&lt;script&gt;\n</code></pre>\n'],
      ['    indented <b>\n', '<pre><code>indented &lt;b&gt;\n</code></pre>\n'],
    ])('renders the block %j', (source, html) => {
      expect(renderMarkdown(source)).toBe(html);
    });
  });

  it('writes a table without alignment as plain cells, never with a style', () => {
    expect(renderMarkdown('|a|\n|-|\n|b|')).toBe('<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>b</td>\n</tr>\n</tbody>\n</table>\n');
  });

  describe('images', () => {
    it('links to the image with its alt text instead of loading it', () => {
      expect(inline('![a *plan*](https://a.example/p.png "t")')).toBe(`<a href="https://a.example/p.png" ${REL}>a plan</a>`);
    });

    it('uses the address as the text when there is no alt text', () => {
      expect(inline('![](https://a.example/p.png)')).toBe(`<a href="https://a.example/p.png" ${REL}>https://a.example/p.png</a>`);
    });

    it.each(['![x](javascript:alert(1))', '![x](data:image/png;base64,iVBORw0KGgo=)'])('leaves %j as text', (source) => {
      expect(inline(source)).toBe(source.replace(/&/g, '&amp;'));
    });
  });

  describe('mentions', () => {
    it('links each @handle to its profile, in any case, inside emphasis too', () => {
      expect(inline('**@Ann_Lee**, @bob3!')).toBe(
        `<strong><a class="mention" href="/u/Ann_Lee" ${REL}>@Ann_Lee</a></strong>, <a class="mention" href="/u/bob3" ${REL}>@bob3</a>!`,
      );
    });

    it.each([
      ['in a code span', '`@bob`'],
      ['in a code block', '```\n@bob\n```'],
      ['in a link text', '[@bob](/t/1)'],
      ['in an email address', 'bob@agency.gov.au and x@bobby'],
      ['when escaped', '\\@bob'],
      ['shorter than 3 characters', '@ab'],
      ['longer than 30 characters', `@${'a'.repeat(31)}`],
      ['in a scoped package or path', '@types/node'],
      ['when followed by a domain', '@agency.gov.au'],
    ])('leaves a handle %s alone', (_where, source) => {
      expect(renderMarkdown(source)).not.toContain('mention');
      expect(mentionedHandles(source)).toEqual([]);
    });
  });
});

describe('isAllowedHref', () => {
  it.each(['https://a.example', 'http://a.example', 'mailto:a@b.example', '/t/1', '#x', '?page=2', 'notes/a', '../up'])('allows %j', (href) => {
    expect(isAllowedHref(href)).toBe(true);
  });

  it.each(['javascript:alert(1)', 'JAVASCRIPT:x', ' https://a.example', 'java\tscript:x', 'data:,x', 'vbscript:x', 'ftp://a.example', '//evil.example',
    '/\\evil.example', '\\\\evil.example', 'https:evil.example', 'http:/evil.example', 'tel:123', '', 'a b'])('refuses %j', (href) => {
    expect(isAllowedHref(href)).toBe(false);
  });
});

describe('mentionedHandles', () => {
  it('finds each mentioned handle once, lower-cased, outside code', () => {
    expect(mentionedHandles('@Ann_Lee and @ann_lee, @bob in `@carol`\n\n```\n@dave\n```\n\n> @erin')).toEqual(['ann_lee', 'bob', 'erin']);
  });
});

describe('quoteAsMarkdown', () => {
  it('attributes the quote and prefixes every line, ending with a blank line', () => {
    expect(quoteAsMarkdown('Ann Lee', 'First line\r\nsecond\n\nthird\n\n\n')).toBe('> **Ann Lee** wrote:\n>\n> First line\n> second\n>\n> third\n\n');
  });

  it('nests a quote that already holds one', () => {
    const inner = quoteAsMarkdown('Bob', 'Original');
    const outer = quoteAsMarkdown('Ann', `${inner}I agree`);
    expect(outer).toBe('> **Ann** wrote:\n>\n> > **Bob** wrote:\n> >\n> > Original\n>\n> I agree\n\n');
    expect(renderMarkdown(`${outer}Me too`)).toBe(
      '<blockquote>\n<p><strong>Ann</strong> wrote:</p>\n<blockquote>\n<p><strong>Bob</strong> wrote:</p>\n<p>Original</p>\n</blockquote>\n<p>I agree</p>\n</blockquote>\n<p>Me too</p>\n',
    );
  });

  it('leaves a name readable where its characters could not change the Markdown', () => {
    expect(quoteAsMarkdown("J. O'Brien-Smith (DTA) #2", 'x')).toBe("> **J. O'Brien-Smith (DTA) #2** wrote:\n>\n> x\n\n");
  });

  it('escapes a name so it cannot become a link, code, emphasis or a mention', () => {
    const quote = quoteAsMarkdown('*Ann* _B_ `c` ~~d~~ [x](https://evil.example) <e@f.example> @bob &amp;\n# h', 'hi');
    expect(renderMarkdown(quote)).toBe(
      '<blockquote>\n<p><strong>*Ann* _B_ `c` ~~d~~ [x](https://evil.example) &lt;e@f.example&gt; @bob &amp;amp; # h</strong> wrote:</p>\n<p>hi</p>\n</blockquote>\n',
    );
  });
});

describe('excerpt', () => {
  it('gives the plain text, without markup or HTML, entities decoded', () => {
    expect(excerpt('# Title\n\nSome **bold** [link](https://a.example) &amp; `code` by @ann <b>\n\n- one\n- two', 200)).toBe(
      'Title Some bold link & code by @ann <b> one two',
    );
  });

  it('cuts at a word and marks the cut, within the limit', () => {
    expect(excerpt('The quick brown fox jumps over the lazy dog', 20)).toBe('The quick brown fox…');
    expect(excerpt('Supercalifragilistic', 10)).toBe('Supercali…');
    expect(excerpt('short', 10)).toBe('short');
  });

  it('never splits a character made of two code units', () => {
    expect(excerpt('😀😀😀😀😀', 3)).toBe('😀😀…');
  });

  it('leaves out what a reply quotes, unless the post is only a quote', () => {
    expect(excerpt('> **Bob** wrote:\n>\n> Original\n\nMy answer', 50)).toBe('My answer');
    expect(excerpt('> Only a quote', 50)).toBe('Only a quote');
  });

  it('includes code blocks, as text', () => {
    expect(excerpt('```sql\nselect 1;\n```', 50)).toBe('select 1;');
  });
});

describe('readableText', () => {
  it('gives all the text a reader sees, quotes and code included, and no link addresses', () => {
    expect(readableText('> **Bob** wrote:\n>\n> Original\n\n## My [answer](https://a.example/x) &amp; `npm test`\n\n```\nselect 1;\n```')).toBe(
      'Bob wrote: Original My answer & npm test select 1;',
    );
  });
});
