import { describe, expect, it } from 'vitest';
import { formatTime, isTimeZone, recentTime } from '../../src/lib/time.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('formatTime', () => {
  it('shows Sydney summer time as AEDT and winter time as AEST, never GMT', () => {
    expect(formatTime(new Date('2026-12-02T01:05:25Z'), 'Australia/Sydney')).toBe('Wed, 2 Dec 2026, 12:05 pm AEDT');
    expect(formatTime(new Date('2026-06-02T01:05:25Z'), 'Australia/Sydney')).toBe('Tue, 2 June 2026, 11:05 am AEST');
  });

  it("shows a time in the member's own zone, named", () => {
    expect(formatTime(new Date('2026-12-02T01:05:25Z'), 'Australia/Perth')).toBe('Wed, 2 Dec 2026, 9:05 am AWST');
    expect(formatTime(new Date('2026-12-02T01:05:25Z'), 'UTC')).toBe('Wed, 2 Dec 2026, 1:05 am UTC');
  });
});

describe('recentTime', () => {
  const now = new Date('2026-12-02T01:05:25Z');
  const ago = (ms: number) => recentTime(new Date(now.getTime() - ms), now);

  it('reads a recent time in words', () => {
    expect(ago(0)).toBe('just now');
    expect(ago(59_000)).toBe('just now');
    expect(ago(MINUTE)).toBe('1 minute ago');
    expect(ago(5 * MINUTE + 30_000)).toBe('5 minutes ago');
    expect(ago(3 * HOUR + 59 * MINUTE)).toBe('3 hours ago');
  });

  it('leaves a time from 12 hours ago or more, or in the future, to the exact time', () => {
    expect(ago(12 * HOUR)).toBeUndefined();
    expect(ago(-2 * MINUTE)).toBeUndefined();
    // Half a minute ahead is two clocks disagreeing.
    expect(ago(-30_000)).toBe('just now');
  });
});

describe('isTimeZone', () => {
  it.each(['Australia/Sydney', 'Australia/Lord_Howe', 'Pacific/Auckland', 'UTC'])('accepts %s', (zone) => {
    expect(isTimeZone(zone)).toBe(true);
  });

  it.each(['', 'AEST', 'Australia/Nowhere', 'australia/sydney', '../etc', 'Australia/Sydney\n'])('refuses %j', (zone) => {
    expect(isTimeZone(zone)).toBe(false);
  });
});
