import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // Refused tries at a link's form (a taken handle, a weak password): past a few the link is
  // spent, so a replayed form cannot be sent for ever.
  await db.schema
    .alterTable('email_tokens')
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // Requests anyone may make about an address (to join, to reset a password), written by the
  // request in one statement whoever the address belongs to, and answered by the mail worker:
  // how long the request takes then says nothing about who is a member.
  await db.schema
    .createTable('account_requests')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('signup', 'reset')`))
    .addColumn('email', 'text', (c) => c.notNull().check(sql`char_length(email) <= 254`))
    .addColumn('canonical_email', 'text', (c) => c.notNull().check(sql`char_length(canonical_email) <= 254`))
    // The guidelines version the person accepted on the sign-up page.
    .addColumn('guidelines_version', 'text')
    // The asking browser's device cookie, hashed: a member's own browser has its own budget.
    .addColumn('device_hash', 'text')
    .addColumn('ip_address', sql`inet`)
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('account_requests_guidelines', sql`(purpose = 'signup') = (guidelines_version is not null)`)
    .execute();
}
