import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';

/**
 * Sessions live in PostgreSQL, so any app instance can serve any request. Rows are keyed by a
 * SHA-256 of the session id: the table never holds a value that works as a cookie.
 */

// A session that only carries a form's CSRF secret (someone signed out filling in a form).
export const ANONYMOUS_SESSION_TTL_MS = 2 * 60 * 60 * 1000;

export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url');
}

declare module 'fastify' {
  interface Session {
    /** Set at sign-in (features/auth/sessions.ts); the store copies them into columns. */
    memberId?: number;
    publicId?: string;
    startedAt?: number;
    lastSeenAt?: number;
    expiresAt?: number;
    userAgent?: string;
    ipAddress?: string;
  }
}

type StoredSession = Parameters<fastifySession.SessionStore['set']>[1];

export class PgSessionStore implements fastifySession.SessionStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  set(sessionId: string, session: StoredSession, callback: (error?: unknown) => void): void {
    const data = JSON.stringify(session);
    const columns = {
      data,
      expires_at: new Date(session.expiresAt ?? this.now().getTime() + ANONYMOUS_SESSION_TTL_MS),
      member_id: session.memberId ?? null,
      public_id: session.publicId ?? null,
      user_agent: session.userAgent ?? null,
      ip_address: session.ipAddress ?? null,
      last_seen_at: session.lastSeenAt ? new Date(session.lastSeenAt) : null,
      updated_at: this.now(),
    };
    this.db
      .insertInto('sessions')
      .values({ id_hash: hashSessionId(sessionId), ...columns })
      .onConflict((oc) => oc.column('id_hash').doUpdateSet(columns))
      .execute()
      .then(() => callback(), callback);
  }

  get(sessionId: string, callback: (error: unknown, session?: StoredSession | null) => void): void {
    this.db
      .selectFrom('sessions')
      .select('data')
      .where('id_hash', '=', hashSessionId(sessionId))
      .where('expires_at', '>', this.now())
      .executeTakeFirst()
      .then((row) => callback(null, (row?.data as StoredSession | undefined) ?? null), callback);
  }

  destroy(sessionId: string, callback: (error?: unknown) => void): void {
    this.db
      .deleteFrom('sessions')
      .where('id_hash', '=', hashSessionId(sessionId))
      .execute()
      .then(() => callback(), callback);
  }
}

export function sessionCookieName(config: Config): string {
  // The __Host- prefix pins the cookie to this exact host over https, with no Domain attribute.
  return config.publicUrl.protocol === 'https:' ? '__Host-commons' : 'commons';
}

export default fp<{ config: Config; db: Kysely<DB>; secrets: string[]; now: () => Date }>(
  async (app, { config, db, secrets, now }) => {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: secrets,
      cookieName: sessionCookieName(config),
      store: new PgSessionStore(db, now),
      saveUninitialized: false,
      rolling: false,
      cookie: {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: config.publicUrl.protocol === 'https:',
      },
    });
  },
  { name: 'session' },
);
