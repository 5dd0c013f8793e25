import { describe, expect, it } from 'vitest';
import { RateLimited } from '../../src/lib/errors.js';
import { waitInWords } from '../../src/lib/messages.js';

describe('waitInWords', () => {
  it.each([
    [1, 'in 1 second'],
    [40, 'in 40 seconds'],
    [60, 'in 1 minute'],
    [61, 'in 2 minutes'],
    [3292, 'in 55 minutes'],
    [3541, 'in about 1 hour'],
    [3600, 'in about 1 hour'],
    [86_400, 'in about 24 hours'],
  ])('says %i seconds as "%s"', (seconds, words) => {
    expect(waitInWords(seconds)).toBe(words);
  });
});

describe('RateLimited', () => {
  it('says when to try again in words and in Retry-After, in whole seconds of at least one', () => {
    const error = new RateLimited(0.2);
    expect(error.statusCode).toBe(429);
    expect(error.headers).toEqual({ 'retry-after': '1' });
    expect(error.message).toContain('Try again in 1 second.');
  });
});
