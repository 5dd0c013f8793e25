import { describe, expect, it } from 'vitest';
import { axisTicks, barChart, columnChart, escapeXml, LABEL_CHARACTERS, shortLabel } from '../../src/lib/svg-chart.js';

const TEXT = { id: 'chart-test', title: 'Members by agency', description: 'Three agencies.' };

/** Each bar's width (barChart) or height (columnChart), in drawing order. */
function barSizes(svg: string, dimension: 'width' | 'height'): number[] {
  return [...svg.matchAll(new RegExp(`<rect class="chart__bar"[^>]* ${dimension}="([\\d.]+)"`, 'g'))].map((match) => Number(match[1]));
}

describe('axisTicks', () => {
  it.each([
    [0, [0, 1]],
    [1, [0, 1]],
    [3, [0, 1, 2, 3]],
    [7, [0, 2, 4, 6, 8]],
    [10, [0, 2, 4, 6, 8, 10]],
    [43, [0, 10, 20, 30, 40, 50]],
    [1234, [0, 500, 1000, 1500]],
  ])('gives whole-number ticks of 1, 2 or 5 times a power of ten up to at least %i', (max, ticks) => {
    expect(axisTicks(max)).toEqual(ticks);
  });
});

describe('barChart', () => {
  it('is one image named by its title and description, scaling to its container', () => {
    const svg = barChart(TEXT, [{ label: 'Finance', value: 2 }]);
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 320 \d+"[^>]* width="100%"[^>]* role="img" aria-labelledby="chart-test-title chart-test-desc"/);
    expect(svg).toContain('<title id="chart-test-title">Members by agency</title>');
    expect(svg).toContain('<desc id="chart-test-desc">Three agencies.</desc>');
    expect(svg).not.toMatch(/ height="100%"/);
  });

  it('draws bars in proportion to their values against the axis top', () => {
    const svg = barChart(TEXT, [{ label: 'A', value: 10 }, { label: 'B', value: 5 }, { label: 'C', value: 0 }]);
    const [a, b, c] = barSizes(svg, 'width');
    expect(a).toBeGreaterThan(0);
    expect(b).toBeCloseTo(a! / 2, 0);
    expect(c).toBe(0);
    // The axis runs 0 to 10 and the longest bar reaches its end.
    expect(svg).toContain('>10</text>');
  });

  it('draws no bars and says so for no data, with no NaN or Infinity anywhere', () => {
    const svg = barChart(TEXT, []);
    expect(barSizes(svg, 'width')).toEqual([]);
    expect(svg).toContain('Nothing to show yet');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('gives all-zero data an axis from 0 to 1 and empty bars', () => {
    const svg = barChart(TEXT, [{ label: 'A', value: 0 }, { label: 'B', value: 0 }]);
    expect(barSizes(svg, 'width')).toEqual([0, 0]);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('draws one data point as one bar reaching the axis top', () => {
    const svg = barChart(TEXT, [{ label: 'Only', value: 1 }]);
    expect(barSizes(svg, 'width')).toEqual([142]);
  });

  it('cuts a long label short with an ellipsis and keeps the whole of it in the bar\'s title', () => {
    const label = 'Department of Climate Change, Energy, the Environment and Water';
    const svg = barChart(TEXT, [{ label, value: 3 }]);
    const drawn = /text-anchor="end">([^<]+)<\/text>/.exec(svg)![1]!;
    expect([...drawn]).toHaveLength(LABEL_CHARACTERS);
    expect(drawn.endsWith('…')).toBe(true);
    expect(label.startsWith(drawn.slice(0, -1))).toBe(true);
    expect(svg).toContain(`<title>${label}: 3</title>`);
  });

  it('escapes every label, so markup in an agency name is text', () => {
    const svg = barChart({ id: 'x"><script>', title: '<b>T</b>', description: 'A & B' }, [{ label: '<script>alert(1)</script>', value: 1 }, { label: `"quoted" & 'single'`, value: 1 }]);
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;: 1</title>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;…');
    expect(svg).toContain('&quot;quoted&quot; &amp; &apos;single&apos;');
    expect(svg).toContain('aria-labelledby="x&quot;&gt;&lt;script&gt;-title');
    expect(svg).toContain('<desc id="x&quot;&gt;&lt;script&gt;-desc">A &amp; B</desc>');
  });
});

describe('columnChart', () => {
  it('draws a column per period in proportion, naming only every n-th under the axis', () => {
    const data = Array.from({ length: 8 }, (_, index) => ({ label: `W${index}`, value: index }));
    const svg = columnChart(TEXT, data, 4);
    const heights = barSizes(svg, 'height');
    expect(heights).toHaveLength(8);
    expect(heights[0]).toBe(0);
    expect(heights[4]).toBeCloseTo(heights[2]! * 2, 0);
    expect(svg).toContain('>W0</text>');
    expect(svg).toContain('>W4</text>');
    expect(svg).not.toContain('>W1</text>');
    expect(svg).toContain('<title>W7: 7</title>');
  });

  it('copes with zero data and one data point', () => {
    expect(columnChart(TEXT, [])).toContain('Nothing to show yet');
    expect(columnChart(TEXT, [])).not.toMatch(/NaN|Infinity/);
    const one = columnChart(TEXT, [{ label: 'Only', value: 5 }]);
    expect(barSizes(one, 'height')).toEqual([150]);
    expect(one).not.toMatch(/NaN|Infinity/);
  });
});

describe('escapeXml and shortLabel', () => {
  it('replaces characters XML does not allow, so the page stays well formed', () => {
    expect(escapeXml('a\u0000b\u001fc')).toBe('a\ufffdb\ufffdc');
  });

  it('leaves a label of the limit whole and counts code points, not UTF-16 units', () => {
    const exact = 'x'.repeat(LABEL_CHARACTERS);
    expect(shortLabel(exact)).toBe(exact);
    const emoji = '😀'.repeat(LABEL_CHARACTERS + 1);
    expect([...shortLabel(emoji)]).toHaveLength(LABEL_CHARACTERS);
  });
});
