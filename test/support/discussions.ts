import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { Browser, hiddenFields, TEST_ORIGIN } from './app.js';
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

/** A post's article on a thread page, from its start tag to its end. */
export function articleOf(page: string, postId: number): string {
  const article = new RegExp(`<article [^>]*id="post-${postId}"[\\s\\S]*?</article>`).exec(page)?.[0];
  if (!article) throw new Error(`no article for post ${postId} on the page`);
  return article;
}

/** A start tag's attributes, their character references decoded as a browser decodes them. */
function attributesOf(startTag: string): Record<string, string> {
  const decode = (value: string) =>
    value.replace(/&(?:#x([0-9a-f]+)|#([0-9]+)|(amp|quot|lt|gt));/gi, (_, hex?: string, decimal?: string, name?: string) =>
      hex ? String.fromCodePoint(parseInt(hex, 16)) : decimal ? String.fromCodePoint(Number(decimal)) : { amp: '&', quot: '"', lt: '<', gt: '>' }[name!.toLowerCase()]!);
  return Object.fromEntries([...startTag.matchAll(/\s([a-z-]+)="([^"]*)"/g)].map((m) => [m[1]!, decode(m[2]!)]));
}

/** Where a URL written on a page leads: resolved against the page's own address, path and query. */
function resolve(url: string, pageUrl: string): string {
  const resolved = new URL(url, new URL(pageUrl, TEST_ORIGIN));
  return `${resolved.pathname}${resolved.search}`;
}

/** Follows a link (its start tag, found on the page at pageUrl) as a browser does. */
export async function followLink(browser: Browser, pageUrl: string, startTag: string) {
  return browser.get(resolve(attributesOf(startTag).href!, pageUrl));
}

/**
 * Presses a submit button (its start tag, found in `page`, which is at pageUrl) as a browser
 * without script does: it sends the button's form (the one its `form` attribute names, or else the
 * one around it), that form's hidden fields and the button's name and value, to the button's
 * formaction or else the form's action.
 */
export async function pressButton(browser: Browser, pageUrl: string, page: string, startTag: string) {
  const button = attributesOf(startTag);
  const at = page.indexOf(startTag);
  const start = button.form !== undefined ? page.search(new RegExp(`<form [^>]*id="${button.form}"`)) : page.lastIndexOf('<form ', at);
  const end = page.indexOf('</form>', start);
  if (at < 0 || start < 0 || (button.form === undefined && end < at)) throw new Error(`no form for the button ${startTag}`);
  const formHtml = page.slice(start, end);
  const form = attributesOf(formHtml.slice(0, formHtml.indexOf('>') + 1));
  expect(button.formmethod ?? form.method).toBe('post');
  const fields = { ...hiddenFields(formHtml), ...(button.name ? { [button.name]: button.value ?? '' } : {}) };
  return browser.post(resolve(button.formaction ?? form.action ?? pageUrl, pageUrl), fields);
}
