import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import { findLiveSession, type SessionMember } from '../features/auth/queries.js';

/**
 * Sessions live in PostgreSQL, so any app instance can serve any request. Rows are keyed by a
 * SHA-256 of the session id: the table never holds a value that works as a cookie. A session is
 * stored only while it carries something, a signed-in member or a notice for the next page: a
 * visitor reading pages or filling in forms has none (their form tokens: plugins/csrf.ts).
 */

// A session that only carries a notice for the next page (someone signed out who has just
// posted a form): the redirect that reads it follows at once.
export const ANONYMOUS_SESSION_TTL_MS = 10 * 60 * 1000;

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
    absoluteExpiresAt?: number;
    userAgent?: string;
    ipAddress?: string;
    /** When this session passed its member's second factor (features/auth/second-factor/). */
    secondFactorAt?: number;
    /** When its member last proved who they are, by password or a factor: step-up asks again after 10 minutes. */
    authenticatedAt?: number;
    /**
     * The signed-in member as read with the session, in the same statement; never stored.
     * plugins/current-member.ts takes it instead of reading the member again.
     */
    memberAtLoad?: SessionMember;
  }
}

type StoredSession = Parameters<fastifySession.SessionStore['set']>[1];

// Marks a session that came from the store; @fastify/session copies it onto the session object,
// and set() takes it out again, so it is never saved. memberAtLoad comes and goes the same way.
const LOADED = '__loadedFromStore';

/** No member, no notice: only the cookie's settings. Storing that would be a row per visitor. */
function carriesNothing(session: Record<string, unknown>): boolean {
  return Object.entries(session).every(([key, value]) => key === 'cookie' || value === undefined);
}

export class PgSessionStore implements fastifySession.SessionStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  set(sessionId: string, session: StoredSession, callback: (error?: unknown) => void): void {
    const { [LOADED]: loaded, memberAtLoad: _member, ...rest } = session as StoredSession & { [LOADED]?: boolean; memberAtLoad?: SessionMember };
    // An empty session is never written (a visitor, a session just regenerated), and one that
    // has been emptied (its notice read) goes.
    if (carriesNothing(rest)) {
      if (loaded) this.destroy(sessionId, callback);
      else callback();
      return;
    }
    const columns = {
      data: JSON.stringify(rest),
      expires_at: new Date(rest.expiresAt ?? this.now().getTime() + ANONYMOUS_SESSION_TTL_MS),
      member_id: rest.memberId ?? null,
      public_id: rest.publicId ?? null,
      user_agent: rest.userAgent ?? null,
      ip_address: rest.ipAddress ?? null,
      last_seen_at: rest.lastSeenAt ? new Date(rest.lastSeenAt) : null,
      absolute_expires_at: rest.absoluteExpiresAt ? new Date(rest.absoluteExpiresAt) : null,
      second_factor_at: rest.secondFactorAt ? new Date(rest.secondFactorAt) : null,
      authenticated_at: rest.authenticatedAt ? new Date(rest.authenticatedAt) : null,
      updated_at: this.now(),
    };
    const idHash = hashSessionId(sessionId);
    // A session read from the store is only ever updated: if it was ended meanwhile (a
    // password change, "sign out everywhere"), a request still in flight must not bring it back.
    const write = loaded
      ? this.db.updateTable('sessions').set(columns).where('id_hash', '=', idHash).execute()
      : this.db.insertInto('sessions').values({ id_hash: idHash, ...columns }).onConflict((oc) => oc.column('id_hash').doUpdateSet(columns)).execute();
    write.then(() => callback(), callback);
  }

  get(sessionId: string, callback: (error: unknown, session?: StoredSession | null) => void): void {
    findLiveSession(this.db, hashSessionId(sessionId), this.now()).then(
      (found) => callback(null, found ? ({ ...(found.data as StoredSession), memberAtLoad: found.member, [LOADED]: true } as StoredSession) : null),
      callback,
    );
  }

  destroy(sessionId: string, callback: (error?: unknown) => void): void {
    this.db
      .deleteFrom('sessions')
      .where('id_hash', '=', hashSessionId(sessionId))
      .execute()
      .then(() => callback(), callback);
  }
}

/** Removes sessions past their time (housekeeping; the store never returns them anyway). */
export async function deleteExpiredSessions(db: Kysely<DB>, now: Date = new Date()): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A cookie of ours: HttpOnly, SameSite=Lax, and under https Secure with the __Host- prefix. */
export function siteCookie(config: Config, name: string) {
  const https = config.publicUrl.protocol === 'https:';
  // The __Host- prefix pins the cookie to this exact host over https, with no Domain attribute.
  return { name: https ? `__Host-${name}` : name, options: { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: https } };
}

export default fp<{ config: Config; db: Kysely<DB>; secrets: string[]; now: () => Date }>(
  async (app, { config, db, secrets, now }) => {
    const cookie = siteCookie(config, 'commons');
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: secrets,
      cookieName: cookie.name,
      store: new PgSessionStore(db, now),
      saveUninitialized: false,
      rolling: false,
      cookie: cookie.options,
    });
  },
  { name: 'session' },
);
