import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { addressList } from '../lib/address-list.js';
import { RateLimited } from '../lib/errors.js';

/**
 * The global page budget per client address (SECURITY.md, the bar item 4): counters in Redis
 * when REDIS_URL is set, so every instance shares them, in memory otherwise. Trusted ranges
 * (a department's gateway, a monitoring host) are exempt.
 */
export default fp<{ config: Config; redis: Redis | undefined }>(
  async (app, { config, redis }) => {
    const isTrusted = addressList(config.rateLimit.trusted);
    await app.register(rateLimit, {
      global: true,
      hook: 'onRequest',
      max: config.rateLimit.pagesPer10s,
      timeWindow: 10_000,
      keyGenerator: (request) => request.clientAddress,
      allowList: (request) => isTrusted(request.clientAddress),
      ...(redis ? { redis, nameSpace: `${config.redisKeyPrefix}pages:` } : {}),
      // A Redis outage must not take the site down with it.
      skipOnError: true,
      errorResponseBuilder: (_request, context) => new RateLimited(context.ttl / 1000),
    });
  },
  { name: 'rate-limit' },
);
