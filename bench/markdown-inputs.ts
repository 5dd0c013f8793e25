/**
 * Markdown inputs by length: an ordinary post, and the inputs that have made Markdown parsers
 * backtrack, rescan or nest without bound. The ReDoS guard (test/unit/markdown-properties.test.ts)
 * checks that each grows linearly; `npm run bench:markdown` measures how long each takes.
 */

export const KB = 1024;
export const repeatTo = (unit: string) => (length: number): string => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
export const ladderTo = (step: (i: number) => string) => (length: number): string => {
  let text = '';
  for (let i = 1; text.length < length; i += 1) text += step(i);
  return text.slice(0, length);
};

export const ORDINARY_POST = repeatTo(`## Moving grants online

We moved our **grants process** online last year. The old paper forms took applicants about three
hours to fill in, and most of the questions were ones we already had answers to from their last
application, so the new form asks only what changed. See https://www.finance.gov.au/grants for the
rules we had to meet, or ask @jane_doe, who ran the pilot with two regional councils.

What worked for us:

- Keep the *form* short, and say at the top how long it takes.
- Publish [the assessment guide](/r/12) before the round opens, not after.
- Test it with people who have never applied before.

> It took us six months, most of it waiting for the records team to agree on retention.

Happy to share our \`retention-schedule.xlsx\` if that helps anyone. ~~Bob~~ Robert

`)
/** Inputs that have made Markdown parsers backtrack, rescan or nest without bound, by length. */
export const ADVERSARIAL: [string, (length: number) => string][] = [
  ...['*', '_', '**_', '[', '![', '![![', '[![', '[](', ']', '(', '>', '`', '<', '<a ', '<http://a', '&#', '&#x', '&amp', 'www.',
    'http://a.', 'https:', '@', '@abc ', 'a@b.', '|', '- ', '> - ', '# a\n', 'a\n=\n', '\\', '\n', '  \n', '~~a', ':',
  ].map((unit): [string, (length: number) => string] => [`repeated ${JSON.stringify(unit)}`, repeatTo(unit)]),
  ['spaces before a line break', (length) => `a${' '.repeat(length - 3)}\nb`],
  ['an emphasis ladder', ladderTo((i) => `${'*'.repeat(i)}a${'_'.repeat(i % 7)} `)],
  ['a backtick ladder', ladderTo((i) => `${'`'.repeat(i)}a`)],
  ['nested lists', ladderTo((i) => `${' '.repeat((i % 60) * 2)}- a\n`)],
  ['nested brackets then closers', (length) => `${'['.repeat(length / 2)}${'](b)'.repeat(length / 8)}`],
  ['a table row per line', (length) => `|a|b|\n|-|-|\n${repeatTo('|x|y|\n')(length - 12)}`],
  ['a table 100 columns wide', (length) => `${'|a'.repeat(100)}|\n${'|-'.repeat(100)}|\n${repeatTo(`${'|x'.repeat(100)}|\n`)(length - 404)}`],
];
