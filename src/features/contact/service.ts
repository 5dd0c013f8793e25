import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { CONTACT_MESSAGES } from './messages.js';
import { insertContactMessage, type NewContactMessage } from './queries.js';

/**
 * Keeps the message and queues the email to the operators in one transaction: both or
 * neither. A resubmitted form (double click, Back and submit) changes nothing.
 */
export async function sendContactMessage(deps: Deps, message: NewContactMessage): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const id = await insertContactMessage(trx, message);
    if (id === undefined) return;
    await deps.mail.queue(trx, 'contact-message', {
      to: deps.config.contactEmail,
      subject: (siteName) => CONTACT_MESSAGES.emailSubject(siteName, message.subject),
      data: { ...message, id },
      replyTo: message.email,
    });
  });
}
