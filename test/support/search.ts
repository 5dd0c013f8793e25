import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import { renderBody } from '../../src/features/discussions/posting.js';

type Db = Database['db'];

export interface WrittenThread {
  threadId: number;
  /** The first post's id, then each reply's. */
  postIds: number[];
}

/**
 * A thread with the words given, made straight in the database (what search finds is the
 * rows, not how they were posted): its first post's body and each reply's, at `createdAt`.
 */
export async function writeThread(db: Db, options: { categoryId: number; authorId: number; title: string; body: string; replies?: { authorId: number; body: string }[]; createdAt?: Date }): Promise<WrittenThread> {
  const createdAt = options.createdAt ?? new Date();
  const replies = options.replies ?? [];
  return db.transaction().execute(async (trx) => {
    const thread = await trx
      .insertInto('threads')
      .values({ category_id: options.categoryId, author_id: options.authorId, title: options.title, slug: 'written-for-search', form_token: randomUUID(), post_count: replies.length + 1, reply_count: replies.length, last_posted_at: createdAt, last_poster_id: options.authorId, created_at: createdAt })
      .returning('id')
      .executeTakeFirstOrThrow();
    const posts = [{ authorId: options.authorId, body: options.body }, ...replies].map((post, index) => ({
      thread_id: thread.id,
      author_id: post.authorId,
      position: index + 1,
      body_source: post.body,
      body_html: renderBody(post.body).bodyHtml,
      renderer_version: renderBody(post.body).rendererVersion,
      form_token: randomUUID(),
      created_at: createdAt,
    }));
    const rows = await trx.insertInto('posts').values(posts).returning('id').execute();
    return { threadId: thread.id, postIds: rows.map((row) => row.id) };
  });
}

/** The results' titles (highlighting taken out), in order. */
export function resultTitles(html: string): string[] {
  const list = /<ol class="resource-list search__results">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '';
  return [...list.matchAll(/<p class="resource-list__title">[\s\S]*?<bdi>([\s\S]*?)<\/bdi><\/a><\/p>/g)].map((match) => match[1]!.replace(/<\/?mark>/g, ''));
}

/** The results' links, in order. */
export function resultLinks(html: string): string[] {
  const list = /<ol class="resource-list search__results">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '';
  return [...list.matchAll(/<p class="resource-list__title">[\s\S]*?<a href="([^"]+)">/g)].map((match) => match[1]!);
}

/** The results' snippets as HTML, in order. */
export function resultSnippets(html: string): string[] {
  return [...html.matchAll(/<p class="search__snippet">([\s\S]*?)<\/p>/g)].map((match) => match[1]!);
}
