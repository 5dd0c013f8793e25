import type { Redis } from 'ioredis';

/**
 * Fixed-window request counters for limits that need more than the per-route page budget
 * (per account, per submitted address). In Redis when REDIS_URL is set, so every instance
 * shares them; in this process's memory otherwise.
 */
export interface Counters {
  /** Adds one to `key` in a window of `windowSeconds`; returns the count and seconds left. */
  hit(key: string, windowSeconds: number): Promise<CounterWindow>;
  /** The count so far in `key`'s window, without adding to it (0 when no window is open). */
  peek(key: string, windowSeconds: number): Promise<CounterWindow>;
  /** Ends these keys' windows: they count from nothing again. */
  clear(keys: string[]): Promise<void>;
}

export interface CounterWindow {
  count: number;
  resetInSeconds: number;
}

export function memoryCounters(now: () => number = Date.now): Counters {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let lastSweep = now();
  return {
    async hit(key, windowSeconds) {
      const at = now();
      // Drop finished windows now and then, so the map cannot grow without bound.
      if (at - lastSweep > 60_000) {
        for (const [k, w] of windows) if (w.resetAt <= at) windows.delete(k);
        lastSweep = at;
      }
      let window = windows.get(key);
      if (!window || window.resetAt <= at) {
        window = { count: 0, resetAt: at + windowSeconds * 1000 };
        windows.set(key, window);
      }
      window.count += 1;
      return { count: window.count, resetInSeconds: Math.ceil((window.resetAt - at) / 1000) };
    },
    async peek(key, windowSeconds) {
      const at = now();
      const window = windows.get(key);
      if (!window || window.resetAt <= at) return { count: 0, resetInSeconds: windowSeconds };
      return { count: window.count, resetInSeconds: Math.ceil((window.resetAt - at) / 1000) };
    },
    async clear(keys) {
      for (const key of keys) windows.delete(key);
    },
  };
}

/**
 * While Redis is unreachable nothing is counted (logged as a warning): an outage of the counter
 * store must not take sign-in down with it. Locks live in PostgreSQL and keep working.
 */
export function redisCounters(redis: Redis, onError: (error: unknown) => void, prefix: string): Counters {
  return {
    async hit(key, windowSeconds) {
      const name = `${prefix}${key}`;
      try {
        const [[, count], [, ttl]] = (await redis.multi().incr(name).ttl(name).exec()) as [[null, number], [null, number]];
        if (ttl < 0) await redis.expire(name, windowSeconds);
        return { count, resetInSeconds: ttl < 0 ? windowSeconds : ttl };
      } catch (error) {
        onError(error);
        return { count: 0, resetInSeconds: windowSeconds };
      }
    },
    async peek(key, windowSeconds) {
      const name = `${prefix}${key}`;
      try {
        const [[, count], [, ttl]] = (await redis.multi().get(name).ttl(name).exec()) as [[null, string | null], [null, number]];
        return { count: Number(count ?? 0), resetInSeconds: ttl < 0 ? windowSeconds : ttl };
      } catch (error) {
        onError(error);
        return { count: 0, resetInSeconds: windowSeconds };
      }
    },
    async clear(keys) {
      if (keys.length === 0) return;
      try {
        await redis.del(...keys.map((key) => `${prefix}${key}`));
      } catch (error) {
        onError(error);
      }
    },
  };
}
