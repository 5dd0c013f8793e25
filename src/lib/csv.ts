/**
 * CSV as spreadsheets open it (RFC 4180: every cell quoted, quotes doubled, CRLF lines), with
 * each cell a spreadsheet would read as a formula neutralised: one starting with `=`, `+`, `-`,
 * `@`, a tab or a carriage return gets a leading single quote (OWASP's "CSV injection" advice), so
 * a member named `=cmd|' /C calc'!A0` is text in Excel, not a command.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function csvLines(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
