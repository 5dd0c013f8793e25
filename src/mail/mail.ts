import type { Config } from '../config.js';
import { afterCommit } from '../db/transaction.js';
import type { Db } from '../db/types.js';
import type { Templates } from '../lib/templates.js';
import { enqueueEmail, type EmailExtras } from './outbox.js';

/**
 * The one way a feature sends an email: `mail.queue(trx, 'auth-verify', { to, subject, links })`
 * renders views/emails/<template>.text.hbs (and .html.hbs when there is one) with the site's
 * name and absolute links, writes it to the durable queue in the caller's transaction, and
 * nudges the worker once that transaction has committed.
 */
export interface EmailToQueue {
  to: string;
  /** The subject line, given the site's name. */
  subject: (siteName: string) => string;
  /** Paths on this site (`/verify/abc`), handed to the template as absolute links. */
  links?: Record<string, string>;
  data?: Record<string, unknown>;
  replyTo?: string;
  /** What the email is for in the operators' listings, when it is not the template's name (`notification.digest`). */
  kind?: string;
  /** Headers for notification email: a sender's name, threading ids, and the unsubscribe path (made absolute here). */
  headers?: Omit<EmailExtras, 'replyTo' | 'listUnsubscribe'> & { unsubscribePath?: string };
}

export interface Mail {
  /** Queues the email; returns its id in the queue. */
  queue(db: Db, template: string, email: EmailToQueue): Promise<number>;
}

/** An absolute link on this site: hosts always come from PUBLIC_URL, never from a request. */
export function siteLink(config: Pick<Config, 'publicUrl'>, path: string): string {
  return new URL(path, config.publicUrl).toString();
}

function extrasOf(config: Pick<Config, 'publicUrl'>, email: EmailToQueue): EmailExtras {
  const { unsubscribePath, ...headers } = email.headers ?? {};
  return {
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    ...headers,
    ...(unsubscribePath ? { listUnsubscribe: siteLink(config, unsubscribePath) } : {}),
  };
}

export function createMail(templates: Templates, config: Pick<Config, 'siteName' | 'publicUrl'>, nudgeWorker: () => void): Mail {
  return {
    async queue(db, template, email) {
      const links = Object.fromEntries(Object.entries(email.links ?? {}).map(([name, path]) => [name, siteLink(config, path)]));
      const data = { ...email.data, ...links, siteName: config.siteName };
      const html = `emails/${template}.html`;
      const id = await enqueueEmail(db, {
        to: email.to,
        subject: email.subject(config.siteName),
        text: templates.render(`emails/${template}.text`, data),
        ...(templates.has(html) ? { html: templates.render(html, data) } : {}),
        // `auth-new-device` is listed to operators as `auth.new-device`: the feature, a dot,
        // then what the email is for (which may have hyphens of its own).
        kind: email.kind ?? template.replace('-', '.'),
        extras: extrasOf(config, email),
      });
      afterCommit(db, nudgeWorker);
      return id;
    },
  };
}
