import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Browser } from './app.js';
import { refusedLeaving } from './moderation.js';

type Db = Database['db'];

/** The hidden fields of the moderation page of a thread: its CSRF token and the version it shows. */
export async function moderationForm(browser: Browser, threadId: number): Promise<{ _csrf: string; version: string }> {
  const hidden = await browser.openForm(`/mod/threads/${threadId}`);
  expect(hidden.version).toMatch(/^\d+$/);
  return { _csrf: hidden._csrf!, version: hidden.version! };
}

/** Presses a thread action's button with the page's fields and any more. */
export async function threadAction(browser: Browser, threadId: number | string, action: string, fields: Record<string, string | string[]>) {
  return browser.post(`/mod/threads/${threadId}/${action}`, fields);
}

/**
 * Everything a thread action can write: the threads, posts and categories involved (every
 * column that matters) and the number of audit rows and title revisions, to show a refusal
 * wrote nothing.
 */
export async function moderationSnapshot(db: Db, threadIds: number[]) {
  const threads = await db
    .selectFrom('threads')
    .select(['id', 'version', 'title', 'category_id', 'post_count', 'reply_count', 'pinned_at', 'pinned_site_wide', 'locked_at', 'hidden_at', 'hidden_reason', 'deleted_at', 'merged_into_id'])
    .where('id', 'in', threadIds)
    .orderBy('id')
    .execute();
  const posts = await db.selectFrom('posts').select(['id', 'thread_id', 'position', 'reply_to_post_id']).where('thread_id', 'in', threadIds).orderBy('id').execute();
  const categories = await db.selectFrom('categories').select(['id', 'thread_count', 'post_count']).orderBy('id').execute();
  const count = async (table: 'audit_events' | 'thread_title_revisions' | 'threads') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { threads, posts, categories, audit: await count('audit_events'), titles: await count('thread_title_revisions'), threadRows: await count('threads') };
}

export async function auditRows(db: Db, threadId: number) {
  return db.selectFrom('audit_events').select(['action', 'actor_member_id', 'subject_member_id', 'target_type', 'details']).where('target_type', '=', 'thread').where('target_id', '=', String(threadId)).orderBy('id').execute();
}

export async function categoryCounts(db: Db, categoryId: number): Promise<{ thread_count: number; post_count: number }> {
  return db.selectFrom('categories').select(['thread_count', 'post_count']).where('id', '=', categoryId).executeTakeFirstOrThrow();
}

/** Sends a form that must be refused with `status` (and `message`), and shows it wrote nothing. */
export function refusedWritingNothing<R extends { statusCode: number; body: string }>(db: Db, threadIds: number[], send: () => Promise<R>, status: number, message?: string): Promise<R> {
  return refusedLeaving(() => moderationSnapshot(db, threadIds), send, status, message);
}
