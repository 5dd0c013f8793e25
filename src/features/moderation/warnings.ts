import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { insertAuditEvent } from '../../lib/audit.js';
import { HttpError, NotFound } from '../../lib/errors.js';
import { MODERATION_MESSAGES as M } from './messages.js';
import { acknowledgeWarningRow, findModeratedMember, findPostPlace, findResourcePlace, hasUnacknowledgedWarning, type ContentPlace } from './queries/members.js';
import { insertModerationNotifications } from './queries/flags.js';
import type { WarnAbout } from './schemas.js';
import { checkMayActOn, type Moderator } from './staff.js';

/** Where a warned member reads their warnings and acknowledges them. */
export const WARNINGS_PATH = '/warnings';

/**
 * The one check every posting path makes (new thread, reply, edit, resource share and edit):
 * a member with a warning they have not acknowledged posts nothing until they have read it.
 * Given the caller's transaction, if any, so it reads on the connection already held.
 */
export async function refuseWhileWarned(db: Db, memberId: number): Promise<void> {
  if (await hasUnacknowledgedWarning(db, memberId)) throw new HttpError(403, M.mustAcknowledge, {}, { links: [{ href: WARNINGS_PATH, text: M.readTheWarning }] });
}

async function placeOf(db: Db, about: WarnAbout): Promise<ContentPlace | undefined> {
  if (about.post !== undefined) return findPostPlace(db, about.post);
  if (about.resource !== undefined) return findResourcePlace(db, about.resource);
  return undefined;
}

/** What a warning form is about: nothing, or a post or resource of the member's own. */
export async function checkWarningSubject(db: Db, memberId: number, about: WarnAbout): Promise<ContentPlace | undefined> {
  const place = await placeOf(db, about);
  if ((about.post !== undefined || about.resource !== undefined) && (!place || place.authorId !== memberId)) throw new NotFound(M.unknownContent);
  return place;
}

export type WarnResult = { kind: 'warned'; displayName: string } | { kind: 'already-warned'; displayName: string };

/**
 * Warns a member, with the audit row and (when it is about a post or resource) a notification
 * pointing there, in one transaction. The same warning sent again while the first is unread is
 * a double submit and writes nothing.
 */
export async function warnMember(deps: Pick<Deps, 'db'>, moderator: Moderator, memberId: number, reason: string, about: WarnAbout): Promise<WarnResult> {
  return inTransaction(deps.db, async (trx) => {
    const member = checkMayActOn(moderator, await findModeratedMember(trx, memberId, { forUpdate: true }));
    const place = await checkWarningSubject(trx, member.id, about);
    const repeated = await trx
      .selectFrom('member_warnings')
      .select('id')
      .where('member_id', '=', member.id)
      .where('moderator_id', '=', moderator.id)
      .where('reason', '=', reason)
      .where('acknowledged_at', 'is', null)
      .executeTakeFirst();
    if (repeated) return { kind: 'already-warned', displayName: member.displayName };
    const mustAcknowledgeBefore = await hasUnacknowledgedWarning(trx, member.id);
    const warning = await trx
      .insertInto('member_warnings')
      .values({ member_id: member.id, moderator_id: moderator.id, reason, post_id: about.post ?? null, resource_id: about.resource ?? null })
      .returning('id')
      .executeTakeFirstOrThrow();
    await insertAuditEvent(trx, {
      actorMemberId: moderator.id,
      ipAddress: moderator.ipAddress,
      action: 'member.warned',
      targetType: 'member',
      targetId: member.id,
      subjectMemberId: member.id,
      details: { reason, warningId: warning.id, before: { mustAcknowledge: mustAcknowledgeBefore }, after: { mustAcknowledge: true }, ...(about.post !== undefined ? { postId: about.post } : {}), ...(about.resource !== undefined ? { resourceId: about.resource } : {}) },
    });
    if (place) await insertModerationNotifications(trx, { memberIds: [member.id], kind: 'moderation', actorId: null, threadId: place.threadId, postId: place.postId });
    return { kind: 'warned', displayName: member.displayName };
  });
}

/** The member confirms they have read a warning of theirs; a second press changes nothing. */
export async function acknowledgeWarning(deps: Pick<Deps, 'db'>, member: { id: number; ipAddress: string }, warningId: number): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const owned = await trx.selectFrom('member_warnings').select(['id', 'acknowledged_at']).where('id', '=', warningId).where('member_id', '=', member.id).executeTakeFirst();
    if (!owned) throw new NotFound();
    if (!(await acknowledgeWarningRow(trx, member.id, warningId))) return;
    await insertAuditEvent(trx, { actorMemberId: member.id, ipAddress: member.ipAddress, action: 'warning.acknowledged', targetType: 'member_warning', targetId: warningId, subjectMemberId: member.id });
  });
}
