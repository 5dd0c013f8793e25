import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Loaded into the app's process with `node --import` by bench/soak.ts (never by the app itself):
 * measures the app's own event-loop delay and answers the bench's 'event-loop' message over the
 * IPC channel with the figures since the last one, so each minute's are its own.
 */
export interface EventLoopFigures {
  meanMs: number;
  p99Ms: number;
  maxMs: number;
}

const RESOLUTION_MS = 10;
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();

if (process.send) {
  process.on('message', (message) => {
    if (message !== 'event-loop') return;
    const figures: EventLoopFigures = { meanMs: delay.mean / 1e6, p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 };
    delay.reset();
    process.send!(figures);
  });
  // The channel must not keep the app alive once it has closed everything else on SIGTERM.
  process.channel?.unref();
}
