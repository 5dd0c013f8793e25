import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { excerpt, mentionedHandles, quoteAsMarkdown, renderMarkdown } from '../../src/lib/markdown.js';
import { ADVERSARIAL, KB, ladderTo, ORDINARY_POST, repeatTo } from '../../bench/markdown-inputs.js';
import { findUnsafeHtml } from '../support/html-safety.js';

/** Cases for the XSS property; CI runs the default, a deeper local run sets MARKDOWN_PROPERTY_RUNS. */
const RUNS = Number(process.env.MARKDOWN_PROPERTY_RUNS ?? 10_000);

/** Classic filter evasions (OWASP's cheat sheet and its Markdown cousins), each one alone and as fuel for the property. */
const XSS_VECTORS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>',
  '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
  '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
  '<SCRIPT SRC=http://xss.rocks/xss.js?< B >',
  '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
  '"><script>alert(1)</script>',
  `'';!--"<XSS>=&{()}`,
  '<IMG SRC="javascript:alert(\'XSS\');">',
  '<IMG SRC=JaVaScRiPt:alert(\'XSS\')>',
  '<IMG SRC=`javascript:alert("RSnake says, \'XSS\'")`>',
  '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
  '<IMG SRC=# onmouseover="alert(\'xxs\')">',
  '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
  '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097">',
  '<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>',
  '<IMG SRC="jav\tascript:alert(\'XSS\');">',
  '<IMG SRC="jav&#x09;ascript:alert(\'XSS\');">',
  '<IMG SRC=" &#14;  javascript:alert(\'XSS\');">',
  '<a onmouseover="alert(document.cookie)">xxs link</a>',
  '<a href="&#x6A;avascript:alert(1)">x</a>',
  '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
  '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
  '<svg/onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>">',
  '<details open ontoggle=alert(1)>',
  '<x onclick=alert(1)>click',
  '<STYLE>li {list-style-image: url("javascript:alert(1)");}</STYLE><UL><LI>XSS</br>',
  '<DIV STYLE="width: expression(alert(1));">',
  '<IMG STYLE="xss:expr/*XSS*/ession(alert(1))">',
  '<style>@import \'http://xss.rocks/xss.css\';</style>',
  '<link rel="stylesheet" href="javascript:alert(1)">',
  '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(1);">',
  '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
  '<BASE HREF="javascript:alert(1);//">',
  '<OBJECT TYPE="text/x-scriptlet" DATA="http://xss.rocks/scriptlet.html"></OBJECT>',
  '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<form action="//evil.example"><button>go</button></form>',
  '<table background="javascript:alert(1)">',
  '<!--[if gte IE 4]><SCRIPT>alert(1);</SCRIPT><![endif]-->',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<!-- <script>alert(1)</script> -->',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<xmp><img src=x onerror=alert(1)></xmp>',
  '[x](javascript:alert(1))',
  '[x](JaVaScRiPt:alert(1))',
  '[x](javascript&#58;alert(1))',
  '[x](javascript&colon;alert(1))',
  '[x](javascript&#x3A;alert(1))',
  '[x](javascript\\:alert(1))',
  '[x](java&#x09;script:alert(1))',
  '[x](java&#10;script:alert(1))',
  '[x](jav&#x0D;ascript:alert(1))',
  '[x](java&Tab;script:alert(1))',
  '[x](java&NewLine;script:alert(1))',
  '[x](javas&#99;ript:alert(1))',
  '[x](&#106;avascript:alert(1))',
  '[x](&#0000106avascript:alert(1))',
  '[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))',
  '[x](&#x1;javascript:alert(1))',
  '[x](\u0000javascript:alert(1))',
  '[x](%6Aavascript:alert(1))',
  '[x](<javascript:alert(1)>)',
  '[x](<java script:alert(1)>)',
  '[x]( javascript:alert(1))',
  '[x](\u2028javascript:alert(1))',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[x](DATA:text/html,<script>alert(1)</script>)',
  '[x](vbscript:msgbox(1))',
  '[x](VBScript:msgbox(1))',
  '[x](file:///etc/passwd)',
  '[x](//evil.example)',
  '[x](/\\evil.example)',
  '[x](\\\\evil.example)',
  '[x](https:evil.example)',
  '<javascript:alert(1)>',
  '<JAVASCRIPT:alert(1)>',
  '<vbscript:msgbox(1)>',
  '<data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>',
  '<http://evil.example/" onmouseover="alert(1)>',
  '[x][r]\n\n[r]: javascript:alert(1)',
  '[x][r]\n\n[r]: <javascript:alert(1)>',
  '[r]\n\n[r]: data:text/html,<script>alert(1)</script>',
  '[r]\n\n[r]: //evil.example',
  '![x](javascript:alert(1))',
  '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
  '![x](data:image/png;base64,iVBORw0KGgo=)',
  '![x" onerror="alert(1)](https://ok.example/y.png)',
  '![<img src=x onerror=alert(1)>](https://ok.example/i.png)',
  '[x](https://ok.example/" onmouseover="alert(1))',
  '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
  '[x](https://ok.example "<script>alert(1)</script>")',
  '[[x](javascript:alert(1))](https://ok.example)',
  '[x](https://ok.example)[y](javascript:alert(1))',
  '[<script>alert(1)</script>](https://ok.example)',
  '**<img src=x onerror=alert(1)>**',
  '```\n<script>alert(1)</script>\n```',
  '```js" onmouseover="alert(1)\n</code><script>alert(1)</script>\n```',
  '```<script>\nx\n```',
  '`<script>alert(1)</script>`',
  '| <script>alert(1)</script> | b |\n|---|---|\n| <img src=x onerror=alert(1)> | c |',
  '> <iframe src=javascript:alert(1)>',
  '- [x](javascript:alert(1))',
  '@<script>alert(1)</script>',
  '@abc"onmouseover="alert(1)',
  'https://evil.example/"><script>alert(1)</script>',
  'javascript:alert(1)',
  'www.evil.example/"onmouseover="alert(1)',
  'mailto:x@y.example?body=<script>alert(1)</script>',
  '{{constructor.constructor(\'alert(1)\')()}}',
];

