import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { DB } from '../../db/schema.js';
import type { Templates } from '../../lib/templates.js';
import { composeEmail, enqueueEmail } from '../../mail/outbox.js';
import { CONTACT_MESSAGES } from './messages.js';
import { insertContactMessage, type NewContactMessage } from './queries.js';

/**
 * Keeps the message and queues the email to the operators in one transaction: both or
 * neither. A resubmitted form (double click, Back and submit) changes nothing.
 */
export async function sendContactMessage(db: Kysely<DB>, templates: Templates, config: Config, message: NewContactMessage): Promise<{ queued: boolean }> {
  return db.transaction().execute(async (trx) => {
    const id = await insertContactMessage(trx, message);
    if (id === undefined) return { queued: false };
    const email = composeEmail(templates, 'contact-message', { ...message, siteName: config.siteName, id }, {
      to: config.contactEmail,
      subject: CONTACT_MESSAGES.emailSubject(config.siteName, message.subject),
      kind: 'contact.message',
      extras: { replyTo: message.email },
    });
    await enqueueEmail(trx, email);
    return { queued: true };
  });
}
