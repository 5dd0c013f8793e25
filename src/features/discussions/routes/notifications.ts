import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../../deps.js';
import { NotFound } from '../../../lib/errors.js';
import { setFlash } from '../../../lib/flash.js';
import { parseParams, parseQuery } from '../../../lib/forms.js';
import { redirectTo } from '../../../lib/next-path.js';
import { paginate } from '../../../lib/pagination.js';
import { DISCUSSION_MESSAGES } from '../messages.js';
import { describeNotification } from '../notifications.js';
import { findNotification, listNotifications, markAllNotificationsRead, markNotificationRead } from '../queries/notifications.js';
import { NotificationParams, NOTIFICATIONS_PER_PAGE, PageQuery } from '../schemas.js';

const notificationRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/notifications', async (request, reply) => {
    const { page = 1 } = parseQuery(PageQuery, request.query);
    const viewer = request.member!;
    // One more than a page says whether there is an older page, without counting them all.
    const rows = await listNotifications(deps.db, viewer, { limit: NOTIFICATIONS_PER_PAGE + 1, offset: (page - 1) * NOTIFICATIONS_PER_PAGE });
    if (page > 1 && rows.length === 0) throw new NotFound();
    const { previous, next } = paginate('/notifications', page, rows.length > NOTIFICATIONS_PER_PAGE ? page + 1 : page);
    return reply.view('discussions/notifications', {
      title: page > 1 ? `Notifications (page ${page})` : 'Notifications',
      notifications: rows.slice(0, NOTIFICATIONS_PER_PAGE).map((item) => ({ ...item, ...describeNotification(item) })),
      hasUnread: viewer.unreadNotifications > 0,
      newer: previous,
      older: next,
      emptyMessage: DISCUSSION_MESSAGES.noNotifications,
    });
  });

  // Opening a notification reads it: marked read, then on to its post (or, for a thread of theirs
  // a moderator took away, to their moderation record, which says why).
  app.get('/notifications/:id', async (request, reply) => {
    const { id } = parseParams(NotificationParams, request.params);
    const viewer = request.member!;
    const notification = await findNotification(deps.db, viewer, id);
    if (!notification) throw new NotFound();
    if (!notification.read) await markNotificationRead(deps.db, viewer.id, id);
    return redirectTo(reply, notification.threadGone ? '/settings/moderation' : `/p/${notification.postId}`);
  });

  app.post('/notifications/read-all', async (request, reply) => {
    await markAllNotificationsRead(deps.db, request.member!.id);
    setFlash(request, DISCUSSION_MESSAGES.notificationsRead);
    return redirectTo(reply, '/notifications');
  });
};

export default notificationRoutes;
