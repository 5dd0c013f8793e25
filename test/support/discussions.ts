import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { Browser } from './app.js';
import { createMember, signedInBrowser, type MemberOptions, type TestMember } from './members.js';

/** A member and a browser signed in as them, through the real sign-in form. */
export async function memberWithBrowser(app: FastifyInstance, db: Database['db'], options: MemberOptions = {}): Promise<{ member: TestMember; browser: Browser }> {
  const member = await createMember(db, options);
  return { member, browser: await signedInBrowser(app, member, member.password) };
}

/** Starts a thread through the form; returns its id (the browser follows nothing). */
export async function startThread(browser: Browser, categorySlug: string, fields: { title?: string; body?: string } = {}): Promise<number> {
  const hidden = await browser.openForm(`/c/${categorySlug}/new`);
  const response = await browser.post(`/c/${categorySlug}/new`, { ...hidden, title: fields.title ?? 'How do you archive social media posts?', body: fields.body ?? 'We need to keep records of our posts. What do other agencies use?' });
  expect(response.statusCode, response.body).toBe(303);
  return Number(/^\/t\/(\d+)/.exec(response.headers.location as string)![1]);
}

/** Posts a reply through the thread page's form; returns the response (303 to /p/:id on success). */
export async function postReply(browser: Browser, threadId: number, fields: Record<string, string> = {}) {
  const hidden = await replyFormOf(browser, threadId);
  return browser.post(`/t/${threadId}/reply`, { ...hidden, body: 'We use an archiving service that captures each post.', ...fields });
}

/** The hidden fields of a thread page's reply form (following the slug redirect). */
export async function replyFormOf(browser: Browser, threadId: number, query = ''): Promise<Record<string, string>> {
  const redirect = await browser.get(`/t/${threadId}${query}`);
  expect(redirect.statusCode).toBe(303);
  return browser.openForm(redirect.headers.location as string);
}

/** The id a /p/:id redirect names. */
export function postIdFrom(location: unknown): number {
  return Number(/^\/p\/(\d+)$/.exec(String(location))![1]);
}

/** A CSRF token for the browser's session (any page of ours carries one), for a post's buttons. */
export async function csrfOf(browser: Browser): Promise<string> {
  return (await browser.openForm('/c'))._csrf!;
}

/** A thread's page as the browser sees it, after the redirect to its slugged address. */
export async function threadPageOf(browser: Browser, threadId: number): Promise<string> {
  const redirect = await browser.get(`/t/${threadId}`);
  expect(redirect.statusCode).toBe(303);
  const page = await browser.get(redirect.headers.location as string);
  expect(page.statusCode).toBe(200);
  return page.body;
}

/** Presses a post's button: "helpful" (`helpful=yes|no`) or "answer" (`answer=yes|no`). */
export async function pressPostButton(browser: Browser, postId: number | string, action: 'helpful' | 'answer', fields: Record<string, string | string[]>, csrf: string) {
  return browser.post(`/p/${postId}/${action}`, { _csrf: csrf, ...fields });
}

/** The id of a thread's post at a position. */
export async function postAt(db: Database['db'], threadId: number, position: number): Promise<number> {
  const row = await db.selectFrom('posts').select('id').where('thread_id', '=', threadId).where('position', '=', position).executeTakeFirstOrThrow();
  return row.id;
}
