/**
 * Times as a person reads them: in the member's own time zone, or the site's (TIME_ZONE), with
 * the zone named ("Wed, 2 Dec 2026, 12:05 pm AEDT"), never as GMT. Pages show them through the
 * `time` partial and emails through formatTime: one formatter for both.
 */
const LOCALE = 'en-AU';

// Intl lists the canonical IANA names only; UTC is what an operator who wants no zone types.
export const TIME_ZONES: readonly string[] = [...Intl.supportedValuesOf('timeZone'), 'UTC'];
const KNOWN_ZONES = new Set(TIME_ZONES);

export function isTimeZone(value: string): boolean {
  return KNOWN_ZONES.has(value);
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The exact time, in the zone, with the zone's short name. */
export function formatTime(date: Date, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: 'numeric', minute: '2-digit', timeZone, timeZoneName: 'short' });
    formats.set(timeZone, format);
  }
  return format.format(date);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// Beyond this, "9 hours ago" makes a person work out the time: the exact time reads better.
const RELATIVE_FOR = 12 * HOUR;
const relative = new Intl.RelativeTimeFormat(LOCALE, { numeric: 'always' });

/** "just now", "5 minutes ago", "3 hours ago" for a recent time; undefined for any other. */
export function recentTime(date: Date, now: Date): string | undefined {
  const ago = now.getTime() - date.getTime();
  // A minute ahead is the clocks of two machines disagreeing, not the future.
  if (ago < -MINUTE || ago >= RELATIVE_FOR) return undefined;
  if (ago < MINUTE) return 'just now';
  if (ago < HOUR) return relative.format(-Math.floor(ago / MINUTE), 'minute');
  return relative.format(-Math.floor(ago / HOUR), 'hour');
}
