import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

// Issue 11, a second factor: TOTP, recovery codes and passkeys, and what a session knows of them.
export async function up(db: Kysely<any>): Promise<void> {
  // One authenticator app per member. The secret is read only to check a code, never shown again
  // after set-up; last_used_step refuses a code whose 30-second step has been used (RFC 6238 §5.2).
  await db.schema
    .createTable('totp_factors')
    .addColumn('member_id', 'bigint', (c) => c.primaryKey().references('members.id').onDelete('cascade'))
    .addColumn('secret', 'text', (c) => c.notNull().check(sql`secret ~ '^[A-Z2-7]{32}$'`))
    .addColumn('last_used_step', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Ten per set-up, each a SHA-256 of a high-entropy code (nothing here works as a code), spent once.
  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('recovery_codes_member').on('recovery_codes').column('member_id').execute();

  // WebAuthn credentials: the public key and signature counter @simplewebauthn/server checks against.
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull().unique().check(sql`char_length(credential_id) between 1 and 1400`))
    .addColumn('public_key', 'bytea', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`char_length(name) between 1 and 60`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('passkeys_member').on('passkeys').column('member_id').execute();

  // Copied from the session's data by the store, as last_seen_at is: when this session passed its
  // second factor, and when its member last proved who they are (a password or a factor), for
  // step-up. Columns, so an operator can see which sessions hold either.
  await db.schema
    .alterTable('sessions')
    .addColumn('second_factor_at', 'timestamptz')
    .addColumn('authenticated_at', 'timestamptz')
    .execute();
}
