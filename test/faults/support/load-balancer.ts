import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A round-robin HTTP load balancer in the test process, in front of several Commons processes,
 * as a proxy in production would be: the client's Host kept, its address added to
 * X-Forwarded-For. A test may pin the next request to one instance by name, and each answer
 * says which instance gave it (`x-served-by`), so a test knows where a request landed. Every
 * client here is the test on 127.0.0.1: a request may say which address it comes from instead
 * (`x-test-client`), as another machine's would.
 */
export interface LoadBalancer {
  /** The origin clients use: PUBLIC_URL of every instance behind it. */
  url: string;
  /** Puts an instance into the rotation. */
  add(name: string, origin: string): void;
  /** Sends the next request (only that one) to the named instance instead of the next in turn. */
  pinNext(name: string): void;
  close(): Promise<void>;
}

export const SERVED_BY = 'x-served-by';
export const TEST_CLIENT = 'x-test-client';

export async function startLoadBalancer(): Promise<LoadBalancer> {
  const backends: { name: string; url: URL }[] = [];
  const agent = new http.Agent({ keepAlive: true });
  let turn = 0;
  let pinned: string | undefined;

  const choose = () => {
    const name = pinned;
    pinned = undefined;
    if (name !== undefined) return backends.find((backend) => backend.name === name) ?? unknown(name);
    return backends[turn++ % backends.length]!;
  };

  const server = http.createServer((request, response) => {
    const backend = choose();
    const { [TEST_CLIENT]: client, ...headers } = request.headers;
    const forwardedFor = [request.headers['x-forwarded-for'], client ?? request.socket.remoteAddress].filter(Boolean).join(', ');
    const upstream = http.request(
      { host: backend.url.hostname, port: backend.url.port, method: request.method, path: request.url, headers: { ...headers, 'x-forwarded-for': forwardedFor }, agent },
      (answer) => {
        response.writeHead(answer.statusCode!, { ...answer.headers, [SERVED_BY]: backend.name });
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      if (response.headersSent) return response.destroy(error);
      response.writeHead(502, { 'content-type': 'text/plain', [SERVED_BY]: backend.name }).end(`load balancer: ${backend.name} did not answer (${error.message})`);
    });
    request.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    add: (name, origin) => void backends.push({ name, url: new URL(origin) }),
    pinNext: (name) => {
      if (!backends.some((backend) => backend.name === name)) unknown(name);
      pinned = name;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

function unknown(name: string): never {
  throw new Error(`load balancer: no instance named ${name}`);
}
