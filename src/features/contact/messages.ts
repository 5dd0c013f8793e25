export const CONTACT_MESSAGES = {
  sent: 'Thank you. Your message has been sent to the operators, who will reply by email.',
  emailSubject: (siteName: string, subject: string) => `[${siteName} contact] ${subject}`,
  invalidEmail: 'Enter an email address in the form name@agency.gov.au',
} as const;
