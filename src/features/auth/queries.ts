import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Db, Role } from '../../db/types.js';
import { unreadNotificationCount } from '../discussions/queries/notifications.js';
import { DIGEST_TO_SCHEDULE } from '../notifications/digest-queries.js';
import { openQueueItemCount } from '../moderation/queries/queue-count.js';
import { hasSecondFactor } from './second-factor/queries.js';
import type { DomainRule } from './email-domain.js';

/** What sign-in and the current-member check need; never the whole row. */
export interface MemberCredentials {
  id: number;
  email: string;
  canonicalEmail: string;
  displayName: string;
  handle: string;
  role: Role;
  passwordHash: string;
  deactivatedAt: Date | null;
  /** Why, when deactivated (admin/members.ts DeactivationReason); told only after the right password. */
  deactivationReason: string | null;
  timeZone: string | null;
  /** Suspended by a moderator until then (past: no longer), with the reason they are told. */
  suspendedUntil: Date | null;
  suspensionReason: string | null;
}

export async function findMemberCredentials(db: Db, by: { canonicalEmail: string } | { id: number }): Promise<MemberCredentials | undefined> {
  let query = db.selectFrom('members').select(['id', 'email', 'canonical_email', 'display_name', 'handle', 'role', 'password_hash', 'deactivated_at', 'deactivation_reason', 'time_zone', 'suspended_until', 'suspension_reason']);
  query = 'id' in by ? query.where('id', '=', by.id) : query.where('canonical_email', '=', by.canonicalEmail);
  const row = await query.executeTakeFirst();
  return (
    row && {
      id: row.id,
      email: row.email,
      canonicalEmail: row.canonical_email,
      displayName: row.display_name,
      handle: row.handle,
      role: row.role as Role,
      passwordHash: row.password_hash,
      deactivatedAt: row.deactivated_at,
      deactivationReason: row.deactivation_reason,
      timeZone: row.time_zone,
      suspendedUntil: row.suspended_until,
      suspensionReason: row.suspension_reason,
    }
  );
}

/** The signed-in member as every page needs them: who, their role, and the header's unread count. */
export interface SessionMember {
  id: number;
  displayName: string;
  handle: string;
  role: Role;
  deactivatedAt: Date | null;
  suspendedUntil: Date | null;
  timeZone: string | null;
  joinedAt: Date;
  unreadNotifications: number;
  /** For moderators and administrators, what waits in the review queue; 0 for members. */
  openQueueItems: number;
  /** Verified, and waiting for a moderator's approval (MEMBER_APPROVAL_REQUIRED). */
  awaitingApproval: boolean;
  /** Has set up an authenticator app or a passkey. */
  hasSecondFactor: boolean;
  /** When their address was last proven theirs: joining, or the latest re-confirmation. */
  verifiedAt: Date;
  /** When they were last reminded to re-confirm (features/eligibility/due.ts): none since verifiedAt means not this period. */
  reconfirmationRemindedAt: Date | null;
  /** Appointed coordinator of the agency they are in, for the header's link (the /coordinator guard checks the rest). */
  coordinates: boolean;
  /** Their address refused email for good (features/eligibility/bounces.ts): when, and the receiving server's reply. */
  emailBounce: EmailBounce | null;
}

export interface EmailBounce {
  at: Date;
  response: string;
}

const SESSION_MEMBER_COLUMNS = [
  'members.id as member_id',
  'members.display_name',
  'members.handle',
  'members.role',
  'members.deactivated_at',
  'members.suspended_until',
  'members.time_zone',
  'members.created_at as joined_at',
  'members.awaiting_approval_since',
  'members.verified_at',
  'members.reconfirmation_reminded_at',
  'members.email_bounced_at',
  'members.email_bounce_response',
] as const;

type SessionMemberRow = { member_id: number; display_name: string; handle: string; role: string; deactivated_at: Date | null; suspended_until: Date | null; time_zone: string | null; joined_at: Date; awaiting_approval_since: Date | null; verified_at: Date; reconfirmation_reminded_at: Date | null; email_bounced_at: Date | null; email_bounce_response: string | null; has_second_factor: boolean | null; coordinates: boolean | null; unread_notifications: string | null; open_queue_items: string | null };

