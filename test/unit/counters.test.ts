import { describe, expect, it } from 'vitest';
import { memoryCounters } from '../../src/lib/counters.js';

describe('memoryCounters', () => {
  it('counts hits in a window, and starts again from nothing for the keys cleared only', async () => {
    const counters = memoryCounters(() => 1_000_000);
    for (let i = 0; i < 3; i += 1) await counters.hit('a', 60);
    await counters.hit('b', 60);
    expect((await counters.peek('a', 60)).count).toBe(3);

    await counters.clear(['a', 'never-hit']);
    expect((await counters.peek('a', 60)).count).toBe(0);
    expect((await counters.peek('b', 60)).count).toBe(1);
    expect(await counters.hit('a', 60)).toEqual({ count: 1, resetInSeconds: 60 });
  });
});
