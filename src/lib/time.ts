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

const FORMATS = {
  time: { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
  date: { day: 'numeric', month: 'long', year: 'numeric' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;
const formats = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: keyof typeof FORMATS, timeZone: string): Intl.DateTimeFormat {
  const key = `${kind} ${timeZone}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE, { ...FORMATS[kind], timeZone });
    formats.set(key, format);
  }
  return format;
}

/** The exact time, in the zone, with the zone's short name. */
export function formatTime(date: Date, timeZone: string): string {
  return formatter('time', timeZone).format(date);
}

/** The day alone, in the zone ("2 December 2026"): for when someone joined, where the hour is noise. */
export function formatDate(date: Date, timeZone: string): string {
  return formatter('date', timeZone).format(date);
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


const isoDays = new Map<string, Intl.DateTimeFormat>();

/** The calendar day it is in the zone, as YYYY-MM-DD (en-CA writes dates that way). */
export function dayIn(date: Date, timeZone: string): string {
  let format = isoDays.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone });
    isoDays.set(timeZone, format);
  }
  return format.format(date);
}

/** Whether the text is a YYYY-MM-DD day that exists (no 30 February). */
export function isCalendarDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

/** How far the zone's clocks are ahead of UTC at that instant, in milliseconds. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(instant));
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) - Math.floor(instant / 1000) * 1000;
}

/** The instant a YYYY-MM-DD day begins in the zone (twice corrected, for a change of daylight saving that night). */
export function startOfDayIn(day: string, timeZone: string): Date {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(year, month - 1, date);
  let instant = wall - zoneOffsetMs(wall, timeZone);
  instant = wall - zoneOffsetMs(instant, timeZone);
  return new Date(instant);
}
