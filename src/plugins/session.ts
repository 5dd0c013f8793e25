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

type StoredSession = Parameters<fastifySession.SessionStore['set']>[1];

export class PgSessionStore implements fastifySession.SessionStore {
  constructor(private readonly db: Kysely<DB>) {}

  set(sessionId: string, session: StoredSession, callback: (error?: unknown) => void): void {
    const data = JSON.stringify(session);
    const expiresAt = new Date(Date.now() + ANONYMOUS_SESSION_TTL_MS);
    this.db
      .insertInto('sessions')
      .values({ id_hash: hashSessionId(sessionId), data, expires_at: expiresAt })
      .onConflict((oc) => oc.column('id_hash').doUpdateSet({ data, expires_at: expiresAt, updated_at: new Date() }))
      .execute()
      .then(() => callback(), callback);
  }

  get(sessionId: string, callback: (error: unknown, session?: StoredSession | null) => void): void {
    this.db
      .selectFrom('sessions')
      .select('data')
      .where('id_hash', '=', hashSessionId(sessionId))
      .where('expires_at', '>', new Date())
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

export default fp<{ config: Config; db: Kysely<DB>; secrets: string[] }>(
  async (app, { config, db, secrets }) => {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: secrets,
      cookieName: sessionCookieName(config),
      store: new PgSessionStore(db),
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
