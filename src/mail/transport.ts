import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { maskUrl, type Config } from '../config.js';
import type { ClaimedEmail } from './outbox.js';
import { writeMailboxMessage } from './mailbox.js';

/** Where sent email goes: an SMTP relay, or the on-disk development mailbox. */
export interface MailTransport {
  description: string;
  /** What the log says when an email has gone: sent, or written to the mailbox. */
  delivered: string;
  send(email: ClaimedEmail): Promise<void>;
  close(): Promise<void>;
}

/** An SMTP failure that retrying cannot fix (the relay refused the message for good). */
export function isPermanentFailure(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

// The reply to RCPT TO: its code, then an enhanced status code (RFC 3463) when the server gives one.
const SMTP_REPLY = /^(\d{3})[ -](?:(\d)\.(\d{1,3})\.(\d{1,3})\b)?/;
// Without an enhanced code, the basic codes that mean "no such mailbox" (RFC 5321: 550 mailbox
// unavailable, 551 user not local, 553 mailbox name not allowed), unless the text names a policy refusal.
const NO_SUCH_MAILBOX_CODES = [550, 551, 553];

/**
 * The receiving side said the recipient's mailbox does not exist (a hard bounce): a 5xx answer to
 * RCPT TO whose enhanced status is 5.1.x (bad address: 5.1.1 no such user, 5.1.2 no such domain,
 * 5.1.10 null MX…), or, without one, 550/551/553 with no 5.7 (policy) in the text. Any other
 * refusal (5.7.x relay denied or blocklisted, 5.2.x full mailbox, 5.3.x/5.4.x/5.5.x system,
 * network or protocol) fails the email alone and says nothing of the member's address: a relay
 * refusing everyone must not deactivate everyone.
 */
export function isRecipientRefused(error: unknown): boolean {
  if (!isPermanentFailure(error) || (error as { command?: unknown }).command !== 'RCPT TO') return false;
  const { response, responseCode } = error as { response?: unknown; responseCode: number };
  const reply = typeof response === 'string' ? SMTP_REPLY.exec(response.trim()) : null;
  if (reply?.[2] !== undefined) return reply[2] === '5' && reply[3] === '1';
  return NO_SUCH_MAILBOX_CODES.includes(responseCode) && !(typeof response === 'string' && /\b5\.7\.\d/.test(response));
}

/** MAIL_FROM's bare address (it may be `Name <address>`). */
function addressOf(from: string): string {
  return /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
}

export function toNodemailerMessage(from: string, email: ClaimedEmail): Mail.Options {
  const { replyTo, fromName, listUnsubscribe, messageId, inReplyTo } = email.extras;
  return {
    // Nodemailer quotes and encodes the name; outbox.ts made it one line.
    from: fromName ? { name: fromName, address: addressOf(from) } : from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    ...(email.html ? { html: email.html } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(messageId ? { messageId } : {}),
    ...(inReplyTo ? { inReplyTo, references: inReplyTo } : {}),
    headers: {
      // Replies to automated mail go nowhere useful; say so to auto-responders.
      'Auto-Submitted': 'auto-generated',
      ...(listUnsubscribe ? { 'List-Unsubscribe': `<${listUnsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {}),
    },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

// One email at worst takes about 25 s to give up on, within the 30 s a shutdown gives the worker.
const SMTP_TIMEOUTS = { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 15_000, dnsTimeout: 5_000 };

export function smtpTransport(smtpUrl: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    description: `SMTP at ${maskUrl(smtpUrl)}`,
    delivered: 'email sent',
    async send(email) {
      await transporter.sendMail(toNodemailerMessage(from, email));
    },
    async close() {
      transporter.close();
    },
  };
}

export function mailboxTransport(mailDir: string, from: string): MailTransport {
  fs.mkdirSync(mailDir, { recursive: true, mode: 0o700 });
  return {
    description: `the on-disk mailbox in ${mailDir} (read it at /dev/mail)`,
    delivered: 'email written to the mailbox',
    async send(email) {
      writeMailboxMessage(mailDir, {
        id: `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`,
        date: new Date().toISOString(),
        from,
        to: email.to,
        subject: email.subject,
        replyTo: email.extras.replyTo ?? null,
        text: email.text,
        html: email.html,
      });
    },
    async close() {},
  };
}

export function createMailTransport(config: Config): MailTransport {
  return config.smtpUrl ? smtpTransport(config.smtpUrl, config.mailFrom) : mailboxTransport(path.join(config.dataDir, 'mail'), config.mailFrom);
}
