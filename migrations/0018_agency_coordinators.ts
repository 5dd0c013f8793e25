import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports app code, and is never edited once landed.

export async function up(db: Kysely<any>): Promise<void> {
  // A member appointed to look after one agency's list of members (issue 11, item 5). Its own
  // table, not a role: a moderator or an administrator can coordinate too. One agency per member.
  await db.schema
    .createTable('agency_coordinators')
    .addColumn('member_id', 'bigint', (c) => c.primaryKey().references('members.id').onDelete('cascade'))
    .addColumn('agency_id', 'bigint', (c) => c.notNull().references('agencies.id').onDelete('cascade'))
    // Null when the operator appointed them with `npm run admin`; the audit row says who.
    .addColumn('appointed_by', 'bigint', (c) => c.references('members.id'))
    .addColumn('appointed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('agency_coordinators_agency').on('agency_coordinators').column('agency_id').execute();

  // A coordinator's statement that their agency's list was right when they made it. An agency
  // merged away takes its attestations with it: they spoke of a list that no longer exists, and
  // the audit log keeps them.
  await db.schema
    .createTable('agency_attestations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('agency_id', 'bigint', (c) => c.notNull().references('agencies.id').onDelete('cascade'))
    .addColumn('member_id', 'bigint', (c) => c.notNull().references('members.id'))
    .addColumn('attested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('member_count', 'integer', (c) => c.notNull().check(sql`member_count >= 0`))
    .addColumn('note', 'text', (c) => c.check(sql`length(note) <= 1000`))
    .execute();
  await db.schema.createIndex('agency_attestations_agency_latest').on('agency_attestations').columns(['agency_id', 'attested_at desc']).execute();

  // A coordinator's leaver is deactivated for a reason of its own, which the member is told.
  await sql`alter table members drop constraint members_deactivation_reason_check`.execute(db);
  await sql`alter table members add constraint members_deactivation_reason_check check (deactivation_reason in ('administrator', 'rejected', 'bounced', 'domain_not_admitted', 'left_agency'))`.execute(db);
}
