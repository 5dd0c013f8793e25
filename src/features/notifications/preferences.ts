import { sql, type Expression, type RawBuilder } from 'kysely';
import type { Db } from '../../db/types.js';
import type { NotificationKind } from '../discussions/queries/notifications.js';

/** The kinds a member chooses for, in the order the settings page lists them. */
export const PREFERENCE_KINDS = ['reply', 'mention', 'watched_reply', 'watched_thread', 'answer', 'moderation'] as const;
export type PreferenceKind = (typeof PREFERENCE_KINDS)[number];

export const DELIVERIES = ['immediately', 'digest', 'never'] as const;
export type Delivery = (typeof DELIVERIES)[number];

/** What applies until a member chooses (issue 12): what is about them at once, watched activity in the digest. */
export const DEFAULT_DELIVERY: Record<PreferenceKind, Delivery> = {
  reply: 'immediately',
  mention: 'immediately',
  watched_reply: 'digest',
  watched_thread: 'digest',
  answer: 'immediately',
  moderation: 'immediately',
};

/** A flag's outcome and an action on one's own content are both "moderation notices" to the member. */
export function preferenceKindOf(kind: NotificationKind): PreferenceKind {
  return kind === 'flag_outcome' ? 'moderation' : kind;
}

export const DEFAULT_DIGEST_HOUR = 8;

export interface NotificationPreferences {
  deliveries: Record<PreferenceKind, Delivery>;
  /** Each kind's version, which an unsubscribe link is signed over (0: never chosen). */
  versions: Record<PreferenceKind, number>;
  digestHour: number;
}

export async function findNotificationPreferences(db: Db, memberId: number): Promise<NotificationPreferences> {
  const rows = await db.selectFrom('notification_preferences').select(['kind', 'delivery', 'version']).where('member_id', '=', memberId).execute();
  const member = await db.selectFrom('members').select('notification_digest_hour').where('id', '=', memberId).executeTakeFirstOrThrow();
  const deliveries = { ...DEFAULT_DELIVERY };
  const versions = Object.fromEntries(PREFERENCE_KINDS.map((kind) => [kind, 0])) as Record<PreferenceKind, number>;
  for (const row of rows) {
    deliveries[row.kind as PreferenceKind] = row.delivery as Delivery;
    versions[row.kind as PreferenceKind] = row.version;
  }
  return { deliveries, versions, digestHour: member.notification_digest_hour };
}

/**
 * Writes the member's choices. Every kind saved gets a row, so a choice the member confirmed
 * stays theirs if a default changes later; a kind's version moves only when its choice does,
 * which is what retires the unsubscribe links already sent for it. A kind with no row is at
 * version 0 (what links sent before any choice are signed over): its first row stays at 0 when
 * it confirms the default, and is 1 when it changes it.
 */
export async function upsertDeliveries(db: Db, memberId: number, deliveries: Partial<Record<PreferenceKind, Delivery>>): Promise<void> {
  const values = (Object.entries(deliveries) as [PreferenceKind, Delivery][]).map(([kind, delivery]) => ({ member_id: memberId, kind, delivery, version: delivery === DEFAULT_DELIVERY[kind] ? 0 : 1 }));
  if (values.length === 0) return;
  await db
    .insertInto('notification_preferences')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['member_id', 'kind']).doUpdateSet({
        delivery: sql`excluded.delivery`,
        version: sql`notification_preferences.version + (notification_preferences.delivery <> excluded.delivery)::int`,
        updated_at: sql`case when notification_preferences.delivery <> excluded.delivery then now() else notification_preferences.updated_at end`,
      }),
    )
    .execute();
}

export async function updateDigestHour(db: Db, memberId: number, digestHour: number): Promise<void> {
  await db.updateTable('members').set({ notification_digest_hour: digestHour }).where('id', '=', memberId).execute();
}

/** How a member (by id) takes a notification kind (a text column), in SQL: their row, else the default. */
export function deliveryOf(memberId: Expression<number>, notificationKind: Expression<string>): RawBuilder<Delivery> {
  const preferenceKind = sql`case when ${notificationKind} = 'flag_outcome' then 'moderation' else ${notificationKind} end`;
  const defaults = sql.join(
    PREFERENCE_KINDS.map((kind) => sql`when ${sql.lit(kind)} then ${sql.lit(DEFAULT_DELIVERY[kind])}`),
    sql` `,
  );
  return sql<Delivery>`coalesce(
    (select np.delivery from notification_preferences np where np.member_id = ${memberId} and np.kind = ${preferenceKind}),
    case ${preferenceKind} ${defaults} end
  )`;
}
