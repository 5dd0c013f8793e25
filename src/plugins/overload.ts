import underPressure from '@fastify/under-pressure';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { HttpError } from '../lib/errors.js';

// SECURITY.md, the bar item 12: past a second of event-loop delay (OVERLOAD_EVENT_LOOP_DELAY_MS), answer 503 rather than queue.
const RETRY_AFTER_SECONDS = 10;

export default fp<{ config: Config }>(
  async (app, { config }) => {
    await app.register(underPressure, {
      maxEventLoopDelay: config.overloadEventLoopDelayMs,
      retryAfter: RETRY_AFTER_SECONDS,
      pressureHandler: () => {
        throw new HttpError(503, undefined, { 'retry-after': String(RETRY_AFTER_SECONDS) });
      },
    });
  },
  { name: 'overload' },
);
