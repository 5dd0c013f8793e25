import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { rescheduleDigest } from './digest-queries.js';
import { PREFERENCE_KINDS, updateDigestHour, upsertDeliveries } from './preferences.js';
import { pendMemberNotificationEmails } from './queries.js';
import type { NotificationPreferencesForm } from './schemas.js';

/**
 * Saves a member's own email choices. Not audited: like their profile, they are the member's to
 * change and touch nobody else; each kind's row keeps when it last changed.
 */
export async function saveNotificationPreferences(deps: Pick<Deps, 'db'>, memberId: number, form: NotificationPreferencesForm): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    await upsertDeliveries(trx, memberId, Object.fromEntries(PREFERENCE_KINDS.map((kind) => [kind, form[kind]])));
    await updateDigestHour(trx, memberId, form.digest_hour);
    await rescheduleDigest(trx, memberId);
    // Notifications of a kind now taken at once, that waited for the digest or for nothing.
    await pendMemberNotificationEmails(trx, memberId);
  });
}
