import { sql } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { Db, Role } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { excerpt } from '../../lib/markdown.js';
import { formatTime } from '../../lib/time.js';
import { siteLink } from '../../mail/mail.js';
import { describeNotification } from '../discussions/notifications.js';
import { listNotificationsToEmail, MODERATION_NOTIFICATION_KINDS, type NotificationItem } from '../discussions/queries/notifications.js';
import { KIND_LABELS, KIND_REASONS, NOTIFICATION_MESSAGES } from './messages.js';
import { findNotificationPreferences, preferenceKindOf, type PreferenceKind } from './preferences.js';
import { claimDueNotificationEmails, findNotificationRecipient, markNotificationsEmailed, postponeNotificationEmail, settleNotificationEmail, type DueNotificationEmail } from './queries.js';
import type { UnsubscribeTokens } from './unsubscribe.js';

export type NotificationEmailDeps = Pick<Deps, 'db' | 'config' | 'mail' | 'settings'> & {
  unsubscribeTokens: UnsubscribeTokens;
  /** Where an email that could not be composed is reported. */
  logError: (error: unknown, message: string) => void;
};

// Titles and names are a member's words: kept short enough that the subject stays one readable line.
const TITLE_IN_SUBJECT = 100;
const NAME_IN_FROM = 100;
const EXCERPT_CHARS = 300;
// An email that failed is tried again after this, not on every poll, so one bad row cannot fill the log.
const RETRY_FAILED_AFTER_MINUTES = 10;

