import type { FastifyServerOptions } from 'fastify';
import { stdTimeFunctions, type DestinationStream } from 'pino';

/**
 * Path segments that carry a secret (the token in an emailed link). They are masked in every
 * logged URL, so a log reader can never use one.
 */
const SECRET_PATH = /(\/(?:verify|password\/reset|unlock)\/)[^/?#&\s]+/gi;
const SECRET_QUERY = /([?&](?:token|code|key|password)=)[^&#]*/gi;

/** Masks secrets wherever they stand: decoded first, so `%76erify` or `?next=%2Fverify%2F…` hide nothing. */
export function maskSecretsInUrl(url: string): string {
  let decoded = url;
  for (let round = 0; round < 3; round += 1) {
    try {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    } catch {
      break;
    }
  }
  return decoded.replace(SECRET_PATH, '$1[redacted]').replace(SECRET_QUERY, '$1[redacted]');
}

const REDACT = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["csrf-token"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*._csrf',
  '*.sessionId',
];

export function loggerOptions(level: string, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level,
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: {
      req(request) {
        return {
          method: request.method,
          url: maskSecretsInUrl(request.url),
          remoteAddress: request.clientAddress,
        };
      },
    },
    ...(stream ? { stream } : {}),
  };
}
