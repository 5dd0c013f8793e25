import { z } from 'zod';
import { NOTIFICATION_MESSAGES } from './messages.js';
import { DELIVERIES } from './preferences.js';

const delivery = z.enum(DELIVERIES, { error: NOTIFICATION_MESSAGES.chooseDelivery });

export const DIGEST_HOURS = Array.from({ length: 24 }, (_, hour) => hour);

export const NotificationPreferencesForm = z.strictObject({
  _csrf: z.string(),
  reply: delivery,
  mention: delivery,
  watched_reply: delivery,
  watched_thread: delivery,
  answer: delivery,
  moderation: delivery,
  digest_hour: z
    .string({ error: NOTIFICATION_MESSAGES.chooseHour })
    .regex(/^(?:[0-9]|1[0-9]|2[0-3])$/, NOTIFICATION_MESSAGES.chooseHour)
    .transform(Number),
});
export type NotificationPreferencesForm = z.infer<typeof NotificationPreferencesForm>;

/** The token in an unsubscribe link; its shape is checked again, with its signature, by unsubscribe.ts. */
export const UnsubscribeParams = z.object({ token: z.string().max(200) });
