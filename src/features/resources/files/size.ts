const UNITS = ['bytes', 'KB', 'MB', 'GB'];

/** "812 bytes", "14 KB", "2.5 MB": a size as a file list shows it. */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 || value >= 10 ? Math.round(value).toLocaleString('en-AU') : value.toFixed(1);
  return `${shown} ${UNITS[unit]}`;
}
