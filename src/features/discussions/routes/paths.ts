import type { FastifyReply } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { redirectTo } from '../../../lib/next-path.js';
import { findMergeTarget } from '../queries/threads.js';
import { pageOfPosition } from '../thread-page.js';

/** A thread's address with its slug, at a page (page 1 is the bare address). */
export function threadPath(thread: { id: number; slug: string }, page = 1): string {
  return `/t/${thread.id}/${thread.slug}${page > 1 ? `?page=${page}` : ''}`;
}

/** Where a post is shown: its thread's page, at the post's anchor. */
export function postPath(thread: { id: number; slug: string }, post: { id: number; position: number }): string {
  return `${threadPath(thread, pageOfPosition(post.position))}#post-${post.id}`;
}

/** The query string of a request's URL, with its `?`, or nothing: kept across a redirect. */
export function queryOf(url: string): string {
  const start = url.indexOf('?');
  return start === -1 ? '' : url.slice(start);
}

/** A thread that is not there for the viewer: a merged one's address leads on, anything else is not found. */
export async function redirectToMergeTarget(deps: Pick<Deps, 'db'>, reply: FastifyReply, threadId: number): Promise<FastifyReply> {
  const target = await findMergeTarget(deps.db, threadId);
  if (target === undefined) throw new NotFound();
  return redirectTo(reply, `/t/${target}`);
}
