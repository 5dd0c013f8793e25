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