function toSessionMember(row: SessionMemberRow): SessionMember {
  return {
    id: row.member_id,
    displayName: row.display_name,
    handle: row.handle,
    role: row.role as Role,
    deactivatedAt: row.deactivated_at,
    suspendedUntil: row.suspended_until,
    timeZone: row.time_zone,
    joinedAt: row.joined_at,
    unreadNotifications: Number(row.unread_notifications ?? 0),
    openQueueItems: Number(row.open_queue_items ?? 0),
    awaitingApproval: row.awaiting_approval_since !== null,
    hasSecondFactor: row.has_second_factor === true,
    verifiedAt: row.verified_at,
    reconfirmationRemindedAt: row.reconfirmation_reminded_at,
    coordinates: row.coordinates === true,
    emailBounce: row.email_bounced_at === null ? null : { at: row.email_bounced_at, response: row.email_bounce_response ?? '' },
  };
}

function coordinatesOwnAgency(eb: ExpressionBuilder<DB, 'members'>) {
  return sql<boolean>`exists (select 1 from agency_coordinators c where c.member_id = ${eb.ref('members.id')} and c.agency_id = ${eb.ref('members.agency_id')})`;
}

export async function findSessionMember(db: Db, id: number): Promise<SessionMember | undefined> {
  const row = await db
    .selectFrom('members')
    .select(SESSION_MEMBER_COLUMNS)
    // The header's unread count in the same round trip, through the partial index on unread rows.
    .select((eb) => unreadNotificationCount(eb).as('unread_notifications'))
    .select((eb) => openQueueItemCount(eb).as('open_queue_items'))
    .select((eb) => hasSecondFactor(eb).as('has_second_factor'))
    .select((eb) => coordinatesOwnAgency(eb).as('coordinates'))
    .where('members.id', '=', id)
    .executeTakeFirst();
  return row && toSessionMember(row);
}

/**
 * A live session's stored data and, when it is a member's, that member as every page needs
 * them: one round trip where reading the session and then the member took two.
 */
export async function findLiveSession(db: Db, idHash: string, now: Date): Promise<{ data: unknown; member: SessionMember | undefined } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .leftJoin('members', 'members.id', 'sessions.member_id')
    .select('sessions.data')
    .select(SESSION_MEMBER_COLUMNS)
    .select((eb) => unreadNotificationCount(eb).as('unread_notifications'))
    .select((eb) => openQueueItemCount(eb).as('open_queue_items'))
    .select((eb) => hasSecondFactor(eb).as('has_second_factor'))
    .select((eb) => coordinatesOwnAgency(eb).as('coordinates'))
    .where('sessions.id_hash', '=', idHash)
    .where('sessions.expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return undefined;
  return { data: row.data, member: row.member_id === null ? undefined : toSessionMember(row as SessionMemberRow) };
}

export async function listDomainRules(db: Db): Promise<DomainRule[]> {
  const rows = await db.selectFrom('domain_rules').select(['domain', 'effect', 'agency_id', 'admits_own_domain']).execute();
  return rows.map((row) => ({ domain: row.domain, effect: row.effect as DomainRule['effect'], agencyId: row.agency_id, admitsOwnDomain: row.admits_own_domain }));
}

export async function findSetting(db: Db, key: string): Promise<unknown> {
  const row = await db.selectFrom('site_settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function upsertSetting(db: Db, key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto('site_settings')
    .values({ key, value: json })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: sql`now()` }))
    .execute();
}

export async function upsertSignupRequest(db: Db, request: { email: string; canonicalEmail: string; guidelinesVersion: string }): Promise<void> {
  await db
    .insertInto('signup_requests')
    .values({ email: request.email, canonical_email: request.canonicalEmail, guidelines_version: request.guidelinesVersion })
    .onConflict((oc) => oc.column('canonical_email').doUpdateSet({ email: request.email, guidelines_version: request.guidelinesVersion, updated_at: sql`now()` }))
    .execute();
}

export interface SignupRequest {
  email: string;
  canonicalEmail: string;
  guidelinesVersion: string;
  createdAt: Date;
}

export async function findSignupRequest(db: Db, canonicalEmail: string): Promise<SignupRequest | undefined> {
  const row = await db.selectFrom('signup_requests').select(['email', 'canonical_email', 'guidelines_version', 'created_at']).where('canonical_email', '=', canonicalEmail).executeTakeFirst();
  return row && { email: row.email, canonicalEmail: row.canonical_email, guidelinesVersion: row.guidelines_version, createdAt: row.created_at };
}

export async function deleteSignupRequest(db: Db, canonicalEmail: string): Promise<void> {
  await db.deleteFrom('signup_requests').where('canonical_email', '=', canonicalEmail).execute();
}

/**
 * Sign-up requests not asked for again since `quietSince` and with no verify link left that
 * works; returns how many went. (A request asked for again at this moment has a newer
 * `updated_at`, which the delete sees once that request commits, so it stays.)
 */
