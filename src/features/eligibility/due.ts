/**
 * When a member must confirm their work address again: RECONFIRMATION_PERIOD_MONTHS after it was
 * last proven theirs (members.verified_at: set when they joined, moved on by each re-confirmation).
 * Months are added as PostgreSQL adds them (`+ make_interval(months => n)`), so the reminder job's
 * SQL and the page guard agree: a date past the end of the target month falls on its last day.
 */
export const REMINDER_LEAD_DAYS = 14;

export function reconfirmationDueAt(confirmedAt: Date, months: number): Date {
  const due = new Date(confirmedAt.getTime());
  const day = due.getUTCDate();
  due.setUTCDate(1);
  due.setUTCMonth(due.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth() + 1, 0)).getUTCDate();
  due.setUTCDate(Math.min(day, lastDay));
  return due;
}

/**
 * From when a member is held to the re-confirmation page: their date, but never before
 * REMINDER_LEAD_DAYS after this period's reminder was sent, and not at all before it was (none
 * since verifiedAt). So a site upgraded past the period, or an administrator shortening it, holds
 * nobody unwarned: the reminder job reminds the overdue too, and they have the lead time to act.
 */
export function reconfirmationHeldFrom(verifiedAt: Date, remindedAt: Date | null, months: number): Date | null {
  if (remindedAt === null || remindedAt < verifiedAt) return null;
  return new Date(Math.max(reconfirmationDueAt(verifiedAt, months).getTime(), remindedAt.getTime() + REMINDER_LEAD_DAYS * 24 * 60 * 60 * 1000));
}
