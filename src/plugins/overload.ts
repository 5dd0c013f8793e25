import underPressure from '@fastify/under-pressure';
import fp from 'fastify-plugin';
import { HttpError } from '../lib/errors.js';

// SECURITY.md, the bar item 12: past a second of event-loop delay, answer 503 rather than queue.
const MAX_EVENT_LOOP_DELAY_MS = 1000;
const RETRY_AFTER_SECONDS = 10;

export default fp(
  async (app) => {
    await app.register(underPressure, {
      maxEventLoopDelay: MAX_EVENT_LOOP_DELAY_MS,
      retryAfter: RETRY_AFTER_SECONDS,
      pressureHandler: () => {
        throw new HttpError(503, undefined, { 'retry-after': String(RETRY_AFTER_SECONDS) });
      },
    });
  },
  { name: 'overload' },
);