const MARKDOWN_FRAGMENTS = ['*', '**', '_', '__', '~~', '`', '```', '```js\n', '~~~', '\n', '\n\n', '  \n', '> ', '>> ', '- ', '1. ',
  '# ', '## ', '###### ', '---\n', '===\n', '[', ']', '(', ')', '![', '](', '[x]: ', '<', '>', '&', '&#', '&#x', ';', '&amp;',
  '&colon;', '&#x09;', '&#58;', '|', '|---|', ':', '//', '/\\', 'http://', 'https://', 'mailto:', 'www.', '.gov.au', '@', '\\',
  '    ', '\t', '"', "'", '=', ' onerror=', 'alert(1)', 'javascript:', 'JaVaScRiPt:', 'vbscript:', 'data:text/html,', '<script>',
  '</script>', '<img src=x onerror=alert(1)>', '\u0000', '\u200b', '\u2028', '\ufeff', 'é', '漢字', '👩🏽‍💻'];

const markdownish = fc
  .array(
    fc.oneof(
      fc.constantFrom(...MARKDOWN_FRAGMENTS),
      fc.constantFrom(...XSS_VECTORS),
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.stringMatching(/^[A-Za-z0-9_]{1,32}$/).map((handle) => `@${handle}`),
    ),
    { maxLength: 16 },
  )
  .map((parts) => parts.join(''));

describe('renderMarkdown against hostile input', () => {
  it('has a corpus of at least 80 classic XSS vectors', () => {
    expect(XSS_VECTORS.length).toBeGreaterThanOrEqual(80);
  });

  it.each(XSS_VECTORS.map((vector) => [vector]))('renders %j without a tag, attribute or URL that could run script', (vector) => {
    expect(findUnsafeHtml(renderMarkdown(vector))).toEqual([]);
  });

  it(`never produces unsafe HTML or throws, over ${RUNS} random mixes of Unicode, Markdown and XSS vectors`, () => {
    fc.assert(
      fc.property(markdownish, (source) => {
        expect(findUnsafeHtml(renderMarkdown(source))).toEqual([]);
        const text = excerpt(source, 80);
        expect(Array.from(text).length).toBeLessThanOrEqual(80);
        if (!/[<&]/.test(source)) expect(text).not.toContain('<');
      }),
      { numRuns: RUNS },
    );
  });

  it('notifies exactly the handles it links, lower-cased', () => {
    fc.assert(
      fc.property(markdownish, (source) => {
        const mentionLinks = [...renderMarkdown(source).matchAll(/<a [^>]*>/g)].filter(([tag]) => tag.includes('class="mention"'));
        const linked = mentionLinks.map(([tag]) => /href="\/u\/(\w+)"/.exec(tag)![1]!.toLowerCase());
        expect(mentionedHandles(source)).toEqual([...new Set(linked)]);
      }),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  });

  it('keeps any quoted source, however broken, inside its quote', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }).filter((name) => name.trim() !== ''), markdownish, (name, source) => {
        const html = renderMarkdown(`${quoteAsMarkdown(name, source)}My reply`);
        expect(html).toMatch(/^<blockquote>\n<p><strong>[^]*<\/strong> wrote:<\/p>/);
        expect(html.endsWith('</blockquote>\n<p>My reply</p>\n')).toBe(true);
        expect(findUnsafeHtml(html)).toEqual([]);
      }),
      { numRuns: Math.ceil(RUNS / 10) },
    );
  });
});

