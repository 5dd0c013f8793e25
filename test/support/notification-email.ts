import { sql } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import type { Browser } from './app.js';
import { postIdFrom, postReply } from './discussions.js';

/**
 * Notification emails as the queue holds them, and as an SMTP server receives them. The sender
 * and the rows made with posts share the database's clock, so a test "waits" by moving the
 * pending rows' times back rather than the app's clock.
 */

export interface QueuedNotificationEmail {
  id: number;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: { fromName?: string; listUnsubscribe?: string; messageId?: string; inReplyTo?: string };
}

/** As if `minutes` had passed for every pending notification email and every interval since the last one. */
export async function minutesPass(db: Database['db'], minutes: number): Promise<void> {
  await db
    .updateTable('notification_emails')
    .set({ due_at: sql`due_at - make_interval(mins => ${minutes})`, last_sent_at: sql`last_sent_at - make_interval(mins => ${minutes})` })
    .execute();
}

export async function queuedNotificationEmails(db: Database['db'], to: string): Promise<QueuedNotificationEmail[]> {
  const rows = await db.selectFrom('outbound_emails').select(['id', 'to_address', 'subject', 'text_body', 'html_body', 'headers']).where('kind', '=', 'notification').where('to_address', '=', to).orderBy('id').execute();
  return rows.map((row) => ({ id: row.id, to: row.to_address, subject: row.subject, text: row.text_body ?? '', html: row.html_body ?? '', headers: row.headers as QueuedNotificationEmail['headers'] }));
}

/** The header block of a raw message, one entry per header with folded lines joined. */
export function headerValues(raw: string, name: string): string[] {
  const end = raw.indexOf('\r\n\r\n');
  const prefix = `${name.toLowerCase()}:`;
  return raw
    .slice(0, end)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')
    .filter((line) => line.toLowerCase().startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim());
}

/** A header value with its RFC 2047 encoded words decoded (nodemailer encodes anything beyond ASCII). */
export function decodeHeader(value: string): string {
  return value.replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=\s*(?==\?UTF-8\?)?/gi, (_match, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
  );
}

/** A reply (to the thread, or to one of its posts) that must be taken; its post id. */
export async function replyTo(browser: Browser, threadId: number, body: string, replyTo?: number): Promise<number> {
  const response = await postReply(browser, threadId, { body, ...(replyTo ? { reply_to: String(replyTo) } : {}) });
  expect(response.statusCode, response.body).toBe(303);
  return postIdFrom(response.headers.location);
}

/** Saves the member's email choices: these, and the defaults for the rest. */
export async function chooseEmail(browser: Browser, choices: Record<string, string>): Promise<void> {
  const hidden = await browser.openForm('/settings/notifications');
  const defaults = { reply: 'immediately', mention: 'immediately', watched_reply: 'digest', watched_thread: 'digest', answer: 'immediately', moderation: 'immediately', digest_hour: '8' };
  const response = await browser.post('/settings/notifications', { ...hidden, ...defaults, ...choices });
  expect(response.statusCode, response.body).toBe(303);
}
