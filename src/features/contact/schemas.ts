import { z } from 'zod';
import { formToken, textField } from '../../lib/forms.js';
import { CONTACT_MESSAGES } from './messages.js';

export const CONTACT_LIMITS = { name: 100, email: 254, subject: 150, message: 5000 } as const;

// Only for replying: a plain single-line address. Membership rules for addresses are the
// auth feature's; this one only has to be safe to put in a Reply-To header.
const replyAddress = textField({ label: 'Your email address', max: CONTACT_LIMITS.email }).refine(
  (value) => value === '' || /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(value),
  CONTACT_MESSAGES.invalidEmail,
);

export const ContactForm = z.strictObject({
  _csrf: z.string(),
  form_token: formToken,
  name: textField({ label: 'Your name', max: CONTACT_LIMITS.name }),
  email: replyAddress,
  subject: textField({ label: 'Subject', max: CONTACT_LIMITS.subject, required: 'Enter a subject' }),
  message: textField({ label: 'Message', max: CONTACT_LIMITS.message, required: 'Enter your message', multiline: true }),
});
export type ContactForm = z.infer<typeof ContactForm>;