/** At most `max` characters (whole code points), with an ellipsis when cut. */
export function shortened(text: string, max: number): string {
  const characters = Array.from(text);
  return characters.length <= max ? text : `${characters.slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * Sends what is due: claims up to `limit` (member, thread) rows and, in one transaction, builds
 * one email per row from that thread's notifications the member has neither read nor been
 * emailed, still sees, and takes at once; marks them emailed and queues the email. A row that
 * fails is logged and put off; the rest of the batch goes on. Run by the
 * mail worker before each batch, on every instance: SKIP LOCKED gives each row to one of them.
 * Returns how many rows it claimed.
 */
export async function sendDueNotificationEmails(deps: NotificationEmailDeps, limit: number): Promise<number> {
  await deps.settings.refreshIfStale();
  return inTransaction(deps.db, async (trx) => {
    const due = await claimDueNotificationEmails(trx, { intervalMinutes: deps.settings.current.NOTIFICATION_EMAIL_INTERVAL_MINUTES, limit });
    for (const row of due) {
      // Each row behind its own savepoint: one that fails is rolled back, logged and tried again
      // later, and the others in the batch are still sent.
      await sql`savepoint notification_email`.execute(trx);
      try {
        await settleNotificationEmail(trx, row, await queueNotificationEmail(deps, trx, row));
        await sql`release savepoint notification_email`.execute(trx);
      } catch (error) {
        await sql`rollback to savepoint notification_email`.execute(trx);
        await postponeNotificationEmail(trx, row, RETRY_FAILED_AFTER_MINUTES);
        deps.logError(error, `the notification email to member ${row.memberId} about thread ${row.threadId} could not be composed`);
      }
    }
    return due.length;
  });
}

/** Queues the email for a claimed row; returns its Message-ID, or nothing when there was nothing to send. */
async function queueNotificationEmail(deps: NotificationEmailDeps, trx: Db, due: DueNotificationEmail): Promise<string | undefined> {
  const recipient = await findNotificationRecipient(trx, due.memberId);
  // A thread gone from the database has no notifications left to list.
  if (!recipient) return undefined;
  const listed = await listNotificationsToEmail(trx, { id: recipient.id, role: recipient.role as Role }, { delivery: 'immediately', threadId: due.threadId });
  // Marked first, and only what this marked is sent: a digest composing at the same moment may
  // have taken some of them (markNotificationsEmailed).
  const claimed = new Set(await markNotificationsEmailed(trx, listed.map((item) => item.id)));
  const items = listed.filter((item) => claimed.has(item.id));
  if (items.length === 0) return undefined;

  const { config } = deps;
  const siteName = config.siteName;
  const timeZone = recipient.time_zone ?? deps.settings.current.TIME_ZONE;
  const { everyKindPath, reasons } = await unsubscribeChoices(deps, trx, recipient.id, items);
  const host = config.publicUrl.hostname;
  const latest = items[items.length - 1]!;
  const title = latest.threadTitle === null ? null : shortened(latest.threadTitle, TITLE_IN_SUBJECT);
  // Unique per email; the first about the thread is the one every later email follows, so mail
  // clients (Gmail: the same subject too) show them as one conversation.
  const messageId = `<notification-${due.threadId}-${due.batch}.${recipient.id}@${host}>`;

  await deps.mail.queue(trx, 'notification', {
    to: recipient.email,
    subject: () => notificationSubject(latest.threadTitle, siteName),
    data: {
      displayName: recipient.display_name,
      threadTitle: title,
      sections: [{ heading: null, items: items.map((item) => emailItem(item, timeZone, config)) }],
      reasons,
      protectiveWording: NOTIFICATION_MESSAGES.protectiveWording(siteName),
    },
    links: { settingsLink: '/settings/notifications', notificationsLink: '/notifications' },
    headers: {
      fromName: fromName(latest, siteName),
      messageId,
      ...(due.firstMessageId ? { inReplyTo: due.firstMessageId } : {}),
      // The mail client's button stops every kind this email carries; the footer, one kind each.
      unsubscribePath: everyKindPath,
    },
  });
  return messageId;
}

/**
 * The kinds these notifications are of, in the order they came, each with why the member got it
 * and its own signed unsubscribe link (the link for the kind's current version); and one link
 * signed over all of them, for the List-Unsubscribe header.
 */
export async function unsubscribeChoices(deps: NotificationEmailDeps, trx: Db, memberId: number, items: NotificationItem[]) {
  const preferences = await findNotificationPreferences(trx, memberId);
  const kinds = [...new Set(items.map((item) => preferenceKindOf(item.kind)))];
  const unsubscribePath = (chosen: PreferenceKind[]) => `/unsubscribe/${deps.unsubscribeTokens.sign({ memberId, choices: chosen.map((kind) => ({ kind, version: preferences.versions[kind] })) })}`;
  const reasons = kinds.map((kind) => ({ reason: KIND_REASONS[kind], label: KIND_LABELS[kind], unsubscribeLink: siteLink(deps.config, unsubscribePath([kind])) }));
  return { everyKindPath: unsubscribePath(kinds), reasons };
}

/**
 * Who the email says it is from: the member who acted, "via" the site. A moderator acts as "a
 * moderator" in the app (describeNotification), so a moderation notice or a flag's outcome comes
 * from the site alone and never names them.
 */
export function fromName(latest: NotificationItem, siteName: string): string {
  if ((MODERATION_NOTIFICATION_KINDS as readonly string[]).includes(latest.kind)) return siteName;
  return `${shortened(latest.actorName ?? siteName, NAME_IN_FROM)} via ${siteName}`;
}

/**
 * The thread's title, the same for every email about it (what happened is in the body): Gmail
 * groups a conversation only when the subjects match. One line, whatever the title holds
 * (outbox.ts makes it one line; this keeps it short).
 */
export function notificationSubject(threadTitle: string | null, siteName: string): string {
  if (threadTitle === null) return `${siteName}: a moderation notice`;
  return shortened(threadTitle, TITLE_IN_SUBJECT);
}

/**
 * One notification in the email: what happened, when, and a link to the exact post. A moderation
 * notice quotes nothing (its post may be hidden from everyone but staff) and links to the
 * notifications page, which says what was done.
 */
export function emailItem(item: NotificationItem & { bodySource: string }, timeZone: string, config: NotificationEmailDeps['config']) {
  const { actor, action } = describeNotification(item);
  const moderation = (MODERATION_NOTIFICATION_KINDS as readonly string[]).includes(item.kind);
  return {
    summary: [actor, action, item.threadTitle === null ? null : `“${item.threadTitle}”`].filter(Boolean).join(' '),
    postedAt: formatTime(item.createdAt, timeZone),
    excerpt: moderation ? null : excerpt(item.bodySource, EXCERPT_CHARS),
    link: siteLink(config, moderation ? '/notifications' : `/p/${item.postId}`),
  };
}
