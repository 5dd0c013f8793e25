import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // Why a member was deactivated, so they can be told when they sign in and an administrator
  // can see it; cleared with deactivated_at on reactivation. Rows deactivated before this
  // column are recorded as an administrator's doing, or a moderator's rejection where the
  // audit log says so.
  await db.schema
    .alterTable('members')
    .addColumn('deactivation_reason', 'text', (c) => c.check(sql`deactivation_reason in ('administrator', 'rejected', 'bounced', 'domain_not_admitted')`))
    // When the reminder to re-confirm the address was sent: at most once per period, which a
    // re-confirmation (verified_at moving on) starts again.
    .addColumn('reconfirmation_reminded_at', 'timestamptz')
    .execute();
  await sql`update members set deactivation_reason = 'administrator' where deactivated_at is not null`.execute(db);
  await sql`
    update members m set deactivation_reason = 'rejected'
    where m.deactivated_at is not null
      and exists (select 1 from audit_events a where a.action = 'member.rejected' and a.target_type = 'member' and a.target_id = m.id::text)
  `.execute(db);
  // A reason only with a deactivation; a deactivation without one reads as an administrator's.
  await db.schema.alterTable('members').addCheckConstraint('members_deactivation_reason_with_date', sql`deactivation_reason is null or deactivated_at is not null`).execute();

  // The emailed link that re-confirms a member's address.
  await sql`alter table email_tokens drop constraint email_tokens_purpose_check`.execute(db);
  await db.schema.alterTable('email_tokens').addCheckConstraint('email_tokens_purpose_check', sql`purpose in ('verify', 'reset', 'unlock', 'reconfirm')`).execute();
}
