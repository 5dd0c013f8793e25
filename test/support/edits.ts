import type { Database } from '../../src/db/database.js';
import type { Browser } from './app.js';

/** The hidden fields of a post's edit form (CSRF and the version it was opened on). */
export async function editForm(browser: Browser, postId: number): Promise<Record<string, string>> {
  return browser.openForm(`/p/${postId}/edit`);
}

export async function firstPostOf(db: Database['db'], threadId: number): Promise<number> {
  const row = await db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '=', 1).executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Everything editing or deleting a post could write: the post, its thread and category, their
 * revisions and the thread's notifications. Equal before and after: nothing was written.
 */
export async function writtenState(db: Database['db'], postId: number) {
  const post = await db.selectFrom('posts').select(['thread_id', 'version', 'body_source', 'body_html', 'edited_at', 'deleted_at', 'deleted_by']).where('id', '=', postId).executeTakeFirstOrThrow();
  const thread = await db.selectFrom('threads').select(['category_id', 'title', 'slug', 'reply_count', 'title_edited_at', 'deleted_at']).where('id', '=', post.thread_id).executeTakeFirstOrThrow();
  const category = await db.selectFrom('categories').select(['thread_count', 'post_count']).where('id', '=', thread.category_id).executeTakeFirstOrThrow();
  const count = async (table: 'post_revisions' | 'thread_title_revisions' | 'notifications', column: 'post_id' | 'thread_id', id: number) =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where(column, '=', id).executeTakeFirstOrThrow()).n);
  return {
    post,
    thread,
    category,
    postRevisions: await count('post_revisions', 'post_id', postId),
    titleRevisions: await count('thread_title_revisions', 'thread_id', post.thread_id),
    notifications: await count('notifications', 'thread_id', post.thread_id),
  };
}
