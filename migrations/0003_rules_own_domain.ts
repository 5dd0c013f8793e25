import { sql, type Kysely } from 'kysely';

/**
 * An allow rule admits addresses under its domain; addresses at the domain itself only when the
 * rule says so. The bare `gov.au` is a namespace, not anyone's mailbox: `jane@gov.au` names no
 * agency. Rules already mapped to an agency name that agency's own mail domain, so they keep
 * admitting it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('domain_rules').addColumn('admits_own_domain', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await sql`update domain_rules set admits_own_domain = true where agency_id is not null and effect = 'allow'`.execute(db);
}
