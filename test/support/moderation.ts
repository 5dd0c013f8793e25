import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';

type Db = Database['db'];

/**
 * Everything flagging and moderating an item can write: flags, the post or resource, counts,
 * revisions, notifications and audit rows. Equal before and after: nothing was written.
 */
export async function moderationState(db: Db) {
  const count = async (table: 'flags' | 'notifications' | 'audit_events' | 'post_revisions') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  return {
    flags: await db.selectFrom('flags').select(['id', 'resolved_at', 'outcome']).orderBy('id').execute(),
    posts: await db.selectFrom('posts').select(['id', 'version', 'hidden_at', 'hidden_by', 'hidden_reason', 'deleted_at', 'body_source']).orderBy('id').execute(),
    resources: await db.selectFrom('resources').select(['id', 'hidden_at', 'hidden_reason', 'removed_at']).orderBy('id').execute(),
    threads: await db.selectFrom('threads').select(['id', 'version', 'reply_count', 'hidden_at', 'hidden_with_resource', 'deleted_at']).orderBy('id').execute(),
    categories: await db.selectFrom('categories').select(['id', 'post_count', 'thread_count']).orderBy('id').execute(),
    notifications: await count('notifications'),
    auditEvents: await count('audit_events'),
    revisions: await count('post_revisions'),
  };
}

/**
 * Sends a request that must be refused with `status` (and `message`, when given), and checks that
 * `snapshot` (what the action could have written) reads the same afterwards.
 */
export async function refusedLeaving<R extends { statusCode: number; body: string }>(snapshot: () => Promise<unknown>, send: () => Promise<R>, status: number, message?: string): Promise<R> {
  const before = await snapshot();
  const response = await send();
  expect(response.statusCode, response.body.slice(0, 2000)).toBe(status);
  if (message !== undefined) expect(response.body).toContain(message);
  expect(await snapshot()).toEqual(before);
  return response;
}

/** refusedLeaving for flags and the queue: nothing of moderationState changed. */
export function refusedWritingNothing<R extends { statusCode: number; body: string }>(db: Db, send: () => Promise<R>, status: number, message?: string): Promise<R> {
  return refusedLeaving(() => moderationState(db), send, status, message);
}
