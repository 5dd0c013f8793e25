import { inTransaction } from '../../db/transaction.js';
import type { Db, Role } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { formatDate } from '../../lib/time.js';
import { siteLink } from '../../mail/mail.js';
import { listNotificationsToEmail } from '../discussions/queries/notifications.js';
import { claimDueDigests, findDigestVersion, scheduleChangedDigests, listBusyWatchedThreads, listNewResources, type ClaimedDigest } from './digest-queries.js';
import { emailItem, shortened, unsubscribeChoices, type NotificationEmailDeps } from './email.js';
import { DIGEST_HEADINGS, KIND_LABELS, NOTIFICATION_MESSAGES } from './messages.js';
import { PREFERENCE_KINDS, preferenceKindOf, type PreferenceKind } from './preferences.js';
import { findNotificationRecipient, markNotificationsEmailed } from './queries.js';

export type DigestDeps = NotificationEmailDeps & Pick<Deps, 'now'>;

// One email stays readable: what does not fit waits for the next digest (notifications stay unmarked).
const DIGEST_NOTIFICATIONS = 60;
const SUMMARY_CHARS = 300;
const TITLE_CHARS = 100;

/** What one process remembers between polls: the site time zone it last worked digests out in. */
export interface DigestSchedule {
  siteTimeZone?: string;
}

/**
 * The daily digest, a step of the mail worker on every instance: works out the next digest of
 * members whose choices, zone, hour or status changed (and, when the site's time zone is not the
 * one this process last saw, of every member on it), then claims up to `limit` members whose
 * digest is due (by `deps.now()`), and in the same transaction queues each one's digest (or
 * nothing, when nothing is new) and marks the notifications it carries as emailed, so neither an
 * immediate email nor tomorrow's digest repeats them. Returns how many members it claimed.
 */
export async function sendDueDigests(deps: DigestDeps, limit: number, schedule: DigestSchedule = {}): Promise<number> {
  await deps.settings.refreshIfStale();
  const siteTimeZone = deps.settings.current.TIME_ZONE;
  const claimed = await inTransaction(deps.db, async (trx) => {
    const at = deps.now();
    await scheduleChangedDigests(trx, { at, siteTimeZone, limit, siteTimeZoneChanged: schedule.siteTimeZone !== siteTimeZone });
    const due = await claimDueDigests(trx, { at, siteTimeZone, limit });
    for (const digest of due) await queueDigest(deps, trx, digest);
    return due.length;
  });
  schedule.siteTimeZone = siteTimeZone;
  return claimed;
}

async function queueDigest(deps: DigestDeps, trx: Db, digest: ClaimedDigest): Promise<void> {
  const recipient = await findNotificationRecipient(trx, digest.memberId);
  if (!recipient) return;
  const viewer = { id: recipient.id, role: recipient.role as Role };
  const listed = await listNotificationsToEmail(trx, viewer, { delivery: 'digest', limit: DIGEST_NOTIFICATIONS });
  // Marking is the claim: what an immediate email took meanwhile (its kind switched) is left out here.
  const marked = new Set(await markNotificationsEmailed(trx, listed.map((item) => item.id)));
  const notifications = listed.filter((item) => marked.has(item.id));
  const busy = await listBusyWatchedThreads(trx, viewer, digest.since, [...new Set(notifications.map((item) => item.threadId))]);
  const resources = await listNewResources(trx, recipient.id, digest.since);
  if (notifications.length === 0 && busy.length === 0 && resources.length === 0) return;

  const { config } = deps;
  const siteName = config.siteName;
  const kindSection = (kind: PreferenceKind) => ({
    heading: KIND_LABELS[kind],
    items: notifications.filter((item) => preferenceKindOf(item.kind) === kind).map((item) => emailItem(item, digest.timeZone, config)),
  });
  // The order: what is new in watched categories, then in watched threads, then the rest.
  const sections = [
    kindSection('watched_thread'),
    {
      heading: DIGEST_HEADINGS.busyThreads,
      items: busy.map((thread) => ({
        summary: `“${shortened(thread.title, TITLE_CHARS)}” in ${thread.categoryName}: ${thread.newPosts} new posts`,
        link: siteLink(config, `/t/${thread.threadId}/unread`),
      })),
    },
    ...PREFERENCE_KINDS.filter((kind) => kind !== 'watched_thread').map(kindSection),
    {
      heading: DIGEST_HEADINGS.newResources,
      items: resources.map((resource) => ({ summary: shortened(resource.title, TITLE_CHARS), excerpt: shortened(resource.summary, SUMMARY_CHARS), link: siteLink(config, `/resources/${resource.id}`) })),
    },
  ].filter((section) => section.items.length > 0);
  const { reasons } = await unsubscribeChoices(deps, trx, recipient.id, notifications);
  const digestVersion = (await findDigestVersion(trx, recipient.id)) ?? 0;
  const digestUnsubscribePath = `/unsubscribe/${deps.unsubscribeTokens.sign({ memberId: recipient.id, choices: [{ kind: 'digest', version: digestVersion }] })}`;
  const day = formatDate(new Date(`${digest.localDate}T12:00:00Z`), 'UTC');

  await deps.mail.queue(trx, 'notification', {
    kind: 'notification.digest',
    to: recipient.email,
    subject: () => NOTIFICATION_MESSAGES.digestSubject(siteName, day),
    data: {
      displayName: recipient.display_name,
      threadTitle: null,
      sections,
      reasons,
      digestUnsubscribeLink: siteLink(config, digestUnsubscribePath),
      protectiveWording: NOTIFICATION_MESSAGES.protectiveWording(siteName),
    },
    links: { settingsLink: '/settings/notifications', notificationsLink: '/notifications' },
    headers: {
      fromName: siteName,
      messageId: `<digest-${digest.localDate}.${recipient.id}@${config.publicUrl.hostname}>`,
      // The header turns the whole digest off; the footer's links turn off one kind each.
      unsubscribePath: digestUnsubscribePath,
    },
  });
}
