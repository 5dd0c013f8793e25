import http from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A small closed-loop HTTP load generator: a fixed number of requests, a fixed number in
 * flight, over keep-alive connections, timed from the request being written to the last byte
 * of the response being read. No dependencies beyond node:http.
 */

export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface BenchResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Only when asked for (keepBody); otherwise the body is read and dropped. */
  body: string;
}

export class Client {
  readonly agent: http.Agent;

  constructor(
    private readonly origin: URL,
    concurrency: number,
    private readonly timeoutMs: number,
    /** A loopback address to send from (127.0.0.2…), so the app sees several clients. */
    private readonly localAddress?: string,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  }

  request(request: BenchRequest, keepBody = false): Promise<BenchResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
      const req = http.request(
        {
          host: this.origin.hostname,
          port: this.origin.port,
          method: request.method,
          path: request.path,
          headers,
          agent: this.agent,
          ...(this.localAddress ? { localAddress: this.localAddress } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          if (keepBody) res.on('data', (chunk: Buffer) => chunks.push(chunk));
          else res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: keepBody ? Buffer.concat(chunks).toString('utf8') : '' }));
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no response within ${this.timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end(request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadResult {
  /** Requests that completed (with a response or an error). */
  requests: number;
  errors: number;
  /** Response counts by status, and failures without a response by message. */
  statuses: Record<string, number>;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Stopped by the deadline (or a stop request) before all requests were sent. */
  aborted: boolean;
}

export interface LoadOptions {
  client: Client;
  count: number;
  concurrency: number;
  /** performance.now() after which no new request is started. */
  deadline: number;
  /** The i-th request (0-based). */
  next: (i: number) => BenchRequest;
  /** Asked between requests: stop early (Ctrl-C). */
  stopRequested?: () => boolean;
}

/** Any response outside 2xx and 3xx, and any request that got no response, is an error. */
export function isError(status: number): boolean {
  return status < 200 || status >= 400;
}

export async function runLoad({ client, count, concurrency, deadline, next, stopRequested = () => false }: LoadOptions): Promise<LoadResult> {
  const latencies = new Float64Array(count);
  const statuses: Record<string, number> = {};
  let issued = 0;
  let completed = 0;
  let errors = 0;
  let aborted = false;

  const worker = async () => {
    while (issued < count) {
      if (performance.now() >= deadline || stopRequested()) {
        aborted = true;
        return;
      }
      const i = issued;
      issued += 1;
      const request = next(i);
      const started = performance.now();
      let key: string;
      try {
        const response = await client.request(request);
        key = String(response.status);
        if (isError(response.status)) errors += 1;
      } catch (error) {
        key = `failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
        errors += 1;
      }
      latencies[completed] = performance.now() - started;
      completed += 1;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - started) / 1000;

  const sorted = latencies.subarray(0, completed).sort();
  const percentile = (p: number) => (completed === 0 ? Number.NaN : sorted[Math.min(completed - 1, Math.max(0, Math.ceil(p * completed) - 1))]!);
  return {
    requests: completed,
    errors,
    statuses,
    seconds,
    perSecond: completed / seconds,
    p50: percentile(0.5),
    p95: percentile(0.95),
    p99: percentile(0.99),
    max: completed === 0 ? Number.NaN : sorted[completed - 1]!,
    aborted,
  };
}
