/** Rows as aligned columns for a terminal, the first row a header; the last column is not padded. */
export function formatTable(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = rows.reduce<number[]>((max, row) => row.map((cell, i) => Math.max(max[i] ?? 0, [...cell].length)), []);
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length))).join('  ')).join('\n');
}
