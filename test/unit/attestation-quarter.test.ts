import { describe, expect, it } from 'vitest';
import { quarterStart } from '../../src/features/coordinators/service.js';

describe('quarterStart (when an agency attestation falls due)', () => {
  it('is midnight on the first day of the calendar quarter in the site’s time zone', () => {
    expect(quarterStart(new Date('2026-12-05T23:00:00Z'), 'UTC').toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(quarterStart(new Date('2026-02-28T12:00:00Z'), 'UTC').toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(quarterStart(new Date('2026-06-30T23:59:59Z'), 'UTC').toISOString()).toBe('2026-04-01T00:00:00.000Z');
    expect(quarterStart(new Date('2026-07-01T00:00:00Z'), 'UTC').toISOString()).toBe('2026-07-01T00:00:00.000Z');
  });

  it('follows the zone across the boundary: 1 April in Sydney is still 31 March in UTC', () => {
    // 2026-03-31T14:00Z is 1 April 01:00 in Sydney (AEDT, +11): the new quarter began at 13:00Z.
    expect(quarterStart(new Date('2026-03-31T14:00:00Z'), 'Australia/Sydney').toISOString()).toBe('2026-03-31T13:00:00.000Z');
    expect(quarterStart(new Date('2026-03-31T12:59:00Z'), 'Australia/Sydney').toISOString()).toBe('2025-12-31T13:00:00.000Z');
    // Perth keeps +8 all year.
    expect(quarterStart(new Date('2026-09-30T16:30:00Z'), 'Australia/Perth').toISOString()).toBe('2026-09-30T16:00:00.000Z');
  });
});
