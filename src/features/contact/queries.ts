import type { Db } from '../../db/types.js';

export interface NewContactMessage {
  formToken: string;
  name: string;
  email: string;
  subject: string;
  message: string;
  ipAddress: string;
}

/** Inserts the message once per form token; returns undefined when that form was already sent. */
export async function insertContactMessage(db: Db, message: NewContactMessage): Promise<number | undefined> {
  const row = await db
    .insertInto('contact_messages')
    .values({
      form_token: message.formToken,
      name: message.name,
      email: message.email,
      subject: message.subject,
      message: message.message,
      ip_address: message.ipAddress,
    })
    .onConflict((oc) => oc.column('form_token').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id;
}