/**
 * CPU time, not wall-clock time, so other processes on a shared CI machine do not count; the
 * fastest of three renders, since garbage collection and JIT work only ever add to it.
 */
function renderMs(source: string): number {
  let fastest = Infinity;
  for (let run = 0; run < 3; run += 1) {
    const started = process.cpuUsage();
    renderMarkdown(source);
    const { user, system } = process.cpuUsage(started);
    fastest = Math.min(fastest, (user + system) / 1000);
  }
  return fastest;
}

/**
 * Linear time, not a time limit: how long rendering takes is the benchmark's to say
 * (`npm run bench:markdown`, BENCHMARKS.md), since a shared machine makes any limit either flaky or
 * too loose to mean anything. What a test can hold on any machine is the growth: 32 KB must take
 * under 32 times what 4 KB takes (plus 10 ms for timer noise). Linear work takes about 8 times as
 * long at 8 times the size, quadratic work 64 times; 32 leaves room for garbage collection on a
 * busy machine (8,000 headings took 28 times 1,000 once, in a full CI run) and still fails
 * anything quadratic. The 32 KB input is rendered once first so the JIT has compiled its paths.
 */
function expectLinear(make: (length: number) => string): void {
  const large = make(32 * KB);
  renderMarkdown(large);
  const smallMs = renderMs(make(4 * KB));
  const largeMs = renderMs(large);
  expect(largeMs, `32 KB took ${largeMs.toFixed(1)} ms, 4 KB ${smallMs.toFixed(1)} ms`).toBeLessThan(32 * smallMs + 10);
}

describe('rendering time (a ReDoS guard)', () => {
  // V8 takes about ten 32 KB renders to optimise the parser; a server that renders posts all day
  // is long past that, and a cold render measures the JIT rather than the renderer.
  beforeAll(() => {
    for (let run = 0; run < 12; run += 1) renderMarkdown(ORDINARY_POST(32 * KB));
  });

  it('renders an ordinary post in linear time', () => {
    expectLinear(ORDINARY_POST);
  });

  it.each(ADVERSARIAL)('renders %s in linear time', (_name, make) => {
    expectLinear(make);
  });

  it.each([
    ['50,000 mentions', '@abc '.repeat(50_000)],
    ['100,000 nested quotes', `${'>'.repeat(100_000)} a`],
    ['100,000 nested list items', '- '.repeat(100_000)],
  ])('renders %s without running out of stack', (_name, source) => {
    expect(() => renderMarkdown(source)).not.toThrow();
  });

  it('renders random mixes of those inputs in linear time', () => {
    const units = fc.array(fc.constantFrom('*', '_', '[', ']', '(', ')', '!', '>', '`', '<', '&#', 'www.', 'http://', '@', '|', '- ', '  ', '\n', '\\', 'a'), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(units, fc.boolean(), (parts, asLadder) => {
        expectLinear(asLadder ? ladderTo((i) => parts.map((part) => part.repeat(i % 40)).join('')) : repeatTo(parts.join('')));
      }),
      { numRuns: 12 },
    );
  });
});

describe('findUnsafeHtml, the checker the properties rely on', () => {
  it.each([
    '<script>alert(1)</script>',
    '<p onclick="x()">a</p>',
    '<a href="javascript:alert(1)">a</a>',
    '<a href="jav&#x09;ascript:alert(1)">a</a>',
    '<a href="java&#10;script:alert(1)">a</a>',
    '<a href="&#106;avascript:alert(1)">a</a>',
    '<a href="javascript&colon;alert(1)">a</a>',
    '<a href=" vbscript:msgbox(1)">a</a>',
    '<a href="DATA:text/html,x">a</a>',
    '<a href="//evil.example">a</a>',
    '<a href="/\\evil.example">a</a>',
    '<a href="ftp://evil.example">a</a>',
    '<a href=x style="color:red">a</a>',
    '<p title="x">a</p>',
    '<IMG SRC=x>',
    '<p>a < b</p>',
  ])('flags %j', (html) => {
    expect(findUnsafeHtml(html)).not.toEqual([]);
  });

  it('passes what the renderer is meant to write', () => {
    const html = '<h3>T</h3><p><a href="https://a.example/?x=1&amp;y=2" rel="nofollow ugc noopener noreferrer">a</a> <a class="mention" href="/u/ann">@ann</a><br /></p><ol start="3"><li>x</li></ol><pre><code class="language-ts">1 &lt; 2</code></pre>';
    expect(findUnsafeHtml(html)).toEqual([]);
  });
});