export async function deleteStaleSignupRequests(db: Db, now: Date, quietSince: Date): Promise<number> {
  const result = await db
    .deleteFrom('signup_requests')
    .where('updated_at', '<', quietSince)
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom('email_tokens')
            .select('email_tokens.id')
            .whereRef('email_tokens.canonical_email', '=', 'signup_requests.canonical_email')
            .where('email_tokens.purpose', '=', 'verify')
            .where('email_tokens.used_at', 'is', null)
            .where('email_tokens.expires_at', '>', now),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The agency named by a domain rule, or a provisional one named after the email's domain. */
export async function findOrCreateProvisionalAgency(db: Db, domain: string): Promise<number> {
  const existing = await db.selectFrom('agencies').select('id').where(sql<boolean>`lower(name) = ${domain}`).executeTakeFirst();
  if (existing) return existing.id;
  const created = await db
    .insertInto('agencies')
    .values({ name: domain, provisional_at: sql`now()` })
    .onConflict((oc) => oc.expression(sql`lower(name)`).doUpdateSet({ updated_at: sql`now()` }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return created.id;
}

/** The agency a member at an admitted domain belongs to: the admitting rule's, or a provisional one named after the domain. */
export async function agencyForAdmittedDomain(db: Db, domain: string, rule: DomainRule): Promise<number> {
  return rule.agencyId ?? (await findOrCreateProvisionalAgency(db, domain));
}

export interface MemberAddress {
  id: number;
  email: string;
  canonicalEmail: string;
  agencyId: number | null;
  deactivatedAt: Date | null;
  /** When the address was last proven theirs (joining, a re-confirmation, an address change). */
  verifiedAt: Date;
  /** When they were last reminded to re-confirm it (eligibility/due.ts). */
  reconfirmationRemindedAt: Date | null;
}

/** A member's address and agency; `lock` holds the row until the transaction ends. */
export async function findMemberAddress(db: Db, memberId: number, lock = false): Promise<MemberAddress | undefined> {
  const row = await db
    .selectFrom('members')
    .select(['id', 'email', 'canonical_email', 'agency_id', 'deactivated_at', 'verified_at', 'reconfirmation_reminded_at'])
    .where('id', '=', memberId)
    .$if(lock, (qb) => qb.forUpdate())
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      email: row.email,
      canonicalEmail: row.canonical_email,
      agencyId: row.agency_id,
      deactivatedAt: row.deactivated_at,
      verifiedAt: row.verified_at,
      reconfirmationRemindedAt: row.reconfirmation_reminded_at,
    }
  );
}

/** A proven new address: the agency that admits it, and a fresh confirmation that it is a work address. */
export async function updateMemberAddress(db: Db, memberId: number, address: { email: string; canonicalEmail: string; agencyId: number }): Promise<void> {
  await db
    .updateTable('members')
    // A new address has refused nothing: a bounce recorded against the old one goes with it.
    .set({ email: address.email, canonical_email: address.canonicalEmail, agency_id: address.agencyId, verified_at: sql`now()`, updated_at: sql`now()`, email_bounced_at: null, email_bounce_response: null })
    .where('id', '=', memberId)
    .execute();
}

/** Whether a member has this handle, compared as the unique index members_handle compares them. */
export async function isHandleTaken(db: Db, handle: string): Promise<boolean> {
  const row = await db.selectFrom('members').select('id').where(sql<string>`lower(handle)`, '=', sql<string>`lower(${handle})`).executeTakeFirst();
  return row !== undefined;
}

export interface NewMember {
  email: string;
  canonicalEmail: string;
  displayName: string;
  handle: string;
  jobTitle: string | null;
  passwordHash: string;
  role: Role;
  agencyId: number | null;
  guidelinesVersion: string;
  guidelinesAcceptedAt: Date;
  /** Joins waiting for a moderator's approval. */
  awaitingApproval: boolean;
}

export async function insertMember(db: Db, member: NewMember): Promise<number> {
  const row = await db
    .insertInto('members')
    .values({
      email: member.email,
      canonical_email: member.canonicalEmail,
      display_name: member.displayName,
      handle: member.handle,
      job_title: member.jobTitle,
      password_hash: member.passwordHash,
      role: member.role,
      agency_id: member.agencyId,
      guidelines_version: member.guidelinesVersion,
      guidelines_accepted_at: member.guidelinesAcceptedAt,
      verified_at: sql`now()`,
      last_signed_in_at: sql`now()`,
      awaiting_approval_since: member.awaitingApproval ? sql`now()` : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateMemberPassword(db: Db, memberId: number, passwordHash: string): Promise<void> {
  await db.updateTable('members').set({ password_hash: passwordHash, updated_at: sql`now()` }).where('id', '=', memberId).execute();
}

export async function recordSignIn(db: Db, memberId: number): Promise<void> {
  await db.updateTable('members').set({ last_signed_in_at: sql`now()` }).where('id', '=', memberId).execute();
}

export async function updateMemberRole(db: Db, memberId: number, role: Role): Promise<void> {
  await db.updateTable('members').set({ role, updated_at: sql`now()` }).where('id', '=', memberId).execute();
}

/** Whether an operator ever set this member's role by hand (any grant or revoke not by ADMIN_EMAILS). */
export async function hasRoleSetByHand(db: Db, memberId: number): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('target_type', '=', 'member')
    .where('target_id', '=', String(memberId))
    .where('action', 'in', ['role.granted', 'role.revoked'])
    .where((eb) => eb.or([eb('actor_label', 'is', null), eb('actor_label', '!=', 'ADMIN_EMAILS')]))
    .executeTakeFirst();
  return row !== undefined;
}

export async function findSignInLockedUntil(db: Db, key: string): Promise<Date | null> {
  const row = await db.selectFrom('signin_locks').select('locked_until').where('canonical_email', '=', key).executeTakeFirst();
  return row?.locked_until ?? null;
}

export async function clearSignInLock(db: Db, key: string): Promise<void> {
  await db.deleteFrom('signin_locks').where('canonical_email', '=', key).execute();
}

/** Lifts every lock on the address: its own, and those of the member's browsers. */
export async function clearAddressSignInLocks(db: Db, canonicalEmail: string, devicePrefix: string): Promise<void> {
  await db
    .deleteFrom('signin_locks')
    .where((eb) => eb.or([eb('canonical_email', '=', canonicalEmail), sql<boolean>`starts_with(canonical_email, ${devicePrefix})`]))
    .execute();
}

/** One more failure in a row for the key; returns the count and how many locks it has had. */
export async function countSignInFailure(db: Db, key: string, at: Date): Promise<{ consecutiveFailures: number; lockCount: number }> {
  const row = await db
    .insertInto('signin_locks')
    .values({ canonical_email: key, consecutive_failures: 1, last_failure_at: at })
    .onConflict((oc) => oc.column('canonical_email').doUpdateSet({ consecutive_failures: sql`signin_locks.consecutive_failures + 1`, last_failure_at: at }))
    .returning(['consecutive_failures', 'lock_count'])
    .executeTakeFirstOrThrow();
  return { consecutiveFailures: row.consecutive_failures, lockCount: row.lock_count };
}

export interface SignInClaim {
  consecutiveFailures: number;
  lockCount: number;
}

/**
 * Counts an attempt as a failure before its password is checked, so attempts sent at the same
 * moment each take their own number and no more than the lock's allowance are ever checked; a
 * success removes the row, and an attempt that could not be checked gives its number back.
 * Undefined while the key is locked.
 */
export async function claimSignInAttempt(db: Db, key: string, at: Date): Promise<SignInClaim | undefined> {
  const row = await db
    .insertInto('signin_locks')
    .values({ canonical_email: key, consecutive_failures: 1, last_failure_at: at })
    .onConflict((oc) =>
      oc
        .column('canonical_email')
        .doUpdateSet({ consecutive_failures: sql`signin_locks.consecutive_failures + 1`, last_failure_at: at })
        .where((eb) => eb.or([eb('signin_locks.locked_until', 'is', null), eb('signin_locks.locked_until', '<=', at)])),
    )
    .returning(['consecutive_failures', 'lock_count'])
    .executeTakeFirst();
  return row && { consecutiveFailures: row.consecutive_failures, lockCount: row.lock_count };
}

export async function releaseSignInAttempt(db: Db, key: string): Promise<void> {
  await db.updateTable('signin_locks').set({ consecutive_failures: sql`greatest(consecutive_failures - 1, 0)` }).where('canonical_email', '=', key).execute();
}

export async function lockSignIn(db: Db, key: string, lockCount: number, until: Date): Promise<void> {
  await db.updateTable('signin_locks').set({ consecutive_failures: 0, lock_count: lockCount, locked_until: until }).where('canonical_email', '=', key).execute();
}

/** Lock rows with no lock in force and no failure since `quietSince`; returns how many went. */
/** Lock rows of addresses that are no member's; a member's row keeps its lock count until unlocked or reset. */
export async function deleteStaleSignInLocks(db: Db, now: Date, quietSince: Date): Promise<number> {
  const result = await db
    .deleteFrom('signin_locks')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .where('last_failure_at', '<', quietSince)
    .where(({ exists, not, selectFrom }) => not(exists(selectFrom('members').select('members.id').whereRef('members.canonical_email', '=', 'signin_locks.canonical_email'))))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface Profile {
  email: string;
  displayName: string;
  handle: string;
  jobTitle: string | null;
  bio: string | null;
  timeZone: string | null;
}

export async function findProfile(db: Db, memberId: number): Promise<Profile> {
  const row = await db.selectFrom('members').select(['email', 'display_name', 'handle', 'job_title', 'bio', 'time_zone']).where('id', '=', memberId).executeTakeFirstOrThrow();
  return { email: row.email, displayName: row.display_name, handle: row.handle, jobTitle: row.job_title, bio: row.bio, timeZone: row.time_zone };
}

export async function updateProfile(db: Db, memberId: number, profile: Omit<Profile, 'email' | 'handle'>): Promise<void> {
  // The zone may have changed: the daily digest's hour is worked out again (digest-queries.ts).
  await db
    .updateTable('members')
    .set({ display_name: profile.displayName, job_title: profile.jobTitle, bio: profile.bio, time_zone: profile.timeZone, notification_digest_due_at: DIGEST_TO_SCHEDULE, updated_at: sql`now()` })
    .where('id', '=', memberId)
    .execute();
}

/** Notes the device as seen now; returns true when the member had never used it before. */
export async function recordMemberDevice(db: Db, memberId: number, deviceHash: string, at: Date): Promise<boolean> {
  const inserted = await db
    .insertInto('member_devices')
    .values({ member_id: memberId, device_hash: deviceHash, first_seen_at: at, last_seen_at: at })
    .onConflict((oc) => oc.columns(['member_id', 'device_hash']).doUpdateSet({ last_seen_at: at }))
    .returning(sql<boolean>`xmax = 0`.as('inserted'))
    .executeTakeFirstOrThrow();
  return inserted.inserted;
}

/** Whether the member (by id, or by address) has signed in from the device before. */
export async function isKnownDevice(db: Db, deviceHash: string, member: { id: number } | { canonicalEmail: string }): Promise<boolean> {
  let query = db.selectFrom('member_devices').innerJoin('members', 'members.id', 'member_devices.member_id').select('member_devices.member_id').where('member_devices.device_hash', '=', deviceHash);
  query = 'id' in member ? query.where('members.id', '=', member.id) : query.where('members.canonical_email', '=', member.canonicalEmail);
  return (await query.executeTakeFirst()) !== undefined;
}

export async function listMemberDeviceHashes(db: Db, memberId: number): Promise<string[]> {
  const rows = await db.selectFrom('member_devices').select('device_hash').where('member_id', '=', memberId).execute();
  return rows.map((row) => row.device_hash);
}

export type AccountRequestPurpose = 'signup' | 'reset';

export interface NewAccountRequest {
  purpose: AccountRequestPurpose;
  email: string;
  canonicalEmail: string;
  /** For a sign-up: the guidelines version accepted. */
  guidelinesVersion: string | null;
  /** The asking browser's device cookie, hashed, if it has one. */
  deviceHash: string | null;
  ipAddress: string;
}

export interface AccountRequest extends Omit<NewAccountRequest, 'ipAddress'> {
  id: number;
  ipAddress: string | null;
}

export async function insertAccountRequest(db: Db, request: NewAccountRequest): Promise<void> {
  await db
    .insertInto('account_requests')
    .values({
      purpose: request.purpose,
      email: request.email,
      canonical_email: request.canonicalEmail,
      guidelines_version: request.guidelinesVersion,
      device_hash: request.deviceHash,
      ip_address: request.ipAddress,
    })
    .execute();
}

/**
 * Takes the oldest request no other worker holds, deleting it: in a transaction, it comes back
 * if the transaction rolls back.
 */
export async function takeAccountRequest(db: Db): Promise<AccountRequest | undefined> {
  const row = await db
    .deleteFrom('account_requests')
    .where('id', '=', (qb) => qb.selectFrom('account_requests').select('id').orderBy('id').limit(1).forUpdate().skipLocked())
    .returning(['id', 'purpose', 'email', 'canonical_email', 'guidelines_version', 'device_hash', 'ip_address'])
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      purpose: row.purpose as AccountRequestPurpose,
      email: row.email,
      canonicalEmail: row.canonical_email,
      guidelinesVersion: row.guidelines_version,
      deviceHash: row.device_hash,
      ipAddress: row.ip_address,
    }
  );
}

export async function deleteAccountRequest(db: Db, id: number): Promise<void> {
  await db.deleteFrom('account_requests').where('id', '=', id).execute();
}
