import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { RENDERER_VERSION } from '../../src/lib/markdown.js';

/**
 * Discussion rows made straight in the database, for tests about what is shown of them (lists,
 * pages, counts) rather than how they were posted: a category of one's own keeps a test's counts
 * apart from the other tests sharing the file's database.
 */
export async function createCategory(db: Database['db'], options: { visibleTo?: 'members' | 'moderators' } = {}): Promise<{ id: number; slug: string; name: string }> {
  const suffix = randomBytes(4).toString('hex');
  const row = await db
    .insertInto('categories')
    .values({ slug: `test-${suffix}`, name: `Test category ${suffix}`, position: 100, visible_to: options.visibleTo ?? 'members' })
    .returning(['id', 'slug', 'name'])
    .executeTakeFirstOrThrow();
  return row;
}

/** `count` replies at the end of a thread, with the thread's counts kept as the services keep them; their ids, oldest first. */
export async function addReplies(db: Database['db'], threadId: number, authorId: number, count: number): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    const thread = await trx
      .updateTable('threads')
      .set((eb) => ({ post_count: eb('post_count', '+', count), reply_count: eb('reply_count', '+', count), last_posted_at: sql`now()`, last_poster_id: authorId }))
      .where('id', '=', threadId)
      .returning('post_count')
      .executeTakeFirstOrThrow();
    const first = thread.post_count - count + 1;
    const rows = await trx
      .insertInto('posts')
      .values(
        Array.from({ length: count }, (_, index) => ({
          thread_id: threadId,
          author_id: authorId,
          position: first + index,
          body_source: `Reply number ${first + index}`,
          body_html: `<p>Reply number ${first + index}</p>`,
          renderer_version: RENDERER_VERSION,
          form_token: randomUUID(),
        })),
      )
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  });
}

/** `count` threads of one post each in a category, last active at `lastPostedAt` (now by default); their ids. */
export async function createThreads(db: Database['db'], categoryId: number, authorId: number, count: number, lastPostedAt: Date = new Date()): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    const threads = await trx
      .insertInto('threads')
      .values(
        Array.from({ length: count }, (_, index) => ({
          category_id: categoryId,
          author_id: authorId,
          title: `Made for a test, number ${index + 1}`,
          slug: `made-for-a-test-number-${index + 1}`,
          form_token: randomUUID(),
          last_posted_at: lastPostedAt,
          last_poster_id: authorId,
          created_at: lastPostedAt,
        })),
      )
      .returning('id')
      .execute();
    await trx
      .insertInto('posts')
      .values(threads.map((thread) => ({ thread_id: thread.id, author_id: authorId, position: 1, body_source: 'A first post', body_html: '<p>A first post</p>', renderer_version: RENDERER_VERSION, form_token: randomUUID(), created_at: lastPostedAt })))
      .execute();
    await trx
      .updateTable('categories')
      .set((eb) => ({ thread_count: eb('thread_count', '+', count), post_count: eb('post_count', '+', count), last_posted_at: lastPostedAt }))
      .where('id', '=', categoryId)
      .execute();
    return threads.map((thread) => thread.id);
  });
}

/** A thread in a category of its own with one reply by `replierId`, the category's counts kept as the services keep them. */
export async function createRepliedThread(db: Database['db'], authorId: number, replierId: number): Promise<{ category: { id: number; slug: string; name: string }; threadId: number; replyId: number }> {
  const category = await createCategory(db);
  const [threadId] = await createThreads(db, category.id, authorId, 1);
  const [replyId] = await addReplies(db, threadId!, replierId, 1);
  await db.updateTable('categories').set((eb) => ({ post_count: eb('post_count', '+', 1) })).where('id', '=', category.id).execute();
  return { category, threadId: threadId!, replyId: replyId! };
}
