import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // A member moving to a new work address proves it with a link sent there: the link's row holds
  // the address as typed (mail goes to it and it becomes members.email), canonical_email its
  // canonical form, member_id whose address changes.
  // 'reconfirm' is 0016's (continuous eligibility), kept in the list this replaces.
  await sql`alter table email_tokens drop constraint email_tokens_purpose_check`.execute(db);
  await db.schema
    .alterTable('email_tokens')
    .addCheckConstraint('email_tokens_purpose_check', sql`purpose in ('verify', 'reset', 'unlock', 'reconfirm', 'email-change')`)
    .execute();
  await db.schema
    .alterTable('email_tokens')
    .addColumn('email', 'text', (c) => c.check(sql`char_length(email) <= 254`))
    .execute();
  await db.schema
    .alterTable('email_tokens')
    .addCheckConstraint('email_tokens_email_change', sql`(purpose = 'email-change') = (email is not null and member_id is not null)`)
    .execute();
}
