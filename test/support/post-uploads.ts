import { expect, vi } from 'vitest';
import type { Browser } from './app.js';
import { replyFormOf } from './discussions.js';
import { csrfPart, fileRows, MultipartBody, postMultipart, temporaryUploads, type FormPart, type GeneratedBytes, type UploadTestApp } from './uploads.js';

/**
 * Posts with files, through the real new-thread and reply forms sent as multipart (as the pages
 * send them), and what a refused one must leave as it was.
 */

/** A file chosen in one of a post form's places (`file_1` … `file_5`). */
export const fileIn = (place: number, filename: string, data: Buffer | GeneratedBytes, contentType?: string): FormPart => ({ name: `file_${place}`, filename, data, contentType });

/** The form's hidden fields (its CSRF token first, as the page has it), then the text fields, then the files. */
export function postForm(hidden: Record<string, string>, fields: Record<string, string>, files: FormPart[] = []): MultipartBody {
  const { _csrf, ...rest } = hidden;
  const text = Object.entries({ ...rest, ...fields }).map(([name, value]) => ({ name, value }));
  return new MultipartBody([csrfPart(_csrf!), ...text, ...files]);
}

export async function sendReply(t: UploadTestApp, browser: Browser, threadId: number, fields: Record<string, string>, files: FormPart[] = []) {
  const hidden = await replyFormOf(browser, threadId);
  return postMultipart(t.app, browser, `/t/${threadId}/reply`, postForm(hidden, { body: 'Here is what we used.', ...fields }, files));
}

export async function sendNewThread(t: UploadTestApp, browser: Browser, slug: string, fields: Record<string, string>, files: FormPart[] = []) {
  const hidden = await browser.openForm(`/c/${slug}/new`);
  return postMultipart(t.app, browser, `/c/${slug}/new`, postForm(hidden, { title: 'Accessible charts in reports', body: 'How do you describe charts?', ...fields }, files));
}

/** Everything posting with files can write. */
export async function postingWrites(t: UploadTestApp) {
  const count = async (table: 'threads' | 'posts' | 'notifications') => Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { threads: await count('threads'), posts: await count('posts'), notifications: await count('notifications'), ...(await fileRows(t.db)) };
}

/** Once the answer is sent, no upload waits in the temporary directory. */
export async function noTemporaryFiles(t: UploadTestApp) {
  await vi.waitFor(() => expect(temporaryUploads(t)).toEqual([]));
}

/** The text of a page as a person reads it: the character references Handlebars writes, decoded. */
export function pageText(html: string): string {
  return html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`');
}

/** Runs a refused post; checks its status and message, and that it wrote nothing and left no upload behind. */
export async function refusedPost(t: UploadTestApp, send: () => Promise<{ statusCode: number; body: string }>, status: number, message: string) {
  const before = await postingWrites(t);
  const response = await send();
  expect(response.statusCode, response.body.slice(0, 500)).toBe(status);
  expect(pageText(response.body)).toContain(message);
  expect(await postingWrites(t)).toEqual(before);
  await noTemporaryFiles(t);
  return response;
}
