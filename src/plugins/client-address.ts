import { isIP } from 'node:net';
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The client's address, always a valid IP: what TRUST_PROXY makes of X-Forwarded-For when
     * that is an address (a port some load balancers append is dropped), the socket's peer
     * otherwise. Use it, not request.ip, for rate-limit keys, logs and inet columns.
     */
    clientAddress: string;
  }
}

/** An IP address as PostgreSQL's inet takes it: no IPv6 zone (`%eth0`), or nothing. */
function plainAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const bare = value.replace(/%[^%]*$/, '');
  return isIP(bare) ? bare : undefined;
}

export function clientAddressOf(request: FastifyRequest): string {
  const claimed = request.ip ?? '';
  const withoutPort = /^\[?([^\]]+?)\]?:\d+$/.exec(claimed)?.[1];
  return plainAddress(claimed) ?? plainAddress(withoutPort) ?? plainAddress(request.raw.socket?.remoteAddress) ?? '0.0.0.0';
}

export default fp(
  async (app) => {
    app.decorateRequest('clientAddress', {
      getter(this: FastifyRequest) {
        return clientAddressOf(this);
      },
    });
  },
  { name: 'client-address' },
);
