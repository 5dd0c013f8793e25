/**
 * Charts drawn on the server as inline SVG, so they need no script and print as they show. Every
 * piece of text is XML-escaped here (labels are agency names and resource titles, which anyone
 * may type), which is why a template may print the result unescaped.
 *
 * The drawing is 320 units wide and scales to its container (viewBox, width 100%): on a 320 px
 * screen the 12-unit text is still about 11 px. It is a picture of numbers a table beside it gives in
 * full, so the <svg> is one image (role="img") named by its <title> and <desc>; each bar's own
 * <title> (its full label and value) is a tooltip for sighted mouse users.
 */

export interface ChartDatum {
  label: string;
  value: number;
}

export interface ChartText {
  /** Unique on the page: the ids of the title and description derive from it. */
  id: string;
  title: string;
  description: string;
}

const WIDTH = 320;
const FONT_SIZE = 12;
/** Characters of a bar's label shown before it is cut short with an ellipsis. */
export const LABEL_CHARACTERS = 18;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

// Characters XML 1.0 forbids outright (C0 controls other than tab, LF and CR; lone surrogates; U+FFFE/FFFF).
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/g;

export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '\ufffd').replace(/[&<>"']/g, (character) => XML_ESCAPES[character]!);
}

/** The label as drawn: at most LABEL_CHARACTERS characters (whole code points), the rest replaced by an ellipsis. */
export function shortLabel(label: string): string {
  const characters = [...label];
  return characters.length <= LABEL_CHARACTERS ? label : `${characters.slice(0, LABEL_CHARACTERS - 1).join('').trimEnd()}…`;
}

/**
 * The axis for values up to `max`: whole-number ticks a step of 1, 2 or 5 times a power of ten
 * apart, at most five of them above zero, the last at or above `max`. All zeros still get an axis
 * (0 to 1) rather than a division by zero.
 */
export function axisTicks(max: number): number[] {
  const top = Math.max(max, 1);
  const rough = top / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power);
  const ticks: number[] = [];
  for (let tick = 0; tick < top + step; tick += step) {
    ticks.push(tick);
    if (tick >= top) break;
  }
  return ticks;
}

const formatNumber = (value: number) => value.toLocaleString('en-AU');

function frame(text: ChartText, height: number, body: string[]): string {
  const titleId = `${text.id}-title`;
  const descId = `${text.id}-desc`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-labelledby="${escapeXml(titleId)} ${escapeXml(descId)}" font-size="${FONT_SIZE}">`,
    `<title id="${escapeXml(titleId)}">${escapeXml(text.title)}</title>`,
    `<desc id="${escapeXml(descId)}">${escapeXml(text.description)}</desc>`,
    ...body,
    '</svg>',
  ].join('\n');
}

const round = (value: number) => Math.round(value * 10) / 10;

/**
 * Horizontal bars, one per category, longest first as given: for counts by agency and by
 * resource. Labels longer than LABEL_CHARACTERS are cut short; the bar's <title> has the whole.
 */
export function barChart(text: ChartText, data: readonly ChartDatum[]): string {
  const labelWidth = 130;
  const valueRoom = 48;
  const row = 24;
  const top = 8;
  const plotWidth = WIDTH - labelWidth - valueRoom;
  const ticks = axisTicks(Math.max(0, ...data.map((datum) => datum.value)));
  const scaleMax = ticks.at(-1)!;
  const height = top + Math.max(data.length, 1) * row + 24;
  const body: string[] = [];
  if (data.length === 0) body.push(`<text x="${WIDTH / 2}" y="${top + row / 2 + 4}" text-anchor="middle" class="chart__empty">Nothing to show yet</text>`);
  data.forEach((datum, index) => {
    const y = top + index * row;
    const width = round((Math.max(0, datum.value) / scaleMax) * plotWidth);
    body.push(
      '<g class="chart__item">',
      `<title>${escapeXml(`${datum.label}: ${formatNumber(datum.value)}`)}</title>`,
      `<text x="${labelWidth - 6}" y="${y + row / 2 + 4}" text-anchor="end">${escapeXml(shortLabel(datum.label))}</text>`,
      `<rect class="chart__bar" x="${labelWidth}" y="${y + 4}" width="${width}" height="${row - 8}"/>`,
      `<text x="${round(labelWidth + width + 4)}" y="${y + row / 2 + 4}">${formatNumber(datum.value)}</text>`,
      '</g>',
    );
  });
  const axisY = top + Math.max(data.length, 1) * row;
  body.push(`<line class="chart__axis" x1="${labelWidth}" y1="${axisY}" x2="${labelWidth + plotWidth}" y2="${axisY}"/>`);
  for (const tick of ticks) {
    body.push(`<text class="chart__tick" x="${round(labelWidth + (tick / scaleMax) * plotWidth)}" y="${axisY + 16}" text-anchor="middle">${formatNumber(tick)}</text>`);
  }
  return frame(text, height, body);
}

/**
 * Vertical columns along a time axis, one per period in order: for the weekly counts. Only every
 * `labelEvery`-th period is named under the axis (52 names would overlap at 320 px); each
 * column's <title> names its own.
 */
export function columnChart(text: ChartText, data: readonly ChartDatum[], labelEvery = 1): string {
  const left = 34;
  const right = 8;
  const top = 10;
  const plotHeight = 150;
  const plotWidth = WIDTH - left - right;
  const ticks = axisTicks(Math.max(0, ...data.map((datum) => datum.value)));
  const scaleMax = ticks.at(-1)!;
  const slot = plotWidth / Math.max(data.length, 1);
  const gap = slot > 4 ? Math.min(2, slot / 4) : 0;
  const baseline = top + plotHeight;
  const body: string[] = [];
  for (const tick of ticks) {
    const y = round(baseline - (tick / scaleMax) * plotHeight);
    body.push(`<line class="chart__grid" x1="${left}" y1="${y}" x2="${WIDTH - right}" y2="${y}"/>`, `<text class="chart__tick" x="${left - 4}" y="${y + 4}" text-anchor="end">${formatNumber(tick)}</text>`);
  }
  if (data.length === 0) body.push(`<text x="${left + plotWidth / 2}" y="${top + plotHeight / 2}" text-anchor="middle" class="chart__empty">Nothing to show yet</text>`);
  data.forEach((datum, index) => {
    const x = left + index * slot;
    const height = round((Math.max(0, datum.value) / scaleMax) * plotHeight);
    body.push(
      '<g class="chart__item">',
      `<title>${escapeXml(`${datum.label}: ${formatNumber(datum.value)}`)}</title>`,
      `<rect class="chart__bar" x="${round(x + gap / 2)}" y="${round(baseline - height)}" width="${round(slot - gap)}" height="${height}"/>`,
      '</g>',
    );
    if (index % labelEvery === 0) body.push(`<text class="chart__tick" x="${round(x + slot / 2)}" y="${baseline + 16}" text-anchor="middle">${escapeXml(shortLabel(datum.label))}</text>`);
  });
  body.push(`<line class="chart__axis" x1="${left}" y1="${baseline}" x2="${WIDTH - right}" y2="${baseline}"/>`);
  return frame(text, baseline + 24, body);
}
