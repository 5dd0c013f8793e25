import type { FastifyServerOptions } from 'fastify';
import { stdTimeFunctions, type DestinationStream } from 'pino';

/**
 * Path segments that carry a secret (the token in an emailed link). They are masked in every
 * logged URL, so a log reader can never use one.
 */
const SECRET_PATH = /(\/(?:verify|password\/reset|unlock)\/)[^/?#&\s]+/gi;
const SECRET_QUERY = /([?&](?:token|code|key|password)=)[^&#]*/gi;

/** Each run of %-escapes decoded where it can be; one that cannot (`%FF`) stays as it was, the rest still decode. */
function decodeWhatDecodes(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** Masks secrets wherever they stand: decoded first, so `%76erify` or `?next=%2Fverify%2F…` hide nothing. */
export function maskSecretsInUrl(url: string): string {
  let decoded = url;
  for (let round = 0; round < 3; round += 1) {
    const next = decodeWhatDecodes(decoded);
    if (next === decoded) break;
    decoded = next;
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

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
// On every line, or shown in the line's short form already.
const IMPLIED_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'err']);

/** A value on one terminal line: a decoded `%0a` in a URL must not start a forged line of its own. */
function oneLineText(value: unknown): string {
  return (typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)).replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One JSON log line as a person reads it in a terminal: `04:12:03 INFO  GET /login 200 4 ms member 7`. */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${line}\n`;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const head = `${time} ${(LEVEL_NAMES[entry.level as number] ?? String(entry.level)).padEnd(5)}`;
  if (entry.msg === 'request') {
    const member = entry.memberId === undefined ? '' : ` member ${String(entry.memberId)}`;
    return `${head} ${oneLineText(entry.method)} ${oneLineText(entry.url)} ${oneLineText(entry.statusCode)} ${oneLineText(entry.responseTime)} ms${member}\n`;
  }
  const fields = Object.entries(entry)
    .filter(([key]) => !IMPLIED_FIELDS.has(key))
    .map(([key, value]) => ` ${key}=${oneLineText(value)}`);
  const stack = (entry.err as { stack?: unknown } | undefined)?.stack;
  return `${head} ${oneLineText(entry.msg ?? '')}${fields.join('')}${typeof stack === 'string' ? `\n${stack}` : ''}\n`;
}

/** Where logs go with LOG_FORMAT=pretty: readable lines for a developer's terminal. */
export function prettyLogStream(out: NodeJS.WritableStream = process.stdout): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(formatLogLine(line));
    },
  };
}
