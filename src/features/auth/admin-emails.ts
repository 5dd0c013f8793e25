import type { Config } from '../../config.js';
import { parseWorkEmail } from './email-address.js';

/** Whether ADMIN_EMAILS names this canonical address, in whatever form it was written there. */
export function isAdminEmail(config: Pick<Config, 'adminEmails'>, canonicalEmail: string): boolean {
  return config.adminEmails.some((email) => {
    const parsed = parseWorkEmail(email);
    return parsed.ok && parsed.canonical === canonicalEmail;
  });
}
