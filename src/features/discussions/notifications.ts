import { UNREAD_COUNTED_UP_TO, type NotificationItem } from './queries/notifications.js';

/** What happened, in one sentence that reads on its own (it is the notification's link text). */
export function describeNotification(item: NotificationItem): string {
  const who = item.actorName ?? 'A former member';
  const thread = `“${item.threadTitle}”`;
  switch (item.kind) {
    case 'reply':
      return item.repliesToThread ? `${who} replied to your thread ${thread}` : `${who} replied to your post in ${thread}`;
    case 'mention':
      return `${who} mentioned you in ${thread}`;
    case 'watched_reply':
      return `${who} replied in a thread you watch: ${thread}`;
    case 'watched_thread':
      return `${who} started a thread in ${item.categoryName}, which you watch: ${thread}`;
    case 'answer':
      return `${who} marked your reply as the answer in ${thread}`;
  }
}

/** The header's unread count as shown: the count stops at UNREAD_COUNTED_UP_TO. */
export function unreadCountText(count: number): string {
  return count >= UNREAD_COUNTED_UP_TO ? `${UNREAD_COUNTED_UP_TO - 1}+` : String(count);
}
