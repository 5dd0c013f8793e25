import os from 'node:os';
import { renderMarkdown } from '../src/lib/markdown.js';
import { ADVERSARIAL, KB, ORDINARY_POST } from './markdown-inputs.js';
import { envInt } from './site.js';
import { median } from './stats.js';

/**
 * `npm run bench:markdown`: how long the renderer (src/lib/markdown.ts: markdown-it, then the
 * sanitizer) takes over a 32 KB post, ordinary and adversarial, against the bar of 32 KB in
 * 50 ms. CPU time of this process (`process.cpuUsage`), not wall-clock time, so other work on a
 * shared machine counts less; each input rendered BENCH_MARKDOWN_RUNS times after the warm-up,
 * reported as the median and the fastest, with 4 KB beside it to show the growth. The test suite
 * checks only the growth (test/unit/markdown-properties.test.ts), which holds on any machine.
 */

const RUNS = envInt('BENCH_MARKDOWN_RUNS', 15, 3, 1_000);
const BAR_MS = 50;

function cpuMs(source: string): number {
  const started = process.cpuUsage();
  renderMarkdown(source);
  const { user, system } = process.cpuUsage(started);
  return (user + system) / 1000;
}

function measure(source: string): { median: number; fastest: number } {
  const times = Array.from({ length: RUNS }, () => cpuMs(source));
  return { median: median(times), fastest: Math.min(...times) };
}

// As a server that renders posts all day is: the parser's paths compiled.
for (let run = 0; run < 12; run += 1) renderMarkdown(ORDINARY_POST(32 * KB));

const inputs: [string, (length: number) => string][] = [['an ordinary post', ORDINARY_POST], ...ADVERSARIAL];
const rows = inputs.map(([name, make]) => {
  const large = make(32 * KB);
  renderMarkdown(large);
  const small = measure(make(4 * KB));
  const big = measure(large);
  return { name, small, big, growth: big.fastest / Math.max(small.fastest, 0.001) };
});

const out = (line: string) => process.stdout.write(`${line}\n`);
out(`Markdown rendering, ${RUNS} runs each, CPU ms. ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)}.`);
out('');
out('| Input | 4 KB median | 32 KB median | 32 KB fastest | growth 4→32 KB (fastest) | under 50 ms |');
out('|---|---:|---:|---:|---:|---|');
for (const row of rows) {
  out(`| ${row.name.replace(/\|/g, '\\|')} | ${row.small.median.toFixed(1)} | ${row.big.median.toFixed(1)} | ${row.big.fastest.toFixed(1)} | ${row.growth.toFixed(1)}× | ${row.big.median < BAR_MS ? 'yes' : 'no'} |`);
}
const over = rows.filter((row) => row.big.median >= BAR_MS);
out('');
out(`${rows.length - over.length} of ${rows.length} inputs render 32 KB in under ${BAR_MS} ms (median); the slowest is ${rows.reduce((a, b) => (a.big.median > b.big.median ? a : b)).name}.`);
