import { UNREAD_COUNTED_UP_TO, type NotificationItem } from './queries/notifications.js';

/**
 * What happened, as "<actor> <action> “<thread title>”": one sentence that reads on its own (it
 * is the notification's link text). The template isolates the actor's name and the title with
 * <bdi>, so a right-to-left override in either cannot reverse the words around it. A thread gone
 * for the reader and not theirs goes untitled (threadTitle null), and the sentence stands alone.
 */
export function describeNotification(item: NotificationItem): { actor: string | null; action: string } {
  const actor = item.actorName ?? 'A former member';
  switch (item.kind) {
    case 'reply':
      return { actor, action: item.repliesToThread ? 'replied to your thread' : 'replied to your post in' };
    case 'mention':
      return { actor, action: 'mentioned you in' };
    case 'watched_reply':
      return { actor, action: 'replied in a thread you watch:' };
    case 'watched_thread':
      return { actor, action: `started a thread in ${item.categoryName}, which you watch:` };
    case 'answer':
      return { actor, action: 'marked your reply as the answer in' };
    // Moderators act as "a moderator", not by name.
    case 'flag_outcome':
      if (item.threadTitle === null) return { actor: null, action: item.threadGone?.as === 'hidden' ? 'Content you flagged is now hidden from members' : 'Content you flagged has been removed' };
      if (item.withoutModerator) return { actor: null, action: 'Content you flagged was removed by its author, in' };
      return { actor: 'A moderator', action: 'reviewed what you flagged in' };
    case 'moderation':
      if (item.threadTitle === null) return { actor: 'A moderator', action: 'took action on your post' };
      if (item.threadGone) return { actor: 'A moderator', action: item.threadGone.as === 'hidden' ? 'hid your thread' : 'deleted your thread' };
      return { actor: 'A moderator', action: 'took action on your post in' };
  }
}

/** The header's unread count as shown: the count stops at UNREAD_COUNTED_UP_TO. */
export function unreadCountText(count: number): string {
  return count >= UNREAD_COUNTED_UP_TO ? `${UNREAD_COUNTED_UP_TO - 1}+` : String(count);
}
