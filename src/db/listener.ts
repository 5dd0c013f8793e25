import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';

// After a lost connection, the next try; meanwhile the caller's own revalidation applies.
const RECONNECT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 2_000;

export interface ChannelHandlers {
  /** Another connection committed a `pg_notify` on the channel. */
  onNotification(): void;
  /** Notifications may have been missed (the connection was lost, or has just been made): read again. */
  onGap(): void;
}

export interface Listener {
  close(): Promise<void>;
}

/**
 * Hears what other instances announce on one channel (`pg_notify` in their transactions,
 * delivered as they commit), on a connection of its own outside the pool: a listening connection
 * must stay open, and the pool's are lent out and returned. It needs a session-level connection
 * to PostgreSQL (not one through a transaction-mode pooler such as PgBouncer's).
 */
export function listenToChannel(connectionString: string, channel: string, handlers: ChannelHandlers, log: Pick<FastifyBaseLogger, 'warn'>): Listener {
  let closed = false;
  let current: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = () => {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, application_name: 'commons listener' });
    current = client;
    let lost = false;
    const lose = (error?: unknown) => {
      if (lost) return;
      lost = true;
      void client.end().catch(() => undefined);
      if (closed) return;
      handlers.onGap();
      log.warn({ err: error, channel }, 'not hearing changes other instances announce: connecting again');
      retry = setTimeout(connect, RECONNECT_MS);
      retry.unref();
    };
    client.on('error', lose);
    client.on('end', () => lose());
    client.on('notification', (message) => {
      if (message.channel === channel) handlers.onNotification();
    });
    client
      .connect()
      .then(() => client.query(`listen ${pg.escapeIdentifier(channel)}`))
      .then(() => handlers.onGap(), lose);
  };
  connect();

  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await current?.end().catch(() => undefined);
    },
  };
}
