import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The development mailbox: one JSON file per email under DATA_DIR/mail, listed at /dev/mail.
 * It holds live sign-in links, so the directory and files are the owner's alone.
 */
export const MailboxMessage = z.object({
  id: z.string().regex(/^[A-Za-z0-9-]{1,80}$/),
  date: z.string(),
  from: z.string(),
  to: z.string(),
  subject: z.string(),
  replyTo: z.string().nullable(),
  text: z.string(),
  html: z.string().nullable(),
});
export type MailboxMessage = z.infer<typeof MailboxMessage>;

export function writeMailboxMessage(mailDir: string, message: MailboxMessage): void {
  fs.writeFileSync(path.join(mailDir, `${message.id}.json`), JSON.stringify(message, null, 2), { mode: 0o600 });
}

function readMessageFile(file: string): MailboxMessage | undefined {
  try {
    const parsed = MailboxMessage.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Newest first. Files that are not mailbox messages are passed over. */
export function listMailbox(mailDir: string, limit = 200): MailboxMessage[] {
  let names: string[];
  try {
    names = fs.readdirSync(mailDir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return names
    .sort()
    .reverse()
    .slice(0, limit)
    .map((name) => readMessageFile(path.join(mailDir, name)))
    .filter((message): message is MailboxMessage => message !== undefined);
}

export function findMailboxMessage(mailDir: string, id: string): MailboxMessage | undefined {
  if (!MailboxMessage.shape.id.safeParse(id).success) return undefined;
  return readMessageFile(path.join(mailDir, `${id}.json`));
}
